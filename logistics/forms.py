"""Forms of the shipping pages. They parse input only: quantities, measures, dates and
times stay text where a service checks them, so pages and API share one rule and one
message (logistics/services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inventory.models import Warehouse

from .models import DeliveryExceptionKind, ShipmentState, TrackingStatus
from .services import MANUAL_STATUSES

TEXT_MAX = 64


def _text(label: Any, *, required: bool = True, max_length: int = TEXT_MAX, **attrs: Any) -> forms.CharField:
    return forms.CharField(label=label, required=required, max_length=max_length,
                           widget=forms.TextInput(attrs={"autocomplete": "off", **attrs}))


def _number(label: Any, *, required: bool = True, **attrs: Any) -> forms.CharField:
    """A number typed as text ("12,5" too): the service checks it."""
    return forms.CharField(label=label, required=required, max_length=32, widget=forms.TextInput(
        attrs={"inputmode": "decimal", "autocomplete": "off", "class": "qty", **attrs}))


def _reason(label: Any, error: Any) -> forms.CharField:
    return forms.CharField(label=label, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                           error_messages={"required": error})


def _date_input() -> forms.DateInput:
    # an <input type=date> sends and shows ISO dates whatever the language
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ShippingForm(forms.Form):
    #: Several forms share a page: each names its fields' ids apart.
    id_prefix = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # labels stand above their fields
        if self.id_prefix:
            kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


# --- the list ----------------------------------------------------------------------------------

class WarehouseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Warehouse) -> str:
        return f"{obj.code} · {obj.name}"


class ShipmentFilterForm(ShippingForm):
    TO_PICK = "to_pick"
    UNDER_WAY = "under_way"

    q = forms.CharField(label=_("Search"), required=False, max_length=100, widget=forms.TextInput(
        attrs={"placeholder": _("Shipment, order, customer or tracking number"), "type": "search"}))
    state = forms.ChoiceField(label=_("State"), required=False, choices=[
        ("", _("All states")), (TO_PICK, _("To pick (planned or picking)")),
        (UNDER_WAY, _("Under way (shipped, in transit, exception)")), *ShipmentState.choices])
    warehouse = WarehouseChoiceField(label=_("Warehouse"), required=False, queryset=Warehouse.objects.none(),
                                     empty_label=_("All warehouses"))

    def __init__(self, *args: Any, warehouses: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses


# --- planning ----------------------------------------------------------------------------------

class PlanForm(ShippingForm):
    """Quantities of one warehouse's unplanned lines: a field `line_<id>` per line."""

    def __init__(self, *args: Any, warehouse: Warehouse, rows: list[Any], **kwargs: Any) -> None:
        self.id_prefix = f"plan_{warehouse.pk}"
        super().__init__(*args, **kwargs)
        self.warehouse = warehouse
        self.rows = rows
        for row in rows:
            self.fields[self.field_name(row.line.pk)] = _number(
                _("Quantity of line %(line)s") % {"line": row.line.line_no}, required=False)
            self.initial.setdefault(self.field_name(row.line.pk), row.unplanned_text)

    @staticmethod
    def field_name(line_id: int) -> str:
        return f"line_{line_id}"

    def quantities(self) -> dict[str, str]:
        """{line id: quantity as typed}; an empty field counts as nothing for that line."""
        return {str(row.line.pk): (self.cleaned_data.get(self.field_name(row.line.pk)) or "0").strip() or "0"
                for row in self.rows}

    def field_map(self) -> dict[str, str]:
        """The service's error names → this form's fields."""
        return {f"quantities.{row.line.pk}": self.field_name(row.line.pk) for row in self.rows}

    def bound_rows(self) -> list[tuple[Any, Any]]:
        return [(row, self[self.field_name(row.line.pk)]) for row in self.rows]


# --- packing -----------------------------------------------------------------------------------

class ScanForm(ShippingForm):
    id_prefix = "scan"

    sku = _text(_("SKU"), required=False, autofocus=True, autocapitalize="characters", spellcheck="false",
                enterkeyhint="next")
    quantity = _number(_("Quantity"), required=False)
    batch = _text(_("Batch"), required=False, spellcheck="false", enterkeyhint="next")
    package = forms.IntegerField(label=_("Package"), required=False, min_value=1, max_value=999,
                                 widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1, "max": 999}))


class MeasureForm(ShippingForm):
    weight_kg = _number(_("Weight (kg)"))
    length_cm = _number(_("Length (cm)"))
    width_cm = _number(_("Width (cm)"))
    height_cm = _number(_("Height (cm)"))

    def __init__(self, *args: Any, number: int, **kwargs: Any) -> None:
        self.id_prefix = f"measure_{number}"
        self.number = number
        super().__init__(*args, **kwargs)


class ReasonForm(ShippingForm):
    reason = _reason(_("Reason"), _("Say why."))

    def __init__(self, *args: Any, id_prefix: str, **kwargs: Any) -> None:
        self.id_prefix = id_prefix
        super().__init__(*args, **kwargs)


# --- carrier and shipping ----------------------------------------------------------------------

class ShipForm(ShippingForm):
    id_prefix = "ship"

    tracking_number = _text(_("Tracking number"), spellcheck="false")
    ship_date = forms.DateField(label=_("Ship date"), required=False, widget=_date_input())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tracking_number"].error_messages["required"] = _("Enter the carrier's tracking number.")
        self.initial.setdefault("ship_date", timezone.localdate())


# --- tracking and delivery ---------------------------------------------------------------------

class TrackingEventForm(ShippingForm):
    id_prefix = "event"

    status = forms.ChoiceField(label=_("Status"), choices=[(s.value, s.label) for s in MANUAL_STATUSES])
    occurred_at = forms.CharField(label=_("Time"), required=False, max_length=32, widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}), help_text=_("Leave empty for now."))
    location = forms.CharField(label=_("Place"), required=False, max_length=200)
    description = forms.CharField(label=_("Event details"), required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("status", TrackingStatus.IN_TRANSIT)


class ExceptionForm(ShippingForm):
    id_prefix = "exception"
    KINDS = [DeliveryExceptionKind.DAMAGED, DeliveryExceptionKind.REFUSED, DeliveryExceptionKind.LOST]

    kind = forms.ChoiceField(label=_("What happened"), choices=[(k.value, k.label) for k in KINDS])
    note = _reason(_("Note"), _("Describe what happened."))


class ResumeForm(ShippingForm):
    id_prefix = "resume"

    note = _reason(_("How it was resolved"), _("Say how the exception was resolved."))


class DeliveryForm(ShippingForm):
    id_prefix = "delivery"
    ACCEPT = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"

    recipient_name = forms.CharField(label=_("Received by"), max_length=120,
                                     error_messages={"required": _("Enter who received the goods.")})
    delivered_at = forms.CharField(label=_("Delivered at"), required=False, max_length=32, widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}), help_text=_("Leave empty for now."))
    signature = forms.FileField(label=_("Signature (image or PDF)"), required=False,
                                widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))
    photo = forms.FileField(label=_("Photo"), required=False, widget=forms.ClearableFileInput(
        attrs={"accept": ACCEPT}))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 2}))
