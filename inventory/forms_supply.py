"""Forms of the planners' pages: they parse input; the supply services decide."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import (
    QTY_DIGITS,
    QTY_PLACES,
    WORK_ORDER_EXCEPTIONS,
    PurchaseOrderState,
    RequisitionState,
    WorkOrderState,
)


def _date_input() -> forms.DateInput:
    # an <input type=date> sends and shows ISO dates whatever the language
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _quantity(label: str, *, required: bool = True, allow_zero: bool = False) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=required, max_digits=QTY_DIGITS, decimal_places=QTY_PLACES,
                              min_value=Decimal(0) if allow_zero else Decimal("0.001"),
                              widget=forms.NumberInput(attrs={"step": "any", "class": "qty"}))


class ObjectChoiceField(forms.ChoiceField):
    """A choice among objects read once. A ModelChoiceField queries on every render, so
    each row of a table of forms would cost a query."""

    def __init__(self, *, objects: Iterable[Any] = (), empty_label: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.set_objects(objects, empty_label)

    def set_objects(self, objects: Iterable[Any], empty_label: str | None = None, label=str) -> None:
        self.objects = {str(obj.pk): obj for obj in objects}
        empty = [("", empty_label)] if empty_label is not None else []
        self.choices = empty + [(key, label(obj)) for key, obj in self.objects.items()]

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        return self.objects.get(str(value)) if value not in (None, "") else None


class SupplyForm(forms.Form):
    #: Several forms share a page: each names its fields' ids apart.
    id_prefix = ""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")  # labels stand above their fields
        if self.id_prefix:
            kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


# --- filters ---------------------------------------------------------------------------------

class WorkOrderFilterForm(SupplyForm):
    OPEN = "open"
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("All states")), (OPEN, _("Open (not done or cancelled)")),
                                       *WorkOrderState.choices])


class PurchaseOrderFilterForm(SupplyForm):
    OPEN = "open"
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("All states")), (OPEN, _("Open (still to come)")),
                                       *PurchaseOrderState.choices])
    supplier = ObjectChoiceField(label=_("Supplier"), required=False)

    def __init__(self, *args: Any, suppliers: Iterable[Any] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].set_objects(suppliers, _("All suppliers"))


class RequisitionFilterForm(SupplyForm):
    ALL = "all"
    state = forms.ChoiceField(label=_("Show"), required=False,
                              choices=[("", _("Open requisitions")), (RequisitionState.ORDERED, _("Ordered")),
                                       (RequisitionState.CANCELLED, _("Cancelled")), (ALL, _("All requisitions"))])


# --- work orders -----------------------------------------------------------------------------

class ReasonForm(SupplyForm):
    id_prefix = "cancel"
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class BlockForm(SupplyForm):
    id_prefix = "block"
    kind = forms.ChoiceField(label=_("What happened"),
                             choices=[(kind.value, kind.label) for kind in WORK_ORDER_EXCEPTIONS])
    note = forms.CharField(label=_("Details"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    new_due_date = forms.DateField(label=_("New due date"), required=False, widget=_date_input(),
                                   help_text=_("Leave empty while it is not known."))


class ReceiptFields(SupplyForm):
    """What arrived (or was made): quantity, how much failed inspection, batch, expiry, location."""

    quantity = _quantity(_("Quantity"))
    rejected = _quantity(_("Rejected at inspection"), required=False, allow_zero=True)
    batch = forms.CharField(label=_("Batch"), required=False, max_length=64)
    expires_on = forms.DateField(label=_("Expires"), required=False, widget=_date_input())
    location = ObjectChoiceField(label=_("Location"), required=False)

    def __init__(self, *args: Any, locations: Iterable[Any] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["location"].set_objects(locations, _("Receiving (default)"),
                                            label=lambda loc: f"{loc.code} · {loc.name}" if loc.name else loc.code)

    def receipt(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"quantity": data["quantity"], "rejected": data.get("rejected") or 0, "batch_code": data["batch"],
                "expires_on": data["expires_on"], "location": data["location"]}


class CompleteForm(ReceiptFields):
    id_prefix = "complete"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["quantity"].label = _("Quantity made")


class WorkOrderForm(SupplyForm):
    product = ObjectChoiceField(label=_("Product"))
    quantity = _quantity(_("Quantity"))
    warehouse = ObjectChoiceField(label=_("Deliver to"))
    due_date = forms.DateField(label=_("Due"), widget=_date_input())
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, products: Iterable[Any] = (), warehouses: Iterable[Any] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["product"].set_objects(products, "—")
        self.fields["warehouse"].set_objects(warehouses, "—")


# --- purchase orders -------------------------------------------------------------------------

class ConfirmForm(SupplyForm):
    id_prefix = "confirm"
    supplier_reference = forms.CharField(label=_("Supplier's reference"), required=False, max_length=64)


class DelayForm(SupplyForm):
    id_prefix = "delay"
    new_expected_date = forms.DateField(label=_("New expected date"), widget=_date_input())
    note = forms.CharField(label=_("What the supplier said"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class ReceiveLineForm(ReceiptFields):
    """One open line of a purchase order; an empty quantity means nothing arrived for it."""

    def __init__(self, *args: Any, line: Any, **kwargs: Any):
        super().__init__(*args, prefix=f"line-{line.pk}", **kwargs)
        self.line = line
        self.fields["quantity"].required = False
        self.fields["quantity"].label = _("Arrived")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        others = data.get("rejected") or data.get("batch") or data.get("expires_on") or data.get("location")
        if data.get("quantity") is None and "quantity" not in self.errors and others:
            self.add_error("quantity", _("Enter the quantity that arrived."))
        return data

    @property
    def arrived(self) -> bool:
        return self.cleaned_data.get("quantity") is not None


class PurchaseOrderForm(SupplyForm):
    supplier = ObjectChoiceField(label=_("Supplier"))
    warehouse = ObjectChoiceField(label=_("Deliver to"))
    expected_date = forms.DateField(label=_("Expected"), required=False, widget=_date_input(),
                                    help_text=_("Leave empty for today plus the supplier's usual lead time."))
    requisitions = forms.TypedMultipleChoiceField(label=_("Requisitions"), required=False, coerce=int,
                                                  widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, suppliers: Iterable[Any] = (), warehouses: Iterable[Any] = (),
                 requisitions: Iterable[Any] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].set_objects(
            suppliers, "—", label=lambda s: _("%(supplier)s (%(days)s days)") % {
                "supplier": s, "days": s.lead_time_days})
        self.fields["warehouse"].set_objects(warehouses, "—")
        self.fields["requisitions"].choices = [(r.pk, r.number) for r in requisitions]


class PurchaseLineForm(SupplyForm):
    """An extra line: a product to buy that no requisition asked for. Empty rows are ignored."""

    product = ObjectChoiceField(label=_("Product"), required=False)
    quantity = _quantity(_("Quantity"), required=False)
    unit_price = forms.DecimalField(label=_("Unit price"), required=False, max_digits=14, decimal_places=2,
                                    min_value=Decimal(0),
                                    widget=forms.NumberInput(attrs={"step": "any", "class": "money"}),
                                    help_text=_("Empty: the product's standard cost."))

    def __init__(self, *args: Any, products: Iterable[Any] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["product"].set_objects(products, "—")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("product") and data.get("quantity") is None and "quantity" not in self.errors:
            self.add_error("quantity", _("Enter the quantity to buy."))
        if data.get("product") is None and "product" not in self.errors and (
                data.get("quantity") is not None or data.get("unit_price") is not None):
            self.add_error("product", _("Choose a product."))
        return data

    @property
    def is_blank(self) -> bool:
        return self.cleaned_data.get("product") is None and not self.errors


PurchaseLineFormSet = forms.formset_factory(PurchaseLineForm, extra=2, max_num=50, validate_max=True)


# --- requisitions ----------------------------------------------------------------------------

class RequisitionForm(SupplyForm):
    product = ObjectChoiceField(label=_("Product"))
    quantity = _quantity(_("Quantity"))
    needed_by = forms.DateField(label=_("Needed by"), required=False, widget=_date_input())
    warehouse = ObjectChoiceField(label=_("Deliver to"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=250)

    def __init__(self, *args: Any, products: Iterable[Any] = (), warehouses: Iterable[Any] = (), **kwargs: Any):
        super().__init__(*args, prefix="new", **kwargs)
        self.fields["product"].set_objects(products, "—")
        self.fields["warehouse"].set_objects(warehouses, _("Any warehouse"))
