"""Forms of the pre-order pages: needs capture, quotation lines and terms, sign-offs,
sending, the customer's answer, contracts. They parse input only; services decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inventory.models import Product
from oms.errors import ApplicationError
from oms.money import Currency, PaymentTerms

DATE_WIDGET = {"type": "date"}


def _date_input(**attrs: Any) -> forms.DateInput:
    return forms.DateInput(attrs={**DATE_WIDGET, **attrs}, format="%Y-%m-%d")


class _LabelsAbove(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # labels stand above their fields
        super().__init__(*args, **kwargs)


def _sku_input(placeholder: str | Any) -> forms.TextInput:
    return forms.TextInput(attrs={
        "data-product-search": "", "autocomplete": "off", "placeholder": placeholder, "spellcheck": "false",
        "class": "sku-input",
    })


# --- rows that name a product by SKU -----------------------------------------------------------

class SkuFormSet(forms.BaseFormSet):
    """Resolves the SKUs of all rows with one query; unknown codes become field errors.
    Each valid row then has `cleaned_data["product_obj"]` (None when no SKU was given)."""

    sku_field = "product"

    def clean(self) -> None:
        super().clean()
        rows = [form for form in self.forms if self._counts(form)]
        skus = {form.cleaned_data.get(self.sku_field, "").strip().upper() for form in rows} - {""}
        # SKUs are stored as written; the code is accepted in any case the user typed it
        products = ({p.sku.upper(): p for p in Product.objects.annotate(usku=Upper("sku")).filter(usku__in=skus)}
                    if skus else {})
        for form in rows:
            sku = form.cleaned_data.get(self.sku_field, "").strip()
            product = products.get(sku.upper()) if sku else None
            if sku and product is None:
                form.add_error(self.sku_field, _("There is no product with the code “%(sku)s”.") % {"sku": sku})
            else:
                form.cleaned_data["product_obj"] = product

    def _counts(self, form: forms.Form) -> bool:
        if not hasattr(form, "cleaned_data") or (form.empty_permitted and not form.has_changed()):
            return False
        return not (self.can_delete and self._should_delete_form(form))

    def rows(self) -> list[forms.Form]:
        """The forms that make rows (not empty, not deleted), in order. Service errors about
        row N refer to the N-th of these."""
        return [form for form in self.forms if self._counts(form)]

    def line_inputs(self) -> list:
        """The rows as the services' LineInput (order and quotation lines)."""
        from .services import LineInput

        return [LineInput(
            product=form.cleaned_data["product_obj"], quantity=form.cleaned_data["quantity"],
            unit_price=form.cleaned_data.get("unit_price"),
            discount_percent=form.cleaned_data.get("discount_percent") or Decimal(0),
            description=form.cleaned_data.get("description", ""),
        ) for form in self.rows()]


# --- needs capture -----------------------------------------------------------------------------

class NeedForm(forms.Form):
    product = forms.CharField(label=_("Product"), required=False, max_length=64,
                              widget=_sku_input(_("SKU or name")))
    requirement = forms.CharField(label=_("Requirement"), required=False, max_length=500,
                                  widget=forms.TextInput(attrs={"placeholder": _("Free text")}))
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=14, decimal_places=3,
                                  widget=forms.NumberInput(attrs={"step": "any", "min": "0", "class": "qty"}))
    requested_date = forms.DateField(label=_("Requested date"), required=False, widget=_date_input())
    expectations = forms.CharField(label=_("Expectations"), required=False, max_length=5000,
                                   widget=forms.Textarea(attrs={
                                       "rows": 1, "placeholder": _("Quality, service, process")}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


NeedFormSet = forms.formset_factory(NeedForm, formset=SkuFormSet, extra=0, can_delete=True, max_num=200,
                                    absolute_max=200, validate_max=True)


class InquiryForm(_LabelsAbove):
    contact = forms.ModelChoiceField(label=_("Contact"), queryset=None, required=False)
    requested_date = forms.DateField(label=_("Requested delivery date"), required=False, widget=_date_input())
    customer_reference = forms.CharField(label=_("Customer reference"), required=False, max_length=64)
    note = forms.CharField(label=_("Conversation note"), required=False, max_length=5000,
                           widget=forms.Textarea(attrs={
                               "rows": 3, "placeholder": _("What was discussed, what the customer stressed")}))

    def __init__(self, *args: Any, contacts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = contacts
        self.fields["contact"].label_from_instance = lambda c: f"{c.name} · {c.email}" if c.email else c.name
        # the primary contact first (Contact.Meta.ordering) and chosen unless another is
        primary = next((c for c in contacts if c.is_primary), None)
        if primary is not None and not self.is_bound:
            self.initial.setdefault("contact", primary.pk)


class NoteForm(_LabelsAbove):
    body = forms.CharField(label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


# --- quotations --------------------------------------------------------------------------------

class QuotationLineForm(forms.Form):
    product = forms.CharField(label=_("SKU"), max_length=64, widget=_sku_input(_("SKU or name")))
    description = forms.CharField(label=_("Description"), required=False, max_length=250)
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=14, decimal_places=3,
                                  widget=forms.NumberInput(attrs={"step": "any", "min": "0", "class": "qty",
                                                                  "data-qty": ""}))
    unit_price = forms.DecimalField(label=_("Unit price"), required=False, max_digits=14, decimal_places=2,
                                    widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "class": "money",
                                                                    "data-price": ""}),
                                    help_text=_("Empty: the list price."))
    discount_percent = forms.DecimalField(label=_("Discount %"), required=False, max_digits=5, decimal_places=2,
                                          min_value=Decimal(0), max_value=Decimal(100),
                                          widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "100",
                                                                          "class": "pct", "data-discount": ""}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


QuotationLineFormSet = forms.formset_factory(QuotationLineForm, formset=SkuFormSet, extra=0, can_delete=True,
                                             max_num=200, absolute_max=200, validate_max=True)


class QuotationTermsForm(_LabelsAbove):
    payment_terms = forms.ChoiceField(label=_("Payment terms"), choices=PaymentTerms.choices)
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)
    lead_time_days = forms.IntegerField(label=_("Delivery lead time (days)"), min_value=0, max_value=3650)
    valid_until = forms.DateField(label=_("Valid until"), widget=_date_input())
    warranty_terms = forms.CharField(label=_("Warranty terms"), required=False, max_length=5000,
                                     widget=forms.Textarea(attrs={"rows": 2}))
    notes = forms.CharField(label=_("Notes to the customer"), required=False, max_length=5000,
                            widget=forms.Textarea(attrs={"rows": 2}))


class SignoffForm(_LabelsAbove):
    area = forms.CharField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("changes", _("Request changes"))])
    comment = forms.CharField(label=_("Comment"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 2}))


class SendForm(_LabelsAbove):
    to_email = forms.EmailField(label=_("Send to (e-mail)"), max_length=254)


class DecisionForm(_LabelsAbove):
    decision = forms.ChoiceField(choices=[("accepted", _("Customer accepted")), ("declined", _("Customer declined"))])
    note = forms.CharField(label=_("The customer's answer"), required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 2}))


# --- contracts ---------------------------------------------------------------------------------

class ContractEditForm(_LabelsAbove):
    """The delivery date and one textarea per clause (`clause_<position>`)."""

    delivery_date = forms.DateField(label=_("Agreed delivery date"), widget=_date_input())

    def __init__(self, *args: Any, clauses: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clauses = clauses
        for clause in clauses:
            self.fields[f"clause_{clause.position}"] = forms.CharField(
                label=f"{clause.position}. {clause.title}", max_length=20000,
                widget=forms.Textarea(attrs={"rows": 3}))

    def clause_fields(self) -> list:
        return [self[f"clause_{clause.position}"] for clause in self.clauses]

    def clause_texts(self) -> dict[int, str]:
        return {clause.position: self.cleaned_data[f"clause_{clause.position}"] for clause in self.clauses}


class ContractReviewForm(_LabelsAbove):
    decision = forms.ChoiceField(choices=[("approve", _("Approve for signing")),
                                          ("return", _("Return with comments"))])
    comment = forms.CharField(label=_("Review comment"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class ContractSignForm(_LabelsAbove):
    signed_copy = forms.FileField(label=_("Signed copy (PDF, PNG or JPEG)"), required=False,
                                  widget=forms.ClearableFileInput(attrs={
                                      "accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"}))
    signed_on = forms.DateField(label=_("Signing date"), widget=_date_input())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"signed_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


# --- service errors back onto forms ------------------------------------------------------------

def apply_service_errors(exc: ApplicationError, *, form: forms.Form | None = None, rows: list | None = None,
                         rows_key: str = "lines", field_map: dict[str, str] | None = None) -> list[str]:
    """Put a service's field errors next to the fields they name: `<rows_key>.<i>.<field>`
    on the i-th row form, other names on `form` (through `field_map` when the names
    differ). Returns the messages no field could take (shown above the form)."""
    leftover: list[str] = []
    field_map = field_map or {}
    for key, messages in exc.errors.items():
        parts = key.split(".")
        target, field = None, None
        if rows is not None and parts[0] == rows_key and len(parts) == 3 and parts[1].isdecimal() \
                and int(parts[1]) < len(rows):
            target, field = rows[int(parts[1])], parts[2]
        elif form is not None and field_map.get(key, key) in form.fields:
            target, field = form, field_map.get(key, key)
        if target is not None and field in target.fields:
            for message in messages:
                target.add_error(field, message)
        else:
            leftover.extend(messages)
    if not exc.errors:
        leftover.append(exc.message)
    return leftover
