"""Review (DESIGN.md §2 stage 4): the automatic credit and availability checks, their
re-run while in review, and the override of a failed check.

The checks run in a Celery task started on commit of `submit` (or of a re-run request).
Each run stores one ReviewCheck per kind with its result, findings and the data it saw,
sets a promise date on every line, and keeps a summary (`checks_result`) on the order
that the approval condition reads without a query."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from oms.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from oms.money import quantize
from oms.services import service_transaction

from ..availability import promise_lines
from ..locks import lock_order
from ..models import (
    REVIEW_STATES,
    CheckKind,
    CheckOutcome,
    ChecksResult,
    OrderState,
    ReviewCheck,
    SalesOrder,
    SalesOrderLine,
)
from .core import apply_transition, enqueue_checks, lock_visible_order, record_event

#: Orders whose value counts against the customer's credit: accepted, not yet paid up.
EXPOSURE_STATES = [
    OrderState.APPROVED, OrderState.IN_FULFILMENT, OrderState.READY_TO_SHIP, OrderState.PARTIALLY_SHIPPED,
    OrderState.SHIPPED, OrderState.DELIVERED, OrderState.INVOICED,
]
#: Above this share of the credit limit the credit check warns.
CREDIT_WARNING_SHARE = Decimal("0.9")


def _credit_check(order: SalesOrder) -> dict[str, Any]:
    """Open exposure plus this order against the limit; prepayment for flagged and for new
    customers (no payment history). Says by how much a failing order is over."""
    customer = order.customer
    others = (SalesOrder.objects.filter(customer=customer, state__in=EXPOSURE_STATES).exclude(pk=order.pk)
              .aggregate(open=Sum(F("total_amount") - F("amount_paid")), count=Count("id")))
    exposure = quantize(others["open"] or Decimal(0))
    this_order = quantize(order.total_amount - order.amount_paid)
    needed = exposure + this_order
    limit = customer.credit_limit
    problems, result = [], CheckOutcome.PASS
    prepayment_reason = ""
    if customer.prepayment_required:
        prepayment_reason = _("the customer is flagged for prepayment")
    elif customer.first_paid_on is None:
        prepayment_reason = _("a new customer without payment history")
    if prepayment_reason and this_order > 0:
        result = CheckOutcome.FAIL
        problems.append(_("Prepayment of %(amount)s required: %(reason)s.")
                        % {"amount": this_order, "reason": prepayment_reason})
    if needed > limit:
        result = CheckOutcome.FAIL
        problems.append(
            _("Credit limit exceeded by %(over)s: open exposure %(exposure)s plus this order %(order)s "
              "against a limit of %(limit)s.")
            % {"over": quantize(needed - limit), "exposure": exposure, "order": this_order, "limit": limit})
    elif result == CheckOutcome.PASS and limit > 0 and needed > limit * CREDIT_WARNING_SHARE:
        result = CheckOutcome.WARNING
        problems.append(_("Credit nearly used up: %(used)s of %(limit)s after this order.")
                        % {"used": needed, "limit": limit})
    return {
        "result": result, "problems": problems,
        "details": {"exposure": str(exposure), "order_open": str(this_order), "needed": str(needed),
                    "credit_limit": str(limit), "headroom": str(quantize(limit - needed)),
                    "over_by": str(quantize(max(needed - limit, Decimal(0)))),
                    "prepayment_required": bool(prepayment_reason)},
        "seen": {"credit_limit": str(limit), "prepayment_flag": customer.prepayment_required,
                 "first_paid_on": customer.first_paid_on.isoformat() if customer.first_paid_on else None,
                 "other_open_orders": int(others["count"] or 0), "currency": customer.currency},
    }


def check_credit_at_approval(order: SalesOrder) -> None:
    """The credit check again, at the moment of approval, under a lock on the customer.

    The background check ran when the order was submitted; other orders of the customer
    may have been approved since. Locking the customer row (after the order: the lock
    order is order, then customer) makes concurrent approvals for one customer take
    turns, so together they can never pass the limit unseen. An overridden credit check
    of the latest run stands. Must run inside the approving transaction."""
    Customer.objects.select_for_update(no_key=True).only("pk").get(pk=order.customer_id)
    overridden = order.checks.filter(run=order.checks_run, kind=CheckKind.CREDIT,
                                     overridden_at__isnull=False).exists()
    if overridden:
        return
    found = _credit_check(order)
    if found["result"] == CheckOutcome.FAIL:
        raise TransitionNotAllowed(
            _("The credit check fails now: %(problems)s Re-run the checks, or override the credit check with a "
              "reason.") % {"problems": " ".join(found["problems"])},
            code="credit_exceeded", extra={"checks_result": order.checks_result})


def _availability_check(order: SalesOrder, lines: list[SalesOrderLine], today: datetime.date) -> dict[str, Any]:
    promises = promise_lines(lines, requested_date=order.requested_date, today=today)
    problems = []
    for promise in promises:
        if promise.promise_date is None:
            problems.append(_("Line %(line)s (%(sku)s): %(qty)s cannot be supplied from stock, production or "
                              "purchasing.") % {"line": promise.line_no, "sku": promise.sku, "qty": promise.quantity})
        elif not promise.met:
            problems.append(_("Line %(line)s (%(sku)s) can be delivered on %(promise)s, after the requested "
                              "%(requested)s.") % {"line": promise.line_no, "sku": promise.sku,
                                                   "promise": promise.promise_date.isoformat(),
                                                   "requested": promise.requested_date.isoformat()})
    return {
        "result": CheckOutcome.FAIL if problems else CheckOutcome.PASS, "problems": problems,
        "details": {"lines": [p.as_dict() for p in promises]},
        "seen": {"today": today.isoformat(),
                 "requested_date": order.requested_date.isoformat() if order.requested_date else None},
        "promises": {p.line_no: p.promise_date for p in promises},
    }


def order_run_checks(*, order_id: int) -> str:
    """Run the automatic checks of an order in review whose checks are due.

    Idempotent: an order out of review, or already checked since it was submitted or a
    re-run was asked for, is left alone. A failed check puts a submitted order on hold
    with the reasons. Returns "passed", "on_hold" (held now), "failed" (was on hold
    already) or "skipped"."""
    with service_transaction():
        try:
            order = lock_order(order_id)
        except SalesOrder.DoesNotExist:
            return "skipped"
        if order.state not in REVIEW_STATES or order.checks_done_at is not None:
            return "skipped"
        lines = list(order.lines.select_related("product").order_by("line_no"))
        today = timezone.localdate()
        results = {CheckKind.CREDIT: _credit_check(order), CheckKind.AVAILABILITY: _availability_check(order, lines,
                                                                                                         today)}
        order.checks_run += 1
        ReviewCheck.objects.bulk_create([
            ReviewCheck(order=order, run=order.checks_run, kind=kind, result=found["result"],
                        summary="\n".join(found["problems"]), details=found["details"], seen=found["seen"])
            for kind, found in results.items()
        ])
        promises = results[CheckKind.AVAILABILITY]["promises"]
        for line in lines:
            line.promise_date = promises.get(line.line_no)
        SalesOrderLine.objects.bulk_update(lines, ["promise_date"])

        outcomes = {found["result"] for found in results.values()}
        order.checks_result = (ChecksResult.FAILED if CheckOutcome.FAIL in outcomes
                               else ChecksResult.WARNINGS if CheckOutcome.WARNING in outcomes
                               else ChecksResult.PASSED)
        order.checks_done_at = timezone.now()
        payload = {"run": order.checks_run, **{kind: found["result"] for kind, found in results.items()}}
        # The timeline is read by everyone who sees the order: credit figures stay on the
        # check (shown only with customers.view_credit), the timeline just names the failure.
        problems = []
        for kind, found in results.items():
            if found["result"] != CheckOutcome.FAIL:
                continue
            if kind == CheckKind.CREDIT:
                problems.append(_("The credit check failed (see the review checks)."))
            else:
                problems.extend(found["problems"])
        if problems and order.state == OrderState.SUBMITTED:
            apply_transition(order, "hold", by=None, reason="\n".join(problems), payload=payload)
            return "on_hold"
        order.save(update_fields=["checks_run", "checks_result", "checks_done_at", "updated_at"])
        record_event(order, kind="checks_failed" if problems else "checks_passed", from_state=order.state,
                     to_state=order.state, reason="\n".join(problems), payload=payload)
        return "failed" if problems else "passed"


def order_request_checks(*, order_id: int, by: Any) -> SalesOrder:
    """Ask for the checks to run again (an order in review): the result of the new run
    replaces the old one, and overrides of the old run no longer count."""
    if not by.has_perm("orders.run_checks"):
        raise PermissionDenied(_("You are not allowed to re-run the checks."))
    with service_transaction():
        order = lock_visible_order(order_id, by)
        if order.state not in REVIEW_STATES:
            raise TransitionNotAllowed(_("The checks run only while the order is in review."),
                                       code="order_not_in_review", extra={"state": order.state})
        order.checks_done_at = None
        order.checks_result = ChecksResult.PENDING
        order.save(update_fields=["checks_done_at", "checks_result", "updated_at"])
        record_event(order, kind="checks_requested", by=by, from_state=order.state, to_state=order.state)
        order_id = order.pk
        transaction.on_commit(lambda: enqueue_checks(order_id), robust=True)
    return order


def order_override_check(*, order_id: int, check_id: int, by: Any, reason: str) -> ReviewCheck:
    """Accept a failed check of the latest run anyway, with a written reason. Needs its
    own permission, and never by the person who entered the order. When no failed check
    is left standing, the order can be approved."""
    if not by.has_perm("orders.override_checks"):
        raise PermissionDenied(_("Overriding a failed check needs its own permission."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(errors={"reason": [_("Say why the failed check may be overridden.")]})
    with service_transaction():
        order = lock_visible_order(order_id, by)
        if order.entered_by_id == by.pk:
            raise PermissionDenied(_("The person who entered an order cannot override its checks."),
                                   code="four_eyes_rule")
        if order.state not in REVIEW_STATES or order.checks_done_at is None:
            raise TransitionNotAllowed(_("Only the checks of an order in review can be overridden."),
                                       code="order_not_in_review", extra={"state": order.state})
        checks = list(order.checks.select_for_update(no_key=True).filter(run=order.checks_run))
        check = next((c for c in checks if c.pk == check_id), None)
        if check is None:
            raise ValidationFailed(errors={"check": [_("This is not a check of the order's latest run.")]})
        if check.result != CheckOutcome.FAIL or check.overridden_at is not None:
            raise TransitionNotAllowed(_("Only a failed check that is not overridden yet can be overridden."),
                                       code="check_not_failed")
        check.overridden_by, check.overridden_at, check.override_reason = by, timezone.now(), reason
        check.save(update_fields=["overridden_by", "overridden_at", "override_reason"])
        if not any(c.is_blocking for c in checks if c.pk != check.pk):
            order.checks_result = ChecksResult.OVERRIDDEN
            order.save(update_fields=["checks_result", "updated_at"])
        record_event(order, kind="check_overridden", by=by, from_state=order.state, to_state=order.state,
                     reason=reason, payload={"check_id": check.pk, "kind": check.kind, "run": check.run})
    return check


def orders_awaiting_checks(*, older_than: datetime.timedelta) -> list[int]:
    """Ids of orders in review whose checks have not run (lost enqueue, broker outage)."""
    cutoff = timezone.now() - older_than
    return list(
        SalesOrder.objects.filter(state__in=REVIEW_STATES, checks_done_at__isnull=True, updated_at__lt=cutoff)
        .order_by("pk").values_list("pk", flat=True)[:500]
    )
