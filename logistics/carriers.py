"""Carrier and mode choice: rank the active carrier services for one shipment.

A pure read (one query). Every active service of an active carrier is either an option —
feasible, with its cost and arrival date — or excluded, with every reason it fails, so
logistics can see why the cheap sea freight is not on the list. Inactive carriers and
services are simply not listed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from oms.errors import ValidationFailed
from oms.money import plain, quantize

from .models import CarrierService


@dataclass(frozen=True)
class CarrierOption:
    """One carrier service priced for the shipment."""

    service: CarrierService
    cost: Decimal
    arrival_date: datetime.date

    @property
    def service_id(self) -> int:
        return self.service.pk

    @property
    def carrier_code(self) -> str:
        return self.service.carrier.code

    @property
    def mode(self) -> str:
        return self.service.mode

    @property
    def transit_days(self) -> int:
        return self.service.transit_days

    def __str__(self) -> str:
        return f"{self.service} · {self.cost} · {self.arrival_date.isoformat()}"


@dataclass(frozen=True)
class ExclusionReason:
    """Why a service cannot take the shipment: a stable `code` and a translated sentence."""

    code: str  # too_heavy | fragile_not_allowed | region_not_served | too_late
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ExcludedOption:
    """A service that cannot take the shipment; priced anyway, so the trade-off is visible."""

    option: CarrierOption
    reasons: tuple[ExclusionReason, ...]

    @property
    def service(self) -> CarrierService:
        return self.option.service

    @property
    def messages(self) -> list[str]:
        return [reason.message for reason in self.reasons]

    @property
    def codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]


@dataclass(frozen=True)
class Ranking:
    options: tuple[CarrierOption, ...]  # feasible, cheapest first, then fastest, then by carrier code
    excluded: tuple[ExcludedOption, ...]  # by carrier code, mode and name

    @property
    def recommended(self) -> CarrierOption | None:
        """The top option, or None when nothing can take the shipment."""
        return self.options[0] if self.options else None


def rank_carrier_options(*, weight_kg: Decimal, volume_m3: Decimal, fragile: bool, region: str,
                         ship_date: datetime.date, required_date: datetime.date | None,
                         country: str = "") -> Ranking:
    """Rank the active services of active carriers for one shipment.

    cost = base_fee + per_kg × weight + per_m3 × volume, rounded to cents; arrival =
    ship_date + transit_days. A service is excluded when the shipment is heavier than its
    maximum, fragile and it takes no fragile goods, going to a region (province) or country
    it does not serve (an empty list serves everywhere; compared without case or surrounding
    spaces), or would arrive after `required_date`. Raises ValidationFailed on bad input.
    One query, whatever the number of services.
    """
    weight_kg, volume_m3 = _validate(weight_kg=weight_kg, volume_m3=volume_m3, ship_date=ship_date,
                                     required_date=required_date)
    services = (CarrierService.objects
                .filter(is_active=True, carrier__is_active=True)
                .select_related("carrier"))

    options: list[CarrierOption] = []
    excluded: list[ExcludedOption] = []
    for service in services:
        option = CarrierOption(
            service=service,
            cost=quantize(service.base_fee + service.per_kg * weight_kg + service.per_m3 * volume_m3),
            arrival_date=ship_date + datetime.timedelta(days=service.transit_days),
        )
        reasons = _exclusion_reasons(option, weight_kg=weight_kg, fragile=fragile, region=region, country=country,
                                     required_date=required_date)
        if reasons:
            excluded.append(ExcludedOption(option=option, reasons=tuple(reasons)))
        else:
            options.append(option)

    options.sort(key=lambda o: (o.cost, o.service.transit_days, o.service.carrier.code, o.service.name, o.service.pk))
    excluded.sort(key=lambda e: (e.service.carrier.code, e.service.mode, e.service.name, e.service.pk))
    return Ranking(options=tuple(options), excluded=tuple(excluded))


def _validate(*, weight_kg: Decimal, volume_m3: Decimal, ship_date: datetime.date,
              required_date: datetime.date | None) -> tuple[Decimal, Decimal]:
    errors: dict[str, list[str]] = {}
    amounts: dict[str, Decimal] = {}
    for field, value in (("weight_kg", weight_kg), ("volume_m3", volume_m3)):
        try:
            amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
        except (InvalidOperation, ValueError, TypeError):
            amount = None
        if amount is None or not amount.is_finite():
            errors[field] = [_("Enter a number.")]
        elif amount < 0:
            errors[field] = [_("This cannot be negative.")]
        else:
            amounts[field] = amount
    if not isinstance(ship_date, datetime.date) or isinstance(ship_date, datetime.datetime):
        errors["ship_date"] = [_("Enter a date.")]
    if required_date is not None:
        if not isinstance(required_date, datetime.date) or isinstance(required_date, datetime.datetime):
            errors["required_date"] = [_("Enter a date.")]
        elif "ship_date" not in errors and required_date < ship_date:
            errors["required_date"] = [_("The required date cannot be before the ship date.")]
    if errors:
        raise ValidationFailed(errors=errors)
    return amounts["weight_kg"], amounts["volume_m3"]



def _exclusion_reasons(option: CarrierOption, *, weight_kg: Decimal, fragile: bool, region: str, country: str,
                       required_date: datetime.date | None) -> list[ExclusionReason]:
    service = option.service
    reasons: list[ExclusionReason] = []
    if service.max_weight_kg is not None and weight_kg > service.max_weight_kg:
        reasons.append(ExclusionReason("too_heavy", _(
            "The shipment weighs %(weight)s kg, this service takes at most %(maximum)s kg."
        ) % {"weight": plain(weight_kg), "maximum": plain(service.max_weight_kg)}))
    if fragile and not service.fragile_allowed:
        reasons.append(ExclusionReason("fragile_not_allowed", _(
            "The shipment is fragile and this service does not take fragile goods.")))
    if not service.serves(region, country):
        destination = ", ".join(part.strip() for part in (region, country) if part and part.strip())
        if destination:
            message = _("This service does not deliver to %(destination)s; it serves only %(regions)s.") % {
                "destination": destination, "regions": service.regions.strip()}
        else:
            message = _("The destination has no region, and this service serves only %(regions)s.") % {
                "regions": service.regions.strip()}
        reasons.append(ExclusionReason("region_not_served", message))
    if required_date is not None and option.arrival_date > required_date:
        reasons.append(ExclusionReason("too_late", _(
            "It would arrive on %(arrival)s, after the required date %(required)s."
        ) % {"arrival": option.arrival_date.isoformat(), "required": required_date.isoformat()}))
    return reasons
