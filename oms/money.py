"""Money: Decimal amounts, quantised the same way everywhere."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
MAX_DIGITS = 14
DECIMAL_PLACES = 2


class Currency(models.TextChoices):
    CNY = "CNY", _("Chinese yuan")
    USD = "USD", _("US dollar")
    EUR = "EUR", _("Euro")


CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€"}


def quantize(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


class PaymentTerms(models.TextChoices):
    PREPAID = "prepaid", _("Prepayment")
    COD = "cod", _("Cash on delivery")
    NET30 = "net30", _("Net 30 days")
    NET60 = "net60", _("Net 60 days")
    NET90 = "net90", _("Net 90 days")


def plain(number: Decimal) -> str:
    """A quantity for messages and form inputs: 10, 2.5 (never 1E+1 or 2.500)."""
    return f"{Decimal(number).normalize():f}"
