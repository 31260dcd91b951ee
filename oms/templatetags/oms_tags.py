from decimal import Decimal

from django import template
from django.utils import formats

from oms.money import CURRENCY_SYMBOLS

register = template.Library()


@register.filter
def money(value: Decimal | None, currency: str = "CNY") -> str:
    """1234.5, "CNY" → "¥1,234.50", grouped and separated for the active language."""
    if value is None or value == "":
        return ""
    number = formats.number_format(value, 2, use_l10n=True, force_grouping=True)
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{number}" if symbol else f"{currency} {number}"


@register.filter
def quantity(value: Decimal | None) -> str:
    """Quantities without trailing zeros: 12.000 → 12, 2.500 → 2.5."""
    if value is None:
        return ""
    normalized = Decimal(value).normalize()
    places = max(0, -normalized.as_tuple().exponent)
    return formats.number_format(value, places, use_l10n=True, force_grouping=True)
