"""Carriers and their transport modes with rate tables (DESIGN.md §2.6, issue 6 item 5).

Shipments, packages and tracking arrive with the rest of the shipping work; the carrier
ranking that reads these tables lives in `logistics/carriers.py`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from oms.money import DECIMAL_PLACES, MAX_DIGITS

TRACKING_NUMBER_PLACEHOLDER = "{tracking_number}"

# Regions are typed by people: "上海, 江苏，浙江、安徽" is one list of four.
_REGION_SEPARATORS = re.compile(r"[,，、;；]")


def split_regions(value: str) -> list[str]:
    """The regions in a comma-separated list, trimmed and compared without case."""
    return [part.strip().casefold() for part in _REGION_SEPARATORS.split(value or "") if part.strip()]


class TrackingAdapter(models.TextChoices):
    MANUAL = "manual", _("Manual (logistics enters events)")
    HTTP_JSON = "http_json", _("HTTP JSON (polled)")


class TransportMode(models.TextChoices):
    EXPRESS = "express", _("Express")
    TRUCK = "truck", _("Truck")
    RAIL = "rail", _("Rail")
    SEA = "sea", _("Sea")
    AIR = "air", _("Air")


class Carrier(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)
    tracking_adapter = models.CharField(_("tracking adapter"), max_length=16, choices=TrackingAdapter.choices,
                                        default=TrackingAdapter.MANUAL)
    tracking_url_template = models.CharField(
        _("tracking URL template"), max_length=500, blank=True,
        help_text=_("Where a tracking number can be followed, with {tracking_number} in its place "
                    "(e.g. https://carrier.example/track/{tracking_number})."))

    class Meta:
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="carrier_code_not_empty"),
            models.CheckConstraint(condition=Q(tracking_adapter__in=TrackingAdapter.values),
                                   name="carrier_tracking_adapter_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    def clean(self) -> None:
        super().clean()
        template = self.tracking_url_template
        if template and TRACKING_NUMBER_PLACEHOLDER not in template:
            raise ValidationError({"tracking_url_template": _("Put {tracking_number} where the tracking number "
                                                              "goes in the address.")})
        if self.tracking_adapter == TrackingAdapter.HTTP_JSON and not template:
            raise ValidationError({"tracking_url_template": _("A polled carrier needs the address to poll.")})

    def tracking_url(self, tracking_number: str) -> str:
        """The address for one tracking number, or "" when the carrier has none."""
        if not self.tracking_url_template or not tracking_number:
            return ""
        return self.tracking_url_template.replace(TRACKING_NUMBER_PLACEHOLDER, quote(tracking_number, safe=""))


class CarrierService(models.Model):
    """One transport mode a carrier offers, with its rate table and limits."""

    carrier = models.ForeignKey(Carrier, verbose_name=_("carrier"), on_delete=models.CASCADE,
                                related_name="services")
    mode = models.CharField(_("mode"), max_length=16, choices=TransportMode.choices)
    name = models.CharField(_("name"), max_length=120)
    base_fee = models.DecimalField(_("base fee"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES,
                                   default=Decimal(0), validators=[MinValueValidator(Decimal(0))])
    per_kg = models.DecimalField(_("per kg"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES,
                                 default=Decimal(0), validators=[MinValueValidator(Decimal(0))])
    per_m3 = models.DecimalField(_("per m³"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES,
                                 default=Decimal(0), validators=[MinValueValidator(Decimal(0))])
    transit_days = models.PositiveSmallIntegerField(_("transit days"))
    max_weight_kg = models.DecimalField(_("maximum weight (kg)"), max_digits=10, decimal_places=3,
                                        null=True, blank=True, validators=[MinValueValidator(Decimal("0.001"))],
                                        help_text=_("Leave empty for no limit."))
    fragile_allowed = models.BooleanField(_("fragile goods allowed"), default=False)
    regions = models.CharField(
        _("regions served"), max_length=500, blank=True,
        help_text=_("Provinces or countries this service delivers to, separated by commas "
                    "(e.g. 上海, 江苏, 浙江 or CN, JP). Leave empty to serve everywhere."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("carrier service")
        verbose_name_plural = _("carrier services")
        ordering = ["carrier__code", "mode", "name"]
        constraints = [
            models.UniqueConstraint(fields=["carrier", "name"], name="unique_service_name_per_carrier"),
            models.CheckConstraint(condition=~Q(name=""), name="carrier_service_name_not_empty"),
            models.CheckConstraint(condition=Q(mode__in=TransportMode.values), name="carrier_service_mode_valid"),
            models.CheckConstraint(condition=Q(base_fee__gte=0), name="carrier_service_base_fee_not_negative"),
            models.CheckConstraint(condition=Q(per_kg__gte=0), name="carrier_service_per_kg_not_negative"),
            models.CheckConstraint(condition=Q(per_m3__gte=0), name="carrier_service_per_m3_not_negative"),
            models.CheckConstraint(condition=Q(transit_days__gte=0), name="carrier_service_transit_not_negative"),
            models.CheckConstraint(condition=Q(max_weight_kg__isnull=True) | Q(max_weight_kg__gt=0),
                                   name="carrier_service_max_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.carrier.code} · {self.name} ({self.get_mode_display()})"

    @property
    def region_list(self) -> list[str]:
        return split_regions(self.regions)

    def serves(self, *destinations: str) -> bool:
        """True when the service has no region list, or one of the destinations is on it."""
        served = self.region_list
        if not served:
            return True
        wanted = {d.strip().casefold() for d in destinations if d and d.strip()}
        return bool(wanted & set(served))
