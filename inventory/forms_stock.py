"""Forms of the stock pages. They parse input only: quantities stay text, so the stock
services check them (one rule, one message, for pages and API alike)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from oms.money import plain

from .models import Batch, CycleCountLine, Location, MoveKind, Product, Warehouse

QUANTITY_MAX_LENGTH = 32


def _quantity_input(**attrs: Any) -> forms.TextInput:
    return forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "qty", **attrs})


def _quantity(label: Any, *, required: bool = True, attrs: dict[str, Any] | None = None) -> forms.CharField:
    return forms.CharField(label=label, required=required, max_length=QUANTITY_MAX_LENGTH,
                           widget=_quantity_input(**(attrs or {})))


class LocationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Location) -> str:
        return f"{obj.warehouse.code}/{obj.code}" + (f" · {obj.name}" if obj.name else "")


class WarehouseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Warehouse) -> str:
        return f"{obj.code} · {obj.name}"


class BatchChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Batch) -> str:
        if obj.expires_on:
            return _("%(batch)s (expires %(date)s)") % {"batch": obj.code, "date": obj.expires_on.isoformat()}
        return obj.code


class _LabelsAbove(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # labels stand above their fields
        super().__init__(*args, **kwargs)


def product_by_sku(sku: str) -> Product | None:
    """A product by its code, in whatever case it was typed."""
    sku = (sku or "").strip()
    if not sku:
        return None
    return Product.objects.annotate(usku=Upper("sku")).filter(usku=sku.upper()).first()


def batch_by_code(product: Product, code: str) -> Batch | None:
    return Batch.objects.filter(product=product, code=(code or "").strip()).first()


# --- the stock list and the ledger's filters ------------------------------------------------------

class StockFilterForm(_LabelsAbove):
    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"placeholder": _("SKU or name"), "type": "search"}))
    warehouse = WarehouseChoiceField(label=_("Warehouse"), required=False, queryset=Warehouse.objects.none(),
                                     empty_label=_("All warehouses"))
    short = forms.BooleanField(label=_("Only short (nothing available)"), required=False)

    def __init__(self, *args: Any, warehouses: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses


class LedgerFilterForm(_LabelsAbove):
    warehouse = WarehouseChoiceField(label=_("Warehouse"), required=False, queryset=Warehouse.objects.none(),
                                     empty_label=_("All warehouses"))
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *MoveKind.choices])

    def __init__(self, *args: Any, warehouses: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses


# --- receiving and adjusting --------------------------------------------------------------------

class ReceiveForm(_LabelsAbove):
    prefix = "receive"

    warehouse = WarehouseChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.none())
    location = LocationChoiceField(label=_("Location"), required=False, queryset=Location.objects.none(),
                                   empty_label=_("Receiving area"),
                                   help_text=_("Left empty, the goods go to the warehouse's receiving area."))
    quantity = _quantity(_("Quantity arrived"))
    rejected = _quantity(_("Rejected at inspection"), required=False, attrs={"placeholder": "0"})
    batch = forms.CharField(label=_("Batch"), required=False, max_length=64,
                            help_text=_("Required for batch-tracked products; a new code creates the batch."))
    expires_on = forms.DateField(label=_("Expires"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reference = forms.CharField(label=_("Document"), required=False, max_length=64,
                                help_text=_("Delivery note or purchase order number."))

    #: service error fields → form fields
    FIELD_MAP = {"batch_code": "batch"}

    def __init__(self, *args: Any, warehouses: Any, locations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses
        self.fields["location"].queryset = locations


class AdjustForm(_LabelsAbove):
    prefix = "adjust"

    location = LocationChoiceField(label=_("Location"), queryset=Location.objects.none())
    batch = BatchChoiceField(label=_("Batch"), required=False, queryset=Batch.objects.none(),
                             empty_label=_("No batch"))
    change = _quantity(_("Change"), attrs={"placeholder": _("e.g. -2 or 5")})
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.TextInput(
        attrs={"placeholder": _("Damaged in storage, found on the shelf…")}))

    FIELD_MAP = {"delta": "change"}

    def __init__(self, *args: Any, locations: Any, batches: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations
        self.fields["batch"].queryset = batches


# --- transfers ------------------------------------------------------------------------------------

class TransferForm(_LabelsAbove):
    product = forms.CharField(label=_("Product (SKU)"), max_length=64, widget=forms.TextInput(attrs={
        "data-product-search": "", "autocomplete": "off", "spellcheck": "false", "class": "sku-input"}))
    from_location = LocationChoiceField(label=_("From location"), queryset=Location.objects.none())
    batch = forms.CharField(label=_("Batch"), required=False, max_length=64,
                            help_text=_("The batch code, for batch-tracked products."))
    to_warehouse = WarehouseChoiceField(label=_("To warehouse"), queryset=Warehouse.objects.none())
    quantity = _quantity(_("Quantity"))
    note = forms.CharField(label=_("Note"), required=False, max_length=250)

    def __init__(self, *args: Any, locations: Any, warehouses: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from_location"].queryset = locations
        self.fields["to_warehouse"].queryset = warehouses

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        sku = data.get("product")
        if sku:
            product = product_by_sku(sku)
            if product is None:
                self.add_error("product", _("There is no product with the code “%(sku)s”.") % {"sku": sku.strip()})
            else:
                data["product_obj"] = product
                code = data.get("batch", "").strip()
                data["batch_obj"] = batch_by_code(product, code) if code else None
                if code and data["batch_obj"] is None:
                    self.add_error("batch", _("%(sku)s has no batch “%(batch)s”.") % {"sku": product.sku,
                                                                                    "batch": code})
        return data


class TransferReceiveForm(forms.Form):
    location = forms.ModelChoiceField(required=False, queryset=Location.objects.none())

    def __init__(self, *args: Any, locations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations


# --- cycle counts ---------------------------------------------------------------------------------

class CountCreateForm(_LabelsAbove):
    location = LocationChoiceField(label=_("Location to count"), queryset=Location.objects.none())

    def __init__(self, *args: Any, locations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations


class CountEntryForm(forms.Form):
    """One counted quantity per line of the sheet (`line_<id>`) and a few rows for products
    found that the sheet does not list (`extra-<n>-sku`, `-batch`, `-counted`)."""

    EXTRA_ROWS = 3

    def __init__(self, *args: Any, lines: list[CycleCountLine], extra_rows: int = EXTRA_ROWS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            # every line needs a count (the service says so); `required` lets the browser say it first
            self.fields[f"line_{line.pk}"] = _quantity(_("Counted"), required=False, attrs={
                "required": True, "aria-label": _("Counted quantity of %(sku)s") % {"sku": line.product.sku}})
            if line.counted is not None:
                self.initial.setdefault(f"line_{line.pk}", plain(line.counted))
        for index in range(extra_rows):
            self.fields[f"extra-{index}-sku"] = forms.CharField(
                label=_("SKU"), required=False, max_length=64, widget=forms.TextInput(attrs={
                    "data-product-search": "", "autocomplete": "off", "spellcheck": "false", "class": "sku-input"}))
            self.fields[f"extra-{index}-batch"] = forms.CharField(label=_("Batch"), required=False, max_length=64)
            self.fields[f"extra-{index}-counted"] = _quantity(_("Counted"), required=False)
        self.extra_rows = extra_rows
        #: the service's extra.i is the form's row extra_index[i]
        self.extra_index: list[int] = []

    def extra_fields(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [(self[f"extra-{i}-sku"], self[f"extra-{i}-batch"], self[f"extra-{i}-counted"])
                for i in range(self.extra_rows)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        extra: list[dict[str, Any]] = []
        self.extra_index = []
        for index in range(self.extra_rows):
            sku = data.get(f"extra-{index}-sku", "").strip()
            code = data.get(f"extra-{index}-batch", "").strip()
            counted = data.get(f"extra-{index}-counted", "").strip()
            if not (sku or code or counted):
                continue
            product = product_by_sku(sku) if sku else None
            if product is None:
                self.add_error(f"extra-{index}-sku", _("There is no product with the code “%(sku)s”.") % {"sku": sku}
                               if sku else _("Enter the SKU of the product found."))
                continue
            batch = batch_by_code(product, code) if code else None
            if code and batch is None:
                self.add_error(f"extra-{index}-batch", _("%(sku)s has no batch “%(batch)s”.") % {
                    "sku": product.sku, "batch": code})
                continue
            extra.append({"product": product, "batch": batch, "counted": counted})
            self.extra_index.append(index)
        data["extra"] = extra
        return data

    def counted(self) -> dict[int, str]:
        return {line.pk: self.cleaned_data.get(f"line_{line.pk}", "") for line in self.lines}

    def service_field(self, key: str) -> str | None:
        """The form field a count_enter error names: `line_<id>` as is, `extra.i.x` on the
        i-th row given to the service."""
        if key in self.fields:
            return key
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "extra":
            position, name = parts[1], parts[2]
            if position.isdecimal() and int(position) < len(self.extra_index):
                field = f"extra-{self.extra_index[int(position)]}-{'sku' if name == 'product' else name}"
                return field if field in self.fields else None
        return None
