from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from oms.append_only import AppendOnlyModel, AppendOnlyQuerySet
from oms.money import DECIMAL_PLACES, MAX_DIGITS

QTY_DIGITS = 14
QTY_PLACES = 3


class SupplyType(models.TextChoices):
    STOCK = "stock", _("From stock")
    MAKE = "make", _("Make to order")
    BUY = "buy", _("Buy in")


class Unit(models.TextChoices):
    PIECE = "pcs", _("pcs")
    SET = "set", _("set")
    KG = "kg", _("kg")
    METRE = "m", _("m")
    LITRE = "l", _("L")


class Product(models.Model):
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices, default=Unit.PIECE)
    list_price = models.DecimalField(_("list price"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES,
                                     validators=[MinValueValidator(0)])
    standard_cost = models.DecimalField(_("standard cost"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES,
                                        default=0, validators=[MinValueValidator(Decimal(0))],
                                        help_text=_("What one unit costs us; quotation reviews show the margin "
                                                    "against it."))
    supply_type = models.CharField(_("supply type"), max_length=8, choices=SupplyType.choices,
                                   default=SupplyType.STOCK)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=10, decimal_places=3, default=0,
                                    validators=[MinValueValidator(0)])
    volume_m3 = models.DecimalField(_("volume (m³)"), max_digits=10, decimal_places=4, default=0,
                                    validators=[MinValueValidator(0)])
    fragile = models.BooleanField(_("fragile"), default=False)
    lead_time_days = models.PositiveIntegerField(_("lead time (days)"), default=0)
    batch_tracked = models.BooleanField(_("batch tracked"), default=False,
                                        help_text=_("Receipts must name a batch; picking follows first-expired, "
                                                    "first-in."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=Q(list_price__gte=0), name="product_list_price_not_negative"),
            models.CheckConstraint(condition=Q(standard_cost__gte=0), name="product_standard_cost_not_negative"),
            models.CheckConstraint(condition=Q(weight_kg__gte=0), name="product_weight_not_negative"),
            models.CheckConstraint(condition=Q(volume_m3__gte=0), name="product_volume_not_negative"),
            models.CheckConstraint(condition=~Q(sku=""), name="product_sku_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} · {self.name}"


class Warehouse(models.Model):
    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=120)
    address = models.CharField(_("address"), max_length=250, blank=True)
    regions = models.CharField(
        _("regions served"), max_length=250, blank=True,
        help_text=_("Provinces or states this warehouse serves first, separated by commas (e.g. 上海, 江苏, 浙江)."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    def serves(self, region: str) -> bool:
        region = (region or "").strip().lower()
        return bool(region) and region in {r.strip().lower() for r in self.regions.split(",") if r.strip()}


class Location(models.Model):
    """A bin or area inside a warehouse."""

    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT,
                                  related_name="locations")
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=120, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    #: The location receipts go to when none is named.
    DEFAULT_CODE = "RECEIVING"

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["warehouse__code", "code"]
        constraints = [models.UniqueConstraint(fields=["warehouse", "code"], name="unique_location_per_warehouse")]

    def __str__(self) -> str:
        return f"{self.warehouse.code}/{self.code}"


class Batch(models.Model):
    """A batch / lot of a product, with its expiry date if it has one."""

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="batches")
    code = models.CharField(_("batch"), max_length=64)
    expires_on = models.DateField(_("expires"), null=True, blank=True)
    received_on = models.DateField(_("received"))

    class Meta:
        verbose_name = _("batch")
        verbose_name_plural = _("batches")
        ordering = ["product_id", "expires_on", "received_on", "code"]
        constraints = [models.UniqueConstraint(fields=["product", "code"], name="unique_batch_per_product")]

    def __str__(self) -> str:
        return self.code


class MoveKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    RESERVE = "reserve", _("Reservation")
    RELEASE = "release", _("Release")
    ISSUE = "issue", _("Issue")
    ADJUST = "adjust", _("Adjustment")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    IN_TRANSIT = "in_transit", _("In transit")
    TRANSFER_IN = "transfer_in", _("Transfer in")


class StockMove(AppendOnlyModel, models.Model):
    """One entry of the stock ledger. Stock levels change only through moves, so the
    levels can always be rebuilt from them: on hand = Σ on_hand_delta, reserved =
    Σ reserved_delta, in transit = Σ in_transit_delta per product and warehouse (and on
    hand per location and batch). Written once, never changed or deleted
    (oms/append_only.py)."""

    kind = models.CharField(_("kind"), max_length=12, choices=MoveKind.choices)
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="moves")
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT,
                                  related_name="moves")
    location = models.ForeignKey(Location, verbose_name=_("location"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="moves")
    batch = models.ForeignKey(Batch, verbose_name=_("batch"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="moves")
    on_hand_delta = models.DecimalField(_("on hand change"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES,
                                        default=0)
    reserved_delta = models.DecimalField(_("reserved change"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES,
                                         default=0)
    in_transit_delta = models.DecimalField(_("in transit change"), max_digits=QTY_DIGITS,
                                           decimal_places=QTY_PLACES, default=0)
    rejected_quantity = models.DecimalField(_("rejected at inspection"), max_digits=QTY_DIGITS,
                                            decimal_places=QTY_PLACES, default=0)
    source_type = models.CharField(_("document type"), max_length=24, blank=True)
    source_id = models.PositiveBigIntegerField(_("document id"), null=True, blank=True)
    reference = models.CharField(_("document"), max_length=64, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["product", "warehouse"], name="move_product_warehouse_idx"),
            models.Index(fields=["source_type", "source_id"], name="move_source_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=MoveKind.values), name="stock_move_kind_known"),
            models.CheckConstraint(condition=~Q(kind__in=["reserve", "release"]) | Q(on_hand_delta=0),
                                   name="reservation_moves_leave_on_hand"),
            models.CheckConstraint(condition=Q(rejected_quantity__gte=0), name="stock_move_rejected_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.product_id}@{self.warehouse_id}"


class StockQuant(models.Model):
    """What one location holds of one product and batch (the physical side of the ledger)."""

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="quants")
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT,
                                  related_name="quants")
    location = models.ForeignKey(Location, verbose_name=_("location"), on_delete=models.PROTECT,
                                 related_name="quants")
    batch = models.ForeignKey(Batch, verbose_name=_("batch"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="quants")
    on_hand = models.DecimalField(_("on hand"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES, default=0)

    class Meta:
        verbose_name = _("stock by location")
        verbose_name_plural = _("stock by location")
        ordering = ["warehouse_id", "location__code", "product_id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "location", "batch"], name="one_quant_per_location_batch"),
            models.UniqueConstraint(fields=["product", "location"], condition=Q(batch__isnull=True),
                                    name="one_quant_per_location_without_batch"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="quant_on_hand_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.location_id}/{self.batch_id}"


class StockLevel(models.Model):
    """How much of a product one warehouse holds, and how much of that is promised.

    Changed only by the stock services, together with a StockMove (the ledger) and, for
    physical moves, a StockQuant. The invariant `0 <= reserved <= on_hand` is kept by
    the database whatever the concurrency.
    """

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="stock_levels")
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT,
                                  related_name="stock_levels")
    on_hand = models.DecimalField(_("on hand"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES, default=0)
    reserved = models.DecimalField(_("reserved"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES, default=0)
    in_transit = models.DecimalField(_("in transit"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES, default=0,
                                     help_text=_("Sent here by a transfer from another warehouse, not yet arrived."))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        ordering = ["product__sku", "warehouse__code"]
        permissions = [
            ("receive_stock", _("Can receive stock")),
            ("adjust_stock", _("Can adjust stock")),
            ("transfer_stock", _("Can transfer stock between warehouses")),
            ("count_stock", _("Can enter cycle counts")),
            ("confirm_count", _("Can confirm cycle counts")),
            ("plan_supply", _("Can plan work and purchase orders")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="one_stock_level_per_product_warehouse"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stock_reserved_not_negative"),
            models.CheckConstraint(condition=Q(reserved__lte=F("on_hand")), name="stock_reserved_within_on_hand"),
            models.CheckConstraint(condition=Q(in_transit__gte=0), name="stock_in_transit_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku} @ {self.warehouse.code}"

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved
