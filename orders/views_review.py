"""Review pages (DESIGN.md §2 stage 4): the approval queue, the review panel of the order
page, and the buttons that re-run the automatic checks or override a failed one.

What the checks found is shaped here for the templates (credit figures only for those who
may see credit data); every decision is a service's: `order_transition` (approve, hold,
reject, through the order's transition endpoint), `order_request_checks` and
`order_override_check`. The queue reads everything through `selectors.approval_queue`, so
it costs a fixed number of queries however many orders wait."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from oms.errors import ApplicationError
from oms.navigation import redirect_back

from . import selectors, services
from .forms import TransitionForm
from .models import REVIEW_STATES, CheckKind, CheckOutcome, ReviewCheck, SalesOrder
from .views_preorder.common import raise_404

QUEUE_PAGE_SIZE = 25
#: The badge style of each check outcome (classes in oms.css).
OUTCOME_STYLE = {CheckOutcome.PASS: "ok", CheckOutcome.WARNING: "warn", CheckOutcome.FAIL: "bad"}


# --- what the checks found, for the templates ---------------------------------------------------

@dataclass(frozen=True)
class CreditFigures:
    exposure: Decimal | None
    order_open: Decimal | None
    needed: Decimal | None
    limit: Decimal | None
    headroom: Decimal | None
    over_by: Decimal | None
    prepayment_required: bool
    prepayment_reason: str
    currency: str


@dataclass(frozen=True)
class LinePromise:
    line_no: int
    sku: str
    quantity: Decimal | None
    requested_date: datetime.date | None
    promise_date: datetime.date | None
    status: str  # "met", "late" or "unavailable" (cannot be supplied at all)
    days_late: int = 0


@dataclass
class CheckView:
    check: ReviewCheck
    findings: list[str]
    credit: CreditFigures | None = None
    lines: list[LinePromise] = field(default_factory=list)
    figures_hidden: bool = False  # a credit check shown to someone without credit data
    may_override: bool = False

    @property
    def style(self) -> str:
        if self.check.result == CheckOutcome.FAIL and self.check.overridden_at is not None:
            return "overridden"
        return OUTCOME_STYLE.get(self.check.result, "")

    @property
    def late_lines(self) -> int:
        return sum(1 for line in self.lines if line.status != "met")


@dataclass
class RunView:
    run: int
    checked_at: datetime.datetime | None
    checks: list[CheckView]


@dataclass
class Review:
    """One order as the reviewer sees it: the latest checks, the earlier runs, the
    differences from the signed contract, and what the viewer may do now."""

    order: SalesOrder
    checks: list[CheckView]
    earlier_runs: list[RunView]
    differences: list[dict[str, Any]]
    has_contract: bool  # a signed contract to compare with (queue only)
    in_review: bool
    pending: bool  # asked for (submitted or re-run) and not run yet
    can_approve: bool
    can_hold: bool
    can_reject: bool
    entered_by_viewer: bool
    may_rerun: bool
    age: str

    @property
    def confirmation_overdue(self) -> bool:
        due = self.order.confirmation_due
        return self.order.awaiting_confirmation and due is not None and due < timezone.localdate()

    @property
    def overrides(self) -> list[ReviewCheck]:
        return [view.check for view in self.checks if view.check.overridden_at is not None]

    @property
    def has_actions(self) -> bool:
        return (self.can_approve or self.can_hold or self.can_reject or self.may_rerun
                or any(view.may_override for view in self.checks))


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def _date(value: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _line_promises(details: dict) -> list[LinePromise]:
    promises = []
    for line in details.get("lines") or []:
        requested, promised = _date(line.get("requested_date")), _date(line.get("promise_date"))
        if promised is None:
            status, late = "unavailable", 0
        elif requested is not None and promised > requested:
            status, late = "late", (promised - requested).days
        else:
            status, late = "met", 0
        promises.append(LinePromise(line_no=line.get("line_no", 0), sku=line.get("sku", ""),
                                    quantity=_decimal(line.get("quantity")), requested_date=requested,
                                    promise_date=promised, status=status, days_late=late))
    return promises


def _check_view(check: ReviewCheck, *, show_credit: bool) -> CheckView:
    details = check.details or {}
    findings = [text for text in check.summary.splitlines() if text.strip()]
    if check.kind == CheckKind.CREDIT:
        if not show_credit:  # the findings name the amounts too
            return CheckView(check, findings=[], figures_hidden=True)
        seen = check.seen or {}
        prepayment = bool(details.get("prepayment_required"))
        # the reason in the viewer's language (the stored findings are in the worker's)
        reason = ("" if not prepayment else _("the customer is flagged for prepayment") if seen.get("prepayment_flag")
                  else _("a new customer without payment history"))
        credit = CreditFigures(
            exposure=_decimal(details.get("exposure")), order_open=_decimal(details.get("order_open")),
            needed=_decimal(details.get("needed")), limit=_decimal(details.get("credit_limit")),
            headroom=_decimal(details.get("headroom")), over_by=_decimal(details.get("over_by")),
            prepayment_required=prepayment, prepayment_reason=reason,
            currency=seen.get("currency") or check.order.currency,
        )
        return CheckView(check, findings=findings, credit=credit)
    return CheckView(check, findings=findings, lines=_line_promises(details))


def _kind_rank(check: ReviewCheck) -> int:
    """Credit first, then availability (the order of CheckKind)."""
    return CheckKind.values.index(check.kind) if check.kind in CheckKind.values else len(CheckKind.values)


def review_of(order: SalesOrder, user: Any, *, transitions: list[str] | None = None) -> Review:
    """What `user` sees of the review of `order`. Reads prefetched data only: the order's
    `checks` (selectors.review_checks_prefetch), its lines and, for the contract
    differences, `signed_contracts` (selectors.approval_queue)."""
    show_credit = user.has_perm("customers.view_credit")
    in_review = order.state in REVIEW_STATES
    names = transitions if transitions is not None else selectors.available_transitions(order, user)
    may_override = (in_review and order.checks_done_at is not None and order.entered_by_id != user.pk
                    and user.has_perm("orders.override_checks"))
    runs: dict[int, list[ReviewCheck]] = {}
    for check in sorted(order.checks.all(), key=_kind_rank):
        runs.setdefault(check.run, []).append(check)
    latest = []
    for check in sorted(selectors.latest_checks(order), key=_kind_rank):
        view = _check_view(check, show_credit=show_credit)
        view.may_override = may_override and check.is_blocking
        latest.append(view)
    earlier = [RunView(run, min(c.checked_at for c in checks), [_check_view(c, show_credit=show_credit)
                                                                 for c in checks])
               for run, checks in sorted(runs.items(), reverse=True) if run != order.checks_run]
    return Review(
        order=order, checks=latest, earlier_runs=earlier,
        differences=selectors.contract_differences(order), has_contract=bool(getattr(order, "signed_contracts", None)),
        in_review=in_review, pending=in_review and order.checks_done_at is None,
        can_approve="approve" in names, can_hold="hold" in names, can_reject="reject" in names,
        entered_by_viewer=order.entered_by_id == user.pk and selectors.may_review_orders(user),
        may_rerun=in_review and user.has_perm("orders.run_checks"),
        age=timesince(order.created_at, depth=1),
    )


def review_panel(order: SalesOrder, user: Any, *, transitions: list[str]) -> Review | None:
    """The order page's review panel: from the first submission on (checks read-only once
    the order has left review); None before."""
    if order.state not in REVIEW_STATES and not order.checks_run:
        return None
    return review_of(order, user, transitions=transitions)


# --- pages -----------------------------------------------------------------------------------------

@login_required
def approval_queue_page(request: HttpRequest) -> HttpResponse:
    if not selectors.may_review_orders(request.user):
        raise PermissionDenied
    page = Paginator(selectors.approval_queue(request.user, lines=False), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page"))
    orders = list(page.object_list)
    selectors.prefetch_contract_lines(orders)
    here = reverse("orders:approval_queue") + (f"?page={page.number}" if page.number > 1 else "")
    return render(request, "orders/approval_queue.html", {
        "page": page,
        "reviews": [review_of(order, request.user) for order in orders],
        "show_prices": selectors.can_see_prices(request.user),
        "next_url": here,
    })


def redirect_after_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Back to the page the button was on: the path in `next` (the approval queue, with its
    page) when it is one of this site's, else the order."""
    return redirect_back(request, reverse("orders:detail", args=[pk]))


def _refused(request: HttpRequest, exc: ApplicationError, pk: int) -> HttpResponse:
    raise_404(exc)
    fields = [" ".join(msgs) for msgs in exc.errors.values()]
    messages.error(request, " ".join(fields) if fields else exc.message)
    return redirect_after_action(request, pk)


@login_required
@require_POST
def checks_rerun_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        order = services.order_request_checks(order_id=pk, by=request.user)
    except ApplicationError as exc:
        return _refused(request, exc, pk)
    messages.success(request, _("%(number)s: the checks run again in the background; their results replace "
                                "the previous run's.") % {"number": order.number})
    return redirect_after_action(request, pk)


@login_required
@require_POST
def check_override_page(request: HttpRequest, pk: int, check_id: int) -> HttpResponse:
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(errors) for errors in form.errors.values()))
        return redirect_after_action(request, pk)
    try:
        check = services.order_override_check(order_id=pk, check_id=check_id, by=request.user,
                                               reason=form.cleaned_data["reason"])
    except ApplicationError as exc:
        return _refused(request, exc, pk)
    messages.success(request, _("%(number)s: the failed check “%(check)s” is overridden.")
                     % {"number": check.order.number, "check": check.get_kind_display()})
    return redirect_after_action(request, pk)
