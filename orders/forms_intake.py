"""Forms of the order desk: order entry (every channel), its revision, the written
confirmation of a verbal order and the CSV upload. They parse input only; services decide."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from oms.money import PaymentTerms

from .forms_preorder import SkuFormSet, _date_input, _LabelsAbove, _sku_input
from .models import Channel
from .services.intake import DEFAULT_CONFIRMATION_DAYS, DOCUMENT_CHANNELS

#: The channels an order is entered through on the order-entry page (the others arrive
#: through the API, the e-shop or a CSV upload).
ENTRY_CHANNELS = [Channel.WEB, Channel.EMAIL, Channel.FAX, Channel.PHONE]
SCAN_ACCEPT = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"


class OrderEntryForm(_LabelsAbove):
    """The order header. Channel, scan and confirmation date only when the order is new:
    an order keeps the channel it arrived through."""

    channel = forms.ChoiceField(label=_("Channel"), choices=[(c.value, c.label) for c in ENTRY_CHANNELS],
                                initial=Channel.WEB)
    document = forms.FileField(label=_("Scanned order document"), required=False,
                               help_text=_("E-mail and fax orders: the PDF, PNG or JPEG scan is attached."),
                               widget=forms.ClearableFileInput(attrs={"accept": SCAN_ACCEPT}))
    confirmation_due = forms.DateField(label=_("Written confirmation due"), required=False, widget=_date_input(),
                                       help_text=_("Phone orders cannot ship before the customer confirms in "
                                                   "writing."))
    contact = forms.ModelChoiceField(label=_("Contact"), queryset=None, required=False, empty_label="—")
    delivery_address = forms.ModelChoiceField(label=_("Delivery address"), queryset=None, required=False,
                                              empty_label="—")
    customer_reference = forms.CharField(label=_("Customer reference"), required=False, max_length=64,
                                         widget=forms.TextInput(attrs={"placeholder": _("The customer's PO number")}))
    requested_date = forms.DateField(label=_("Requested delivery date"), required=False, widget=_date_input())
    payment_terms = forms.ChoiceField(label=_("Payment terms"), choices=PaymentTerms.choices)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=5000,
                            widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, customer: Customer, new: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.customer = customer
        contacts = customer.contacts.all()
        addresses = customer.addresses.all()
        self.fields["contact"].queryset = contacts
        self.fields["contact"].label_from_instance = (
            lambda c: " · ".join(part for part in (c.name, c.role, c.email or c.phone) if part))
        self.fields["delivery_address"].queryset = addresses
        self.fields["delivery_address"].label_from_instance = (
            lambda a: f"{a.label}: {a}" if a.label else str(a))
        if new:
            # the customer's usual choices, as the order would get them anyway
            self.initial.setdefault("contact", next((c.pk for c in contacts if c.is_primary), None))
            self.initial.setdefault("delivery_address",
                                    next((a.pk for a in addresses if a.is_default_shipping), None))
            self.initial.setdefault("payment_terms", customer.payment_terms)
            self.initial.setdefault("confirmation_due", timezone.localdate()
                                    + datetime.timedelta(days=DEFAULT_CONFIRMATION_DAYS))
            if not self.is_bound:
                self.fields["channel"].widget.attrs["autofocus"] = True  # the customer was just chosen
        else:
            for name in ("channel", "document", "confirmation_due"):
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        channel = data.get("channel")
        if "channel" in self.fields:
            # fields of the other channels are hidden on the page; what they hold does not count
            if channel not in DOCUMENT_CHANNELS:
                data["document"] = None
            if channel != Channel.PHONE:
                data["confirmation_due"] = None
        return data

    def channel_fields(self) -> list[tuple[str, forms.BoundField]]:
        """(channels it belongs to, field) of the fields only some channels have."""
        if "channel" not in self.fields:
            return []
        return [(" ".join(DOCUMENT_CHANNELS), self["document"]), (Channel.PHONE.value, self["confirmation_due"])]


class OrderLineForm(forms.Form):
    product = forms.CharField(label=_("SKU"), max_length=64, widget=_sku_input(_("SKU or name")))
    # kept as it was (lines drawn from a quotation carry one); not edited here
    description = forms.CharField(required=False, max_length=250, widget=forms.HiddenInput)
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=14, decimal_places=3,
                                  widget=forms.NumberInput(attrs={"step": "any", "min": "0", "class": "qty",
                                                                  "data-qty": ""}))
    unit_price = forms.DecimalField(label=_("Unit price"), required=False, max_digits=14, decimal_places=2,
                                    widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "class": "money",
                                                                    "data-price": ""}))
    # ranges are the service's to check, so that they are reported with everything else
    discount_percent = forms.DecimalField(label=_("Discount %"), required=False, max_digits=5, decimal_places=2,
                                          widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "100",
                                                                          "class": "pct", "data-discount": ""}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


#: The lines of an order being revised: one row per line (rows added on the page are extra).
OrderLineFormSet = forms.formset_factory(OrderLineForm, formset=SkuFormSet, extra=0, can_delete=True,
                                         max_num=200, absolute_max=200, validate_max=True)
#: The lines of a new order: one empty row to start with; an untouched row is no line.
NewOrderLineFormSet = forms.formset_factory(OrderLineForm, formset=SkuFormSet, extra=1, can_delete=True,
                                            max_num=200, absolute_max=200, validate_max=True)


class ConfirmationForm(forms.Form):
    document = forms.FileField(label=_("Written confirmation (PDF, PNG or JPEG)"),
                               widget=forms.ClearableFileInput(attrs={"accept": SCAN_ACCEPT}))


class OrderImportForm(_LabelsAbove):
    file = forms.FileField(label=_("CSV file (UTF-8)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))
