from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import Customer

from .models import OrderState


class OrderFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("Order number or customer")}))
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("All states")), *OrderState.choices])
    # a code, not a list of every customer: the page would carry thousands of options
    # (the page suggests codes as one types, from the customers API)
    customer = forms.CharField(label=_("Customer code"), required=False,
                               max_length=Customer._meta.get_field("code").max_length,
                               widget=forms.TextInput(attrs={"placeholder": _("All customers"),
                                                             "autocomplete": "off", "spellcheck": "false"}))
    sort = forms.ChoiceField(label=_("Sort by"), required=False,
                             choices=[("", _("Newest first")), ("priority", _("Priority"))])

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")  # labels stand above their fields
        super().__init__(*args, **kwargs)


class TransitionForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount received"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2)
    reference = forms.CharField(label=_("Payment reference"), required=False, max_length=200)
