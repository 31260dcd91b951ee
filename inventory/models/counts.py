"""Transfers between warehouses and cycle counts: the two stock documents that are not
about a sales, purchase or work order."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .stock import QTY_DIGITS, QTY_PLACES, Batch, Location, Product, Warehouse


class TransferState(models.TextChoices):
    IN_TRANSIT = "in_transit", _("In transit")
    RECEIVED = "received", _("Received")


class Transfer(models.Model):
    """Stock sent from one warehouse to another: out of the source location when sent
    (in transit at the destination), into the destination location when received."""

    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="transfers")
    batch = models.ForeignKey(Batch, verbose_name=_("batch"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES)
    from_location = models.ForeignKey(Location, verbose_name=_("from location"), on_delete=models.PROTECT,
                                      related_name="+")
    to_warehouse = models.ForeignKey(Warehouse, verbose_name=_("to warehouse"), on_delete=models.PROTECT,
                                     related_name="incoming_transfers")
    to_location = models.ForeignKey(Location, verbose_name=_("to location"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=12, choices=TransferState.choices,
                             default=TransferState.IN_TRANSIT, db_index=True)
    note = models.CharField(_("note"), max_length=250, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sent by"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("received by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField(_("received"), null=True, blank=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="transfer_quantity_positive"),
            models.CheckConstraint(condition=Q(state__in=TransferState.values), name="transfer_state_known"),
        ]

    def __str__(self) -> str:
        return self.number


class CountState(models.TextChoices):
    OPEN = "open", _("To count")
    COUNTED = "counted", _("Counted, to confirm")
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Cancelled")


class CycleCount(models.Model):
    """A count sheet for one location: what the ledger says it holds when the sheet is
    made, what was counted, and, once a second person confirms, the adjustments."""

    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    location = models.ForeignKey(Location, verbose_name=_("location"), on_delete=models.PROTECT,
                                 related_name="counts")
    state = models.CharField(_("state"), max_length=12, choices=CountState.choices, default=CountState.OPEN,
                             db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    counted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("counted by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    counted_at = models.DateTimeField(_("counted"), null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)

    class Meta:
        verbose_name = _("cycle count")
        verbose_name_plural = _("cycle counts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=CountState.values), name="count_state_known"),
            models.UniqueConstraint(fields=["location"], condition=Q(state__in=["open", "counted"]),
                                    name="one_count_in_progress_per_location"),
        ]

    def __str__(self) -> str:
        return self.number


class CycleCountLine(models.Model):
    count = models.ForeignKey(CycleCount, verbose_name=_("count"), on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(Batch, verbose_name=_("batch"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    expected = models.DecimalField(_("expected"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES)
    counted = models.DecimalField(_("counted"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES, null=True,
                                  blank=True)

    class Meta:
        verbose_name = _("count line")
        verbose_name_plural = _("count lines")
        ordering = ["count_id", "product__sku", "batch__code"]
        constraints = [models.CheckConstraint(condition=Q(counted__isnull=True) | Q(counted__gte=0),
                                              name="count_line_counted_not_negative")]

    def __str__(self) -> str:
        return f"{self.count_id}/{self.product_id}"

    @property
    def difference(self) -> Decimal | None:
        return None if self.counted is None else self.counted - self.expected
