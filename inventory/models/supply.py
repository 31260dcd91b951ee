"""Supply: suppliers, purchase requisitions and purchase orders, work orders, and the
exceptions recorded on them (DESIGN.md §2 stage 5)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from oms.money import DECIMAL_PLACES, MAX_DIGITS, Currency, quantize

from .stock import QTY_DIGITS, QTY_PLACES, Product, Warehouse


def _qty(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=QTY_DIGITS, decimal_places=QTY_PLACES, **kwargs)


class Supplier(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    contact_name = models.CharField(_("contact"), max_length=120, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY)
    lead_time_days = models.PositiveIntegerField(_("usual lead time (days)"), default=14)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=~Q(code=""), name="supplier_code_not_empty")]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class RequisitionState(models.TextChoices):
    OPEN = "open", _("Open")
    ORDERED = "ordered", _("Ordered")
    CANCELLED = "cancelled", _("Cancelled")


class PurchaseRequisition(models.Model):
    """A request to buy: raised for a short line of a sales order (or by a planner), turned
    into a purchase order line by a planner."""

    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="requisitions")
    quantity = _qty(_("quantity"))
    needed_by = models.DateField(_("needed by"), null=True, blank=True)
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    sales_order_line = models.ForeignKey("orders.SalesOrderLine", verbose_name=_("for order line"), null=True,
                                         blank=True, on_delete=models.SET_NULL, related_name="requisitions")
    purchase_order_line = models.ForeignKey("PurchaseOrderLine", verbose_name=_("purchase order line"), null=True,
                                            blank=True, on_delete=models.SET_NULL, related_name="requisitions")
    state = models.CharField(_("state"), max_length=12, choices=RequisitionState.choices,
                             default=RequisitionState.OPEN, db_index=True)
    note = models.CharField(_("note"), max_length=250, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("raised by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("raised"), auto_now_add=True)

    class Meta:
        verbose_name = _("purchase requisition")
        verbose_name_plural = _("purchase requisitions")
        ordering = ["needed_by", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="requisition_quantity_positive"),
            models.CheckConstraint(condition=Q(state__in=RequisitionState.values), name="requisition_state_known"),
        ]

    def __str__(self) -> str:
        return self.number


class PurchaseOrderState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    CONFIRMED = "confirmed", _("Confirmed")
    PARTIALLY_RECEIVED = "partially_received", _("Partially received")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")


#: Purchase orders whose open quantities count as incoming supply.
INCOMING_PO_STATES = [PurchaseOrderState.SENT, PurchaseOrderState.CONFIRMED, PurchaseOrderState.PARTIALLY_RECEIVED]
_PO = PurchaseOrderState


class PurchaseOrder(FSMModelMixin, models.Model):
    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    supplier = models.ForeignKey(Supplier, verbose_name=_("supplier"), on_delete=models.PROTECT,
                                 related_name="purchase_orders")
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("deliver to"), on_delete=models.PROTECT,
                                  related_name="purchase_orders")
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY)
    expected_date = models.DateField(_("expected"))
    state = FSMField(_("state"), max_length=20, choices=PurchaseOrderState.choices, default=_PO.DRAFT,
                     protected=True, db_index=True)
    supplier_reference = models.CharField(_("supplier's reference"), max_length=64, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        ordering = ["-created_at", "-id"]
        permissions = [("view_purchase_prices", _("Can see purchase prices"))]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=PurchaseOrderState.values), name="purchase_order_state_known"),
        ]

    def __str__(self) -> str:
        return self.number

    @transition(field=state, source=_PO.DRAFT, target=_PO.SENT)
    def send(self) -> None:
        pass

    @transition(field=state, source=_PO.SENT, target=_PO.CONFIRMED)
    def confirm(self) -> None:
        pass

    @transition(field=state, source=[_PO.SENT, _PO.CONFIRMED, _PO.PARTIALLY_RECEIVED], target=_PO.PARTIALLY_RECEIVED)
    def receive_part(self) -> None:
        pass

    @transition(field=state, source=[_PO.SENT, _PO.CONFIRMED, _PO.PARTIALLY_RECEIVED], target=_PO.RECEIVED)
    def receive_all(self) -> None:
        pass

    @transition(field=state, source=_PO.PARTIALLY_RECEIVED, target=_PO.RECEIVED)
    def close(self) -> None:
        """Close short: the rest will not come."""

    @transition(field=state, source=[_PO.DRAFT, _PO.SENT, _PO.CONFIRMED], target=_PO.CANCELLED)
    def cancel(self) -> None:
        pass

    @property
    def is_open(self) -> bool:
        return self.state in INCOMING_PO_STATES

    @property
    def total(self) -> Decimal:
        """What the lines cost (reads the lines: prefetch them for lists)."""
        return quantize(sum((line.line_total for line in self.lines.all()), start=Decimal(0)))


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(PurchaseOrder, verbose_name=_("purchase order"), on_delete=models.CASCADE,
                                       related_name="lines")
    line_no = models.PositiveIntegerField(_("line"))
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="purchase_lines")
    quantity = _qty(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES,
                                     default=0)
    received_quantity = _qty(_("received (accepted)"), default=0)
    rejected_quantity = _qty(_("rejected at inspection"), default=0)

    class Meta:
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")
        ordering = ["purchase_order_id", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["purchase_order", "line_no"], name="unique_line_no_per_purchase_order"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="purchase_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="purchase_line_price_not_negative"),
            models.CheckConstraint(condition=Q(received_quantity__gte=0) & Q(rejected_quantity__gte=0),
                                   name="purchase_line_received_not_negative"),
            models.CheckConstraint(condition=Q(received_quantity__lte=F("quantity") - F("rejected_quantity")),
                                   name="purchase_line_received_within_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.purchase_order_id}/{self.line_no}"

    @property
    def open_quantity(self) -> Decimal:
        """Still to come: ordered minus what arrived (accepted or rejected)."""
        return max(self.quantity - self.received_quantity - self.rejected_quantity, Decimal(0))

    @property
    def line_total(self) -> Decimal:
        return self.quantity * self.unit_price


class WorkOrderState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    RELEASED = "released", _("Released")
    IN_PROGRESS = "in_progress", _("In progress")
    BLOCKED = "blocked", _("Blocked")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


#: Work orders whose quantity counts as incoming supply.
OPEN_WO_STATES = [WorkOrderState.PLANNED, WorkOrderState.RELEASED, WorkOrderState.IN_PROGRESS,
                  WorkOrderState.BLOCKED]
_WO = WorkOrderState


class WorkOrder(FSMModelMixin, models.Model):
    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="work_orders")
    quantity = _qty(_("quantity"))
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("deliver to"), on_delete=models.PROTECT,
                                  related_name="work_orders")
    due_date = models.DateField(_("due"))
    state = FSMField(_("state"), max_length=16, choices=WorkOrderState.choices, default=_WO.PLANNED,
                     protected=True, db_index=True)
    sales_order_line = models.ForeignKey("orders.SalesOrderLine", verbose_name=_("for order line"), null=True,
                                         blank=True, on_delete=models.SET_NULL, related_name="work_orders")
    completed_quantity = _qty(_("completed (accepted)"), default=0)
    rejected_quantity = _qty(_("rejected at inspection"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="work_order_quantity_positive"),
            models.CheckConstraint(condition=Q(completed_quantity__gte=0) & Q(rejected_quantity__gte=0),
                                   name="work_order_completed_not_negative"),
            models.CheckConstraint(condition=Q(state__in=WorkOrderState.values), name="work_order_state_known"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_WO_STATES

    @transition(field=state, source=_WO.PLANNED, target=_WO.RELEASED)
    def release(self) -> None:
        pass

    @transition(field=state, source=_WO.RELEASED, target=_WO.IN_PROGRESS)
    def start(self) -> None:
        pass

    @transition(field=state, source=[_WO.PLANNED, _WO.RELEASED, _WO.IN_PROGRESS], target=_WO.BLOCKED)
    def block(self) -> None:
        pass

    @transition(field=state, source=_WO.BLOCKED, target=_WO.IN_PROGRESS)
    def resume(self) -> None:
        pass

    @transition(field=state, source=_WO.IN_PROGRESS, target=_WO.DONE)
    def complete(self) -> None:
        pass

    @transition(field=state, source=[_WO.PLANNED, _WO.RELEASED, _WO.BLOCKED], target=_WO.CANCELLED)
    def cancel(self) -> None:
        pass


class ExceptionKind(models.TextChoices):
    MACHINE_BREAKDOWN = "machine_breakdown", _("Machine breakdown")
    MATERIAL_SHORTAGE = "material_shortage", _("Material shortage")
    QUALITY_ISSUE = "quality_issue", _("Quality issue")
    SUPPLIER_DELAY = "supplier_delay", _("Supplier delay")
    OTHER = "other", _("Other")


#: What can block a work order (a supplier delay belongs to purchase orders).
WORK_ORDER_EXCEPTIONS = [ExceptionKind.MACHINE_BREAKDOWN, ExceptionKind.MATERIAL_SHORTAGE,
                         ExceptionKind.QUALITY_ISSUE, ExceptionKind.OTHER]


class SupplyException(models.Model):
    """Something that delays supply, recorded on a work order or a purchase order; it
    flags the sales orders whose promise dates it moves."""

    kind = models.CharField(_("kind"), max_length=20, choices=ExceptionKind.choices)
    work_order = models.ForeignKey(WorkOrder, verbose_name=_("work order"), null=True, blank=True,
                                   on_delete=models.CASCADE, related_name="exceptions")
    purchase_order = models.ForeignKey(PurchaseOrder, verbose_name=_("purchase order"), null=True, blank=True,
                                       on_delete=models.CASCADE, related_name="exceptions")
    note = models.TextField(_("what happened"))
    new_date = models.DateField(_("new expected date"), null=True, blank=True)
    previous_date = models.DateField(_("previous date"), null=True, blank=True)
    affected_orders = models.ManyToManyField("orders.SalesOrder", verbose_name=_("affected orders"), blank=True,
                                             related_name="supply_exceptions")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("raised by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    raised_at = models.DateTimeField(_("raised"), auto_now_add=True, db_index=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("resolved by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("supply exception")
        verbose_name_plural = _("supply exceptions")
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ExceptionKind.values), name="supply_exception_kind_known"),
            models.CheckConstraint(
                condition=(Q(work_order__isnull=False) & Q(purchase_order__isnull=True))
                | (Q(work_order__isnull=True) & Q(purchase_order__isnull=False)),
                name="supply_exception_on_one_document"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.document}"

    @property
    def document(self) -> WorkOrder | PurchaseOrder:
        return self.work_order or self.purchase_order

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
