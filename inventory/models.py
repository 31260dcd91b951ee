from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

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
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class StockLevel(models.Model):
    """How much of a product one warehouse holds, and how much of that is promised.

    The fulfilment work grows this into locations, batches and a ledger; the invariant
    `0 <= reserved <= on_hand` is kept by the database whatever grows around it.
    """

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="stock_levels")
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT,
                                  related_name="stock_levels")
    on_hand = models.DecimalField(_("on hand"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES, default=0)
    reserved = models.DecimalField(_("reserved"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES, default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        ordering = ["product__sku", "warehouse__code"]
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="one_stock_level_per_product_warehouse"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stock_reserved_not_negative"),
            models.CheckConstraint(condition=Q(reserved__lte=F("on_hand")), name="stock_reserved_within_on_hand"),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku} @ {self.warehouse.code}"

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved
