"""Carriers and their rate tables, shipments with their state machine, packages, what the
packer verified, tracking events and proof of delivery (DESIGN.md §2.6).

The carrier ranking that reads the rate tables lives in `logistics/carriers.py`, the
tracking adapters in `logistics/tracking.py`, the use cases in `logistics/services/`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from inventory.models import QTY_DIGITS, QTY_PLACES
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


# --- shipments ---------------------------------------------------------------------------------

class ShipmentState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    PICKING = "picking", _("Picking")
    PACKED = "packed", _("Packed")
    SHIPPED = "shipped", _("Shipped")
    IN_TRANSIT = "in_transit", _("In transit")
    DELIVERED = "delivered", _("Delivered")
    EXCEPTION = "exception", _("Delivery exception")
    CANCELLED = "cancelled", _("Cancelled")


SS = ShipmentState
#: Shipments still in the warehouse: their lines hold reserved stock for the order.
OPEN_SHIPMENT_STATES = [SS.PLANNED, SS.PICKING, SS.PACKED]
#: Shipments on their way: the carrier is polled, exceptions and proof of delivery recorded.
UNDER_WAY_STATES = [SS.SHIPPED, SS.IN_TRANSIT, SS.EXCEPTION]
#: Shipments whose goods have left the warehouse.
LEFT_STATES = [SS.SHIPPED, SS.IN_TRANSIT, SS.DELIVERED, SS.EXCEPTION]


class DeliveryExceptionKind(models.TextChoices):
    DAMAGED = "damaged", _("Damaged")
    REFUSED = "refused", _("Refused by the recipient")
    LOST = "lost", _("Lost")
    CARRIER = "carrier", _("Reported by the carrier")


class TrackingStatus(models.TextChoices):
    PICKED_UP = "picked_up", _("Picked up")
    IN_TRANSIT = "in_transit", _("In transit")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    DELIVERED = "delivered", _("Delivered")
    EXCEPTION = "exception", _("Exception")
    OTHER = "other", _("Other")


class EventSource(models.TextChoices):
    MANUAL = "manual", _("Entered by logistics")
    CARRIER = "carrier", _("From the carrier")


class Shipment(FSMModelMixin, models.Model):
    """Goods of one sales order leaving one warehouse together. An order ships in one or
    several shipments; what they have done moves the order (logistics.services.orders)."""

    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    order = models.ForeignKey("orders.SalesOrder", verbose_name=_("order"), on_delete=models.PROTECT,
                              related_name="shipments")
    warehouse = models.ForeignKey("inventory.Warehouse", verbose_name=_("warehouse"), on_delete=models.PROTECT,
                                  related_name="shipments")
    state = FSMField(_("state"), max_length=12, choices=ShipmentState.choices, default=ShipmentState.PLANNED,
                     protected=True, db_index=True)
    carrier_service = models.ForeignKey(CarrierService, verbose_name=_("carrier service"), null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="shipments")
    shipping_cost = models.DecimalField(_("shipping cost"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES,
                                        null=True, blank=True)
    expected_delivery = models.DateField(_("expected delivery"), null=True, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    ship_date = models.DateField(_("ship date"), null=True, blank=True)
    packed_at = models.DateTimeField(_("packed at"), null=True, blank=True)
    packed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("packed by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    shipped_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("shipped by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    exception_kind = models.CharField(_("exception"), max_length=12, choices=DeliveryExceptionKind.choices,
                                      blank=True)
    exception_note = models.TextField(_("exception note"), blank=True)
    tracking_emailed_at = models.DateTimeField(_("tracking e-mailed"), null=True, blank=True, editable=False)
    # the tracking poller's bookkeeping (http_json carriers)
    next_poll_at = models.DateTimeField(_("next tracking poll"), null=True, blank=True, db_index=True,
                                        editable=False)
    last_polled_at = models.DateTimeField(_("last tracking poll"), null=True, blank=True, editable=False)
    poll_failures = models.PositiveIntegerField(_("failed polls in a row"), default=0, editable=False)
    last_poll_error = models.CharField(_("last poll error"), max_length=300, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["warehouse", "state"], name="shipment_warehouse_state_idx")]
        permissions = [
            ("plan_shipment", _("Can plan and cancel shipments")),
            ("pack_shipment", _("Can pick, verify and pack shipments")),
            ("ship_shipment", _("Can choose the carrier and ship")),
            ("track_shipment", _("Can record tracking, delivery exceptions and proof of delivery")),
            ("view_shipping_costs", _("Can see shipping costs and carrier rates")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=ShipmentState.values), name="shipment_state_known"),
            models.CheckConstraint(condition=Q(shipping_cost__isnull=True) | Q(shipping_cost__gte=0),
                                   name="shipment_cost_not_negative"),
            models.CheckConstraint(condition=Q(state__in=[*OPEN_SHIPMENT_STATES, SS.CANCELLED])
                                   | (~Q(tracking_number="") & Q(carrier_service__isnull=False)
                                      & Q(ship_date__isnull=False)),
                                   name="shipment_left_with_carrier_and_tracking"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_SHIPMENT_STATES

    # --- transitions: each changes only this shipment; logistics.services does the rest ---

    @transition(field=state, source=SS.PLANNED, target=SS.PICKING)
    def start_picking(self) -> None:
        pass

    @transition(field=state, source=SS.PICKING, target=SS.PACKED)
    def pack(self) -> None:
        pass

    @transition(field=state, source=SS.PACKED, target=SS.PICKING)
    def reopen(self) -> None:
        self.packed_at = None
        self.packed_by = None

    @transition(field=state, source=SS.PACKED, target=SS.SHIPPED)
    def ship(self) -> None:
        pass

    @transition(field=state, source=SS.SHIPPED, target=SS.IN_TRANSIT)
    def depart(self) -> None:
        pass

    @transition(field=state, source=UNDER_WAY_STATES, target=SS.DELIVERED)
    def deliver(self) -> None:
        pass

    @transition(field=state, source=[SS.SHIPPED, SS.IN_TRANSIT], target=SS.EXCEPTION)
    def report_exception(self) -> None:
        pass

    @transition(field=state, source=SS.EXCEPTION, target=SS.IN_TRANSIT)
    def resume(self) -> None:
        pass

    @transition(field=state, source=OPEN_SHIPMENT_STATES, target=SS.CANCELLED)
    def cancel(self) -> None:
        pass


class ShipmentLine(models.Model):
    """How much of one order line travels in the shipment, and how much the packer verified."""

    shipment = models.ForeignKey(Shipment, verbose_name=_("shipment"), on_delete=models.CASCADE,
                                 related_name="lines")
    order_line = models.ForeignKey("orders.SalesOrderLine", verbose_name=_("order line"), on_delete=models.PROTECT,
                                   related_name="shipment_lines")
    quantity = models.DecimalField(_("quantity"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES)
    verified_quantity = models.DecimalField(_("verified"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES,
                                            default=0)

    class Meta:
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")
        ordering = ["shipment_id", "order_line__line_no"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "order_line"], name="unique_order_line_per_shipment"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="shipment_line_quantity_positive"),
            models.CheckConstraint(condition=Q(verified_quantity__gte=0) & Q(verified_quantity__lte=F("quantity")),
                                   name="shipment_line_verified_within_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id}/{self.order_line_id}"

    @property
    def to_verify(self) -> Decimal:
        return self.quantity - self.verified_quantity

    @property
    def is_verified(self) -> bool:
        return self.verified_quantity == self.quantity


class Package(models.Model):
    """One box, crate or pallet of a shipment, with what it weighs and measures."""

    shipment = models.ForeignKey(Shipment, verbose_name=_("shipment"), on_delete=models.CASCADE,
                                 related_name="packages")
    number = models.PositiveSmallIntegerField(_("package"))
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=10, decimal_places=3, null=True, blank=True)
    length_cm = models.DecimalField(_("length (cm)"), max_digits=8, decimal_places=1, null=True, blank=True)
    width_cm = models.DecimalField(_("width (cm)"), max_digits=8, decimal_places=1, null=True, blank=True)
    height_cm = models.DecimalField(_("height (cm)"), max_digits=8, decimal_places=1, null=True, blank=True)

    class Meta:
        verbose_name = _("package")
        verbose_name_plural = _("packages")
        ordering = ["shipment_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "number"], name="unique_package_number_per_shipment"),
            models.CheckConstraint(condition=Q(number__gte=1), name="package_number_positive"),
            models.CheckConstraint(condition=(Q(weight_kg__isnull=True) | Q(weight_kg__gt=0))
                                   & (Q(length_cm__isnull=True) | Q(length_cm__gt=0))
                                   & (Q(width_cm__isnull=True) | Q(width_cm__gt=0))
                                   & (Q(height_cm__isnull=True) | Q(height_cm__gt=0)),
                                   name="package_measures_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id}#{self.number}"

    @property
    def is_measured(self) -> bool:
        return None not in (self.weight_kg, self.length_cm, self.width_cm, self.height_cm)

    @property
    def volume_m3(self) -> Decimal | None:
        if not self.is_measured:
            return None
        return (self.length_cm * self.width_cm * self.height_cm / Decimal(1_000_000)).quantize(Decimal("0.0001"))


class PackedItem(models.Model):
    """A quantity of one shipment line, of one batch, that the packer scanned or typed and
    the system verified against the order, in one package."""

    line = models.ForeignKey(ShipmentLine, verbose_name=_("shipment line"), on_delete=models.CASCADE,
                             related_name="items")
    package = models.ForeignKey(Package, verbose_name=_("package"), on_delete=models.PROTECT,
                                related_name="items")
    batch = models.ForeignKey("inventory.Batch", verbose_name=_("batch"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("verified by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    verified_at = models.DateTimeField(_("verified"), auto_now_add=True)

    class Meta:
        verbose_name = _("packed item")
        verbose_name_plural = _("packed items")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="packed_item_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.quantity} ({self.batch_id or '-'})"


class TrackingEvent(models.Model):
    """One event of a shipment's journey, from the carrier or entered by logistics. The
    carrier's event id is unique per shipment, so a poll that sees it again records nothing."""

    shipment = models.ForeignKey(Shipment, verbose_name=_("shipment"), on_delete=models.CASCADE,
                                 related_name="tracking_events")
    external_id = models.CharField(_("event id"), max_length=120)
    occurred_at = models.DateTimeField(_("time"))
    status = models.CharField(_("status"), max_length=20, choices=TrackingStatus.choices)
    location = models.CharField(_("place"), max_length=200, blank=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=EventSource.choices)
    raw = models.JSONField(_("as received"), default=dict, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "external_id"], name="unique_tracking_event_per_shipment"),
            models.CheckConstraint(condition=Q(status__in=TrackingStatus.values), name="tracking_status_known"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.status} {self.occurred_at:%Y-%m-%d %H:%M}"


class ProofOfDelivery(models.Model):
    """Who took the goods, when, with their signature or a photo (order attachments)."""

    shipment = models.OneToOneField(Shipment, verbose_name=_("shipment"), on_delete=models.CASCADE,
                                    related_name="proof_of_delivery")
    recipient_name = models.CharField(_("recipient"), max_length=120, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"))
    signature = models.ForeignKey("orders.Attachment", verbose_name=_("signature"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    photo = models.ForeignKey("orders.Attachment", verbose_name=_("photo"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    notes = models.TextField(_("notes"), blank=True)
    source = models.CharField(_("source"), max_length=8, choices=EventSource.choices, default=EventSource.MANUAL)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("proof of delivery")
        verbose_name_plural = _("proofs of delivery")

    def __str__(self) -> str:
        return f"{self.shipment_id}: {self.recipient_name}"
