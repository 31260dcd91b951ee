"""Sales orders, their lines, the order state machine and the order timeline."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition

from inventory.models import QTY_DIGITS, QTY_PLACES
from oms.append_only import AppendOnlyModel, AppendOnlyQuerySet
from oms.money import DECIMAL_PLACES, MAX_DIGITS, Currency, PaymentTerms, quantize


class OrderState(models.TextChoices):
    INQUIRY = "inquiry", _("Inquiry")
    QUOTED = "quoted", _("Quoted")
    CONTRACTED = "contracted", _("Contracted")
    SUBMITTED = "submitted", _("Submitted")
    ON_HOLD = "on_hold", _("On hold")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    IN_FULFILMENT = "in_fulfilment", _("In fulfilment")
    READY_TO_SHIP = "ready_to_ship", _("Ready to ship")
    PARTIALLY_SHIPPED = "partially_shipped", _("Partially shipped")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    INVOICED = "invoiced", _("Invoiced")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


S = OrderState

#: States a sales order can still be cancelled from (nothing has left the warehouse).
CANCELLABLE_STATES = [
    S.INQUIRY, S.QUOTED, S.CONTRACTED, S.SUBMITTED, S.ON_HOLD, S.APPROVED, S.REJECTED,
    S.IN_FULFILMENT, S.READY_TO_SHIP,
]
#: States an order is in review in: the automatic checks run, reviewers decide.
REVIEW_STATES = [S.SUBMITTED, S.ON_HOLD]
#: States the warehouse works on (and so may see).
FULFILMENT_STATES = [S.APPROVED, S.IN_FULFILMENT, S.READY_TO_SHIP, S.PARTIALLY_SHIPPED]
OPEN_STATES = [s for s in S if s not in (S.CLOSED, S.CANCELLED)]


class Channel(models.TextChoices):
    WEB = "web", _("Order desk (web)")
    EMAIL = "email", _("E-mail (scan)")
    FAX = "fax", _("Fax")
    PHONE = "phone", _("Phone (verbal)")
    API = "api", _("REST API")
    ESHOP = "eshop", _("E-shop")
    CSV = "csv", _("CSV upload")
    SALES = "sales", _("Sales representative")


class ChecksResult(models.TextChoices):
    """The outcome of the latest automatic checks, kept on the order for cheap conditions."""

    PENDING = "pending", _("Checks pending")
    PASSED = "passed", _("Checks passed")
    WARNINGS = "warnings", _("Passed with warnings")
    FAILED = "failed", _("A check failed")
    OVERRIDDEN = "overridden", _("Failed check overridden")


#: Check outcomes an order can be approved with.
APPROVABLE_CHECKS = [ChecksResult.PASSED, ChecksResult.WARNINGS, ChecksResult.OVERRIDDEN]


def _can_approve(order: SalesOrder, user) -> bool:
    """A second person approves: never the one who entered the order."""
    return user.has_perm("orders.approve_order") and order.entered_by_id != user.pk


class SalesOrder(FSMModelMixin, models.Model):
    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="orders")
    contact = models.ForeignKey("customers.Contact", verbose_name=_("contact"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.SALES)
    customer_reference = models.CharField(_("customer reference"), max_length=64, blank=True)
    external_ref = models.CharField(
        _("external reference"), max_length=100, blank=True,
        help_text=_("The sending system's id for this order; unique per customer and channel, so the same order "
                    "cannot be created twice."))
    requested_date = models.DateField(_("requested delivery date"), null=True, blank=True)
    delivery_address = models.ForeignKey("customers.Address", verbose_name=_("delivery address"), null=True,
                                         blank=True, on_delete=models.PROTECT, related_name="+")
    payment_terms = models.CharField(_("payment terms"), max_length=16, choices=PaymentTerms.choices, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY)
    notes = models.TextField(_("notes"), blank=True)
    state = FSMField(_("state"), max_length=20, choices=OrderState.choices, default=OrderState.INQUIRY,
                     protected=True, db_index=True)
    total_amount = models.DecimalField(_("total"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES,
                                       default=0)
    amount_paid = models.DecimalField(_("paid"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES,
                                      default=0)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    checks_done_at = models.DateTimeField(_("checks done"), null=True, blank=True)
    checks_run = models.PositiveIntegerField(_("check runs"), default=0, editable=False)
    checks_result = models.CharField(_("checks"), max_length=12, choices=ChecksResult.choices,
                                     default=ChecksResult.PENDING)
    confirmation_due = models.DateField(
        _("written confirmation due"), null=True, blank=True,
        help_text=_("Set for verbal (phone) orders: the date the customer's written confirmation is due."))
    confirmed_at = models.DateTimeField(_("written confirmation received"), null=True, blank=True)
    approval_emailed_at = models.DateTimeField(_("order confirmation e-mailed"), null=True, blank=True,
                                               editable=False)
    confirmation_reminder = models.CharField(_("confirmation reminder sent"), max_length=8, blank=True,
                                             editable=False)
    urgent = models.BooleanField(_("urgent"), default=False)
    priority_boost = models.IntegerField(
        _("priority adjustment"), default=0,
        help_text=_("Points a planner added to (or took from) the computed priority, with a reason."))
    priority = models.IntegerField(
        _("priority"), default=0, db_index=True,
        help_text=_("Higher goes first for scarce stock and in the queues: customer tier, urgency and due date, "
                    "plus the planner's adjustment."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("sales order")
        verbose_name_plural = _("sales orders")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "state"], name="order_customer_state_idx"),
            models.Index(fields=["state", "-created_at"], name="order_state_created_idx"),
            # the queues in their order (orders.selectors.BY_PRIORITY): a queue page reads its
            # first rows straight off these small indexes, whatever the number of finished orders
            models.Index(fields=["-priority", "requested_date", "created_at", "id"],
                         condition=Q(state__in=REVIEW_STATES), name="order_review_priority_idx"),
            models.Index(fields=["-priority", "requested_date", "created_at", "id"],
                         condition=Q(state__in=FULFILMENT_STATES), name="order_fulfilment_priority_idx"),
            # and, on PostgreSQL only, order_number_trgm_idx: a trigram index for the order
            # list's search, number contains (migration 0010)
        ]
        permissions = [
            ("view_all_orders", _("Can see every order")),
            ("view_fulfilment_orders", _("Can see orders being fulfilled")),
            ("view_prices", _("Can see prices and totals")),
            ("quote_order", _("Can send a quotation")),
            ("contract_order", _("Can record a signed contract")),
            ("submit_order", _("Can submit an order for review")),
            ("hold_order", _("Can put an order on hold")),
            ("approve_order", _("Can approve an order")),
            ("run_checks", _("Can re-run the automatic checks")),
            ("override_checks", _("Can override a failed automatic check")),
            ("reject_order", _("Can reject an order")),
            ("fulfil_order", _("Can release an order to fulfilment")),
            ("pack_order", _("Can mark an order ready to ship")),
            ("ship_order", _("Can ship an order")),
            ("deliver_order", _("Can confirm delivery")),
            ("invoice_order", _("Can invoice an order")),
            ("close_order", _("Can close an order")),
            ("cancel_order", _("Can cancel an order")),
            ("prioritise_order", _("Can change an order's priority")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total_amount__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(condition=Q(amount_paid__gte=0), name="order_paid_not_negative"),
            models.CheckConstraint(condition=Q(state__in=OrderState.values), name="order_state_known"),
            models.CheckConstraint(condition=Q(priority_boost__gte=-1000) & Q(priority_boost__lte=1000),
                                   name="order_priority_boost_bounded"),
            models.UniqueConstraint(fields=["customer", "channel", "external_ref"], condition=~Q(external_ref=""),
                                    name="unique_external_ref_per_customer_channel"),
        ]

    def __str__(self) -> str:
        return self.number

    def refresh_priority(self, today: datetime.date | None = None) -> bool:
        """Recompute the stored priority score (orders.priority); True when it changed."""
        from ..priority import priority_score

        score = priority_score(tier=self.customer.tier, urgent=self.urgent, requested_date=self.requested_date,
                               boost=self.priority_boost, today=today or timezone.localdate())
        changed, self.priority = score != self.priority, score
        return changed

    # --- conditions (cheap: they read lines already prefetched by the selectors) -------

    def has_lines(self) -> bool:
        return bool(self.lines.all())

    def missing_for_submission(self) -> list[str]:
        """What the completeness check (DESIGN.md §2.3) finds missing, as field names."""
        missing = []
        if not self.customer_id:
            missing.append("customer")
        if not self.contact_id:
            missing.append("contact")
        if not self.has_lines():
            missing.append("lines")
        if not self.delivery_address_id:
            missing.append("delivery_address")
        if not self.requested_date:
            missing.append("requested_date")
        if not self.payment_terms:
            missing.append("payment_terms")
        return missing

    def is_complete(self) -> bool:
        return not self.missing_for_submission()

    @property
    def total_is_known(self) -> bool:
        """False for an inquiry or quoted order without lines yet: its value is on the quotation."""
        return bool(self.total_amount) or self.state not in (OrderState.INQUIRY, OrderState.QUOTED)

    @property
    def awaiting_confirmation(self) -> bool:
        """A verbal order whose written confirmation has not arrived yet."""
        return self.confirmation_due is not None and self.confirmed_at is None

    def is_confirmed_in_writing(self) -> bool:
        return not self.awaiting_confirmation

    def checks_cleared(self) -> bool:
        return self.checks_result in APPROVABLE_CHECKS

    def is_paid_in_full(self) -> bool:
        return self.amount_paid >= self.total_amount

    def accepts_payments(self) -> bool:
        """Money can be recorded (prepayments included) until the order is closed or cancelled."""
        return self.state not in (OrderState.CLOSED, OrderState.CANCELLED)

    # --- transitions: each changes only this object's state; services do the rest ------

    # quote and contract follow the documents: sending a quotation, signing a contract
    # (orders.services.quotations / contracts); the generic transition service refuses them.
    @transition(field=state, source=S.INQUIRY, target=S.QUOTED, permission="orders.quote_order")
    def quote(self) -> None:
        pass

    @transition(field=state, source=S.QUOTED, target=S.CONTRACTED, permission="orders.contract_order")
    def contract(self) -> None:
        pass

    @transition(field=state, source=[S.INQUIRY, S.CONTRACTED, S.REJECTED], target=S.SUBMITTED,
                conditions=[is_complete], permission="orders.submit_order")
    def submit(self) -> None:
        self.checks_done_at = None
        self.checks_result = ChecksResult.PENDING

    @transition(field=state, source=S.SUBMITTED, target=S.ON_HOLD, permission="orders.hold_order")
    def hold(self) -> None:
        pass

    @transition(field=state, source=[S.SUBMITTED, S.ON_HOLD], target=S.APPROVED, conditions=[checks_cleared],
                permission=_can_approve)
    def approve(self) -> None:
        pass

    @transition(field=state, source=[S.SUBMITTED, S.ON_HOLD], target=S.REJECTED, permission="orders.reject_order")
    def reject(self) -> None:
        pass

    @transition(field=state, source=S.APPROVED, target=S.IN_FULFILMENT, permission="orders.fulfil_order")
    def start_fulfilment(self) -> None:
        pass

    # the shipping steps follow the order's shipments (logistics.services.orders): a packed
    # shipment makes the order ready, shipping and delivering move it on; the generic
    # transition service refuses them.
    @transition(field=state, source=[S.IN_FULFILMENT, S.PARTIALLY_SHIPPED], target=S.READY_TO_SHIP,
                permission="orders.pack_order")
    def mark_ready(self) -> None:
        pass

    @transition(field=state, source=S.READY_TO_SHIP, target=RETURN_VALUE(S.IN_FULFILMENT, S.PARTIALLY_SHIPPED),
                permission="orders.pack_order")
    def unready(self) -> str:
        """No packed shipment is left (one was cancelled or reopened)."""
        shipped = any(line.shipped_quantity > 0 for line in self.lines.all())
        return S.PARTIALLY_SHIPPED if shipped else S.IN_FULFILMENT

    @transition(field=state, source=S.READY_TO_SHIP, target=S.PARTIALLY_SHIPPED,
                conditions=[is_confirmed_in_writing], permission="orders.ship_order")
    def ship_partial(self) -> None:
        pass

    @transition(field=state, source=S.READY_TO_SHIP, target=S.SHIPPED, conditions=[is_confirmed_in_writing],
                permission="orders.ship_order")
    def ship(self) -> None:
        pass

    @transition(field=state, source=S.SHIPPED, target=S.DELIVERED, permission="orders.deliver_order")
    def deliver(self) -> None:
        pass

    @transition(field=state, source=S.DELIVERED, target=S.INVOICED, permission="orders.invoice_order")
    def invoice(self) -> None:
        pass

    @transition(field=state, source=S.INVOICED, target=S.CLOSED, conditions=[is_paid_in_full],
                permission="orders.close_order")
    def close(self) -> None:
        pass

    @transition(field=state, source=CANCELLABLE_STATES, target=S.CANCELLED, permission="orders.cancel_order")
    def cancel(self) -> None:
        pass


class SalesOrderLine(models.Model):
    order = models.ForeignKey(SalesOrder, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField(_("line"))
    product = models.ForeignKey("inventory.Product", verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="order_lines")
    description = models.CharField(_("description"), max_length=250, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES)
    unit_price = models.DecimalField(_("unit price"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    discount_percent = models.DecimalField(_("discount %"), max_digits=5, decimal_places=2, default=0)
    reserved_quantity = models.DecimalField(_("reserved"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES,
                                            default=0)
    backorder_quantity = models.DecimalField(_("backordered"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES,
                                             default=0)
    shipped_quantity = models.DecimalField(_("shipped"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES,
                                           default=0, help_text=_("Issued from stock on shipment."))
    promise_date = models.DateField(_("promise date"), null=True, blank=True,
                                    help_text=_("When this line can be delivered, from the availability check."))

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order_id", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_no"], name="unique_line_no_per_order"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="order_line_unit_price_not_negative"),
            models.CheckConstraint(condition=Q(discount_percent__gte=0) & Q(discount_percent__lte=100),
                                   name="order_line_discount_within_0_100"),
            models.CheckConstraint(condition=Q(reserved_quantity__gte=0) & Q(backorder_quantity__gte=0)
                                   & Q(reserved_quantity__lte=models.F("quantity")),
                                   name="order_line_reserved_within_quantity"),
            models.CheckConstraint(condition=Q(shipped_quantity__gte=0)
                                   & Q(shipped_quantity__lte=models.F("quantity") - models.F("reserved_quantity")),
                                   name="order_line_shipped_within_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.line_no}"

    @property
    def open_quantity(self) -> Decimal:
        """Not yet reserved nor shipped."""
        return self.quantity - self.reserved_quantity - self.shipped_quantity

    @property
    def line_total(self) -> Decimal:
        gross = self.quantity * self.unit_price
        return quantize(gross * (Decimal(100) - self.discount_percent) / Decimal(100))


class CheckKind(models.TextChoices):
    CREDIT = "credit", _("Credit")
    AVAILABILITY = "availability", _("Stock / capacity by date")


class CheckOutcome(models.TextChoices):
    PASS = "pass", _("Pass")
    WARNING = "warning", _("Warning")
    FAIL = "fail", _("Fail")


class ReviewCheck(models.Model):
    """One automatic check of one run on an order: its result, what it found and the
    data it saw. A failed check can be overridden by someone with the permission, with a
    written reason."""

    order = models.ForeignKey(SalesOrder, verbose_name=_("order"), on_delete=models.CASCADE, related_name="checks")
    run = models.PositiveIntegerField(_("run"))
    kind = models.CharField(_("check"), max_length=16, choices=CheckKind.choices)
    result = models.CharField(_("result"), max_length=8, choices=CheckOutcome.choices)
    summary = models.TextField(_("findings"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    seen = models.JSONField(_("data seen"), default=dict, blank=True)
    checked_at = models.DateTimeField(_("checked"), auto_now_add=True)
    overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("overridden by"), null=True,
                                      blank=True, on_delete=models.SET_NULL, related_name="+")
    overridden_at = models.DateTimeField(_("overridden"), null=True, blank=True)
    override_reason = models.TextField(_("override reason"), blank=True)

    class Meta:
        verbose_name = _("review check")
        verbose_name_plural = _("review checks")
        ordering = ["order_id", "-run", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["order", "run", "kind"], name="one_check_per_kind_and_run"),
            models.CheckConstraint(
                condition=Q(overridden_at__isnull=True) | (Q(result="fail") & ~Q(override_reason="")),
                name="only_failed_checks_overridden_with_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} #{self.run} {self.kind}: {self.result}"

    @property
    def is_blocking(self) -> bool:
        return self.result == CheckOutcome.FAIL and self.overridden_at is None


class OrderEvent(AppendOnlyModel, models.Model):
    """One entry of an order's timeline: a transition, or a fact recorded without one.
    Written once, never changed or deleted (oms/append_only.py)."""

    order = models.ForeignKey(SalesOrder, verbose_name=_("order"), on_delete=models.CASCADE,
                              related_name="events")
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("event"), max_length=32)
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["order", "at"], name="order_event_order_at_idx")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}"

    @property
    def label(self) -> str:
        from ..transitions import event_label

        return event_label(self.kind)

    @property
    def from_state_label(self) -> str:
        return OrderState(self.from_state).label if self.from_state in OrderState.values else self.from_state

    @property
    def to_state_label(self) -> str:
        return OrderState(self.to_state).label if self.to_state in OrderState.values else self.to_state


class NumberSequence(models.Model):
    """Per-prefix, per-year counters for human document numbers (SO-2026-000123)."""

    prefix = models.CharField(_("prefix"), max_length=8)
    year = models.PositiveIntegerField(_("year"))
    last_value = models.PositiveBigIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="unique_sequence_per_prefix_year")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last_value}"
