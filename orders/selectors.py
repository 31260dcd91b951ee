"""Reads that pages and the API share, shaped so a page costs a fixed number of queries."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet

from .models import FULFILMENT_STATES, REVIEW_STATES, AttachmentKind, OrderEvent, SalesOrder, SalesOrderLine
from .transitions import TRANSITIONS


def can_see_prices(user: Any) -> bool:
    return user.has_perm("orders.view_prices")


def orders_visible_to(user: Any) -> QuerySet[SalesOrder]:
    """Every role sees what its work needs (DESIGN.md §6): all orders for desk, review,
    planning, logistics and managers; sales their own customers' orders; the warehouse
    the orders being fulfilled."""
    qs = SalesOrder.objects.all()
    if not user.is_authenticated or not user.has_perm("orders.view_salesorder"):
        return qs.none()
    if user.has_perm("orders.view_all_orders"):
        return qs
    scope = Q(customer__owner=user)
    if user.has_perm("orders.view_fulfilment_orders"):
        scope |= Q(state__in=FULFILMENT_STATES)
    return qs.filter(scope)


def order_is_visible_to(user: Any, order: SalesOrder) -> bool:
    return orders_visible_to(user).filter(pk=order.pk).exists()


def order_list(user: Any) -> QuerySet[SalesOrder]:
    return orders_visible_to(user).select_related("customer", "entered_by")


#: Who goes first in a queue: the highest priority (orders/priority.py: customer tier,
#: urgency, due date and the planner's adjustment), then the earliest requested date, then
#: the oldest order.
BY_PRIORITY = (F("priority").desc(), F("requested_date").asc(nulls_last=True), "created_at", "id")
#: How the order list can be sorted (`sort=` of `order_search`): newest first by default.
ORDER_SORTS: dict[str, tuple] = {
    "newest": ("-created_at", "-id"),
    "priority": BY_PRIORITY,
}


#: A search matching more customers than this looks their orders up through a subquery
#: rather than a list of ids (it then reads most orders anyway).
SEARCH_CUSTOMER_IDS = 500


def _search_matches(q: str) -> Q:
    """Orders whose number contains `q` or whose customer's name contains it or code is it.

    Written so PostgreSQL can answer from indexes: an OR across the order and customer
    tables made it read every order. The customers are looked up first (one small query),
    then `number LIKE … OR customer_id IN (…)` combines the trigram index on the number
    (migration 0010) with the customer index."""
    from customers.models import Customer

    customers = Customer.objects.filter(Q(name__icontains=q) | Q(code__iexact=q))
    ids = list(customers.order_by().values_list("pk", flat=True)[:SEARCH_CUSTOMER_IDS + 1])
    matches = Q(number__icontains=q)
    if len(ids) > SEARCH_CUSTOMER_IDS:
        return matches | Q(customer__in=customers.values("pk"))
    return matches | Q(customer_id__in=ids) if ids else matches


def order_search(user: Any, *, q: str = "", state: str = "", customer: str = "",
                 sort: str = "") -> QuerySet[SalesOrder]:
    """The order list page: free text (number, customer name or code), state, customer
    code (exact, any case); sorted by `sort` (a key of ORDER_SORTS; anything else sorts
    newest first)."""
    orders = order_list(user)
    if q := q.strip():
        orders = orders.filter(_search_matches(q))
    if state:
        orders = orders.filter(state=state)
    if customer := customer.strip():
        orders = orders.filter(customer__code__iexact=customer)
    return orders.order_by(*ORDER_SORTS.get(sort, ORDER_SORTS["newest"]))


def can_record_payment(order: SalesOrder, user: Any) -> bool:
    return user.has_perm("orders.invoice_order") and order.accepts_payments() and not order.is_paid_in_full()


def order_list_with_lines(user: Any) -> QuerySet[SalesOrder]:
    return order_list(user).select_related("delivery_address", "contact").prefetch_related(
        Prefetch("lines", queryset=SalesOrderLine.objects.select_related("product").order_by("line_no"))
    )


def order_detail(user: Any) -> QuerySet[SalesOrder]:
    return order_list_with_lines(user).prefetch_related(
        Prefetch("events", queryset=OrderEvent.objects.select_related("by").order_by("at", "id"))
    )


def known_as_prefetched(instance: Any, name: str, rows: list) -> None:
    """Make `instance.<name>.all()` give `rows` without a query, as `prefetch_related`
    would have left it (`name` is a reverse relation of `instance`)."""
    related = getattr(instance, name).all()
    related._result_cache = list(rows)
    related._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = related


def as_just_created(order: SalesOrder) -> SalesOrder:
    """An order `order_create` has just written (in this transaction), with everything
    its detail representation reads set from memory, so answering the create costs no
    query: its lines and events as written (`order.written`), and none of what only later
    work adds — checks (they run after the commit), contracts, needs, notes, quotations,
    attachments shown on the detail, supply exceptions."""
    written = order.written
    known_as_prefetched(order, "lines", sorted(written.lines, key=lambda line: line.line_no))
    known_as_prefetched(order, "events", written.events)
    known_as_prefetched(order, "checks", [])
    order.signed_contracts = []
    order._preorder_documents = {"needs": [], "notes": [], "quotations": [], "contracts": [], "attachments": []}
    order.known_open_exceptions = []
    return order


def available_transitions(order: SalesOrder, user: Any) -> list[str]:
    """Names of the transitions `user` may run on `order` now (state, conditions, role),
    in the order of the process."""
    names = {t.name for t in order.get_available_user_state_transitions(user)}
    return [name for name, spec in TRANSITIONS.items() if name in names and not spec.document]


def order_counts_by_state(user: Any, states: list[str] | None = None) -> dict[str, int]:
    from django.db.models import Count

    qs = orders_visible_to(user)
    if states is not None:
        qs = qs.filter(state__in=states)
    return {row["state"]: row["n"] for row in qs.order_by().values("state").annotate(n=Count("id"))}


# --- pre-order: needs, quotations, contracts -------------------------------------------------

def order_preorder_documents(order: SalesOrder) -> dict[str, Any]:
    """The needs, notes, quotation revisions, contracts and attachments of one order, for
    its detail page and API (a fixed number of queries)."""
    from .models import Attachment, Contract, InquiryLine, OrderNote, Quotation

    return {
        "needs": list(InquiryLine.objects.filter(order=order).select_related("product").order_by("line_no")),
        "notes": list(OrderNote.objects.filter(order=order).select_related("by").order_by("at", "id")),
        "quotations": list(Quotation.objects.filter(order=order).order_by("-revision")),
        "contracts": list(Contract.objects.filter(order=order).order_by("-created_at")),
        "attachments": list(Attachment.objects.filter(order=order).select_related("uploaded_by")
                            .order_by("-uploaded_at", "-id")),
    }


def quotations_visible_to(user: Any) -> QuerySet:
    from .models import Quotation

    if not user.is_authenticated or not user.has_perm("orders.view_quotation"):
        return Quotation.objects.none()
    return Quotation.objects.filter(order__in=orders_visible_to(user))


def quotation_list(user: Any) -> QuerySet:
    return quotations_visible_to(user).select_related("order__customer", "created_by").order_by("-created_at", "-id")


def quotation_detail(user: Any) -> QuerySet:
    from .models import QuotationLine, QuotationSignoff

    return quotations_visible_to(user).select_related(
        "order__customer", "order__contact", "created_by", "sent_by",
    ).prefetch_related(
        Prefetch("lines", queryset=QuotationLine.objects.select_related("product").order_by("line_no")),
        Prefetch("signoffs", queryset=QuotationSignoff.objects.select_related("by").order_by("round", "area")),
    )


def quotation_revisions(quotation: Any) -> list:
    """Every revision of the quotation's number, newest first (one query)."""
    from .models import Quotation

    return list(Quotation.objects.filter(order_id=quotation.order_id).order_by("-revision"))


def current_signoffs(quotation: Any) -> list:
    """The sign-offs of the latest review round (reads the prefetched `signoffs`)."""
    return [s for s in quotation.signoffs.all() if s.round == quotation.review_round]


def quotation_review_facts(quotation: Any) -> dict[str, Any]:
    """What the reviewers judge, computed from the prefetched lines: margin per line
    against standard cost, discounts above the manager threshold, lead time against the
    make / buy products' lead times, and payment terms against the customer's usual."""
    from inventory.models import SupplyType

    from .models import QuotationPolicy

    policy = QuotationPolicy.current()
    lines = []
    for line in quotation.lines.all():
        margin = line.margin_percent
        lead_time_ok = (line.product.supply_type == SupplyType.STOCK
                        or line.product.lead_time_days <= quotation.lead_time_days)
        lines.append({
            "line_no": line.line_no, "sku": line.product.sku, "margin_percent": margin,
            "margin_below_minimum": margin is not None and margin < policy.minimum_margin_percent,
            "discount_above_threshold": line.discount_percent > policy.manager_discount_threshold,
            "supply_type": line.product.supply_type, "product_lead_time_days": line.product.lead_time_days,
            "lead_time_feasible": lead_time_ok,
        })
    cost = sum((line.unit_cost * line.quantity for line in quotation.lines.all()), 0)
    total = quotation.total_amount
    return {
        "lines": lines,
        "margin_percent": round((total - cost) / total * 100, 1) if total else None,
        "minimum_margin_percent": policy.minimum_margin_percent,
        "manager_discount_threshold": policy.manager_discount_threshold,
        "lead_time_feasible": all(line["lead_time_feasible"] for line in lines),
        "payment_terms_differ": quotation.payment_terms != quotation.order.customer.payment_terms,
        "customer_payment_terms": quotation.order.customer.payment_terms,
    }


def quotation_actions(quotation: Any, user: Any) -> list[str]:
    """What `user` may do with this quotation now: edit, submit_review, signoff_<area>,
    send, accept, decline, revise, create_contract. Cheap: reads prefetched sign-offs;
    `revise` and `create_contract` assume the caller passes the latest revision."""
    from django.utils import timezone

    from .models import REVISABLE_STATES, SIGNOFF_PERMISSIONS, QuotationState, SignoffDecision

    state = quotation.state
    actions = []
    can_edit = user.has_perm("orders.change_quotation")
    order_open = quotation.order.state in ("inquiry", "quoted")
    if not order_open:  # a cancelled or contracted order's quotations are a record only
        return ["create_contract"] if (state == QuotationState.ACCEPTED and quotation.order.state == "quoted"
                                       and user.has_perm("orders.add_contract")) else []
    if can_edit and state == QuotationState.DRAFT:
        actions += ["edit", "submit_review"]
    if state == QuotationState.IN_REVIEW:
        for signoff in current_signoffs(quotation):
            if signoff.decision == SignoffDecision.PENDING and user.has_perm(SIGNOFF_PERMISSIONS[signoff.area]):
                actions.append(f"signoff_{signoff.area}")
    if state == QuotationState.APPROVED and user.has_perm("orders.send_quotation"):
        actions.append("send")
    if state == QuotationState.SENT and can_edit:
        if quotation.valid_until >= timezone.localdate():
            actions.append("accept")
        actions.append("decline")
    if can_edit and state in REVISABLE_STATES and order_open:
        actions.append("revise")
    if (state == QuotationState.ACCEPTED and user.has_perm("orders.add_contract")
            and quotation.order.state == "quoted"):
        actions.append("create_contract")
    return actions


def signoffs_awaiting(user: Any) -> QuerySet:
    """Pending sign-offs of quotations in review that `user` may give, oldest first."""
    from django.db.models import F

    from .models import SIGNOFF_PERMISSIONS, QuotationSignoff, QuotationState, SignoffDecision

    areas = [area for area, perm in SIGNOFF_PERMISSIONS.items() if user.has_perm(perm)]
    return (QuotationSignoff.objects.filter(
        area__in=areas, decision=SignoffDecision.PENDING, quotation__state=QuotationState.IN_REVIEW,
        round=F("quotation__review_round"), quotation__order__in=orders_visible_to(user))
        .select_related("quotation__order__customer").order_by("quotation__updated_at", "quotation_id"))


def contracts_visible_to(user: Any) -> QuerySet:
    from .models import Contract

    if not user.is_authenticated or not user.has_perm("orders.view_contract"):
        return Contract.objects.none()
    return Contract.objects.filter(order__in=orders_visible_to(user))


def contract_detail(user: Any) -> QuerySet:
    from .models import ContractClause, QuotationLine

    return contracts_visible_to(user).select_related(
        "order__customer", "quotation", "created_by", "reviewed_by", "signed_copy",
    ).prefetch_related(
        Prefetch("clauses", queryset=ContractClause.objects.order_by("position")),
        Prefetch("quotation__lines", queryset=QuotationLine.objects.select_related("product").order_by("line_no")),
    )


def contract_actions(contract: Any, user: Any) -> list[str]:
    """What `user` may do with this contract now: edit, submit_review, review,
    attach_signed_copy, sign."""
    from .models import ContractState

    actions = []
    if contract.order.state != "quoted":  # the order moved on (contracted, cancelled)
        return actions
    if contract.state == ContractState.DRAFT and user.has_perm("orders.change_contract"):
        actions += ["edit", "submit_review"]
    if (contract.state == ContractState.IN_REVIEW and user.has_perm("orders.review_contract")
            and contract.created_by_id != user.pk):
        actions.append("review")
    if contract.state == ContractState.APPROVED and user.has_perm("orders.sign_contract"):
        actions += ["attach_signed_copy", "sign"]
    return actions


def contracts_awaiting_review(user: Any) -> QuerySet:
    from .models import ContractState

    if not user.has_perm("orders.review_contract"):
        return contracts_visible_to(user).none()
    return (contracts_visible_to(user).filter(state=ContractState.IN_REVIEW).exclude(created_by=user)
            .select_related("order__customer").order_by("updated_at", "id"))


#: Files that show no prices, for everyone who sees the order (or, for a shipment's files,
#: everyone who sees shipments): the shipping documents but the commercial invoice, and
#: proofs of delivery. Quotations, contracts, the customer's order scans and written
#: confirmations carry prices, so they go only to people who see prices.
UNPRICED_ATTACHMENT_KINDS: frozenset[str] = frozenset({
    AttachmentKind.DELIVERY_NOTE, AttachmentKind.PACKING_LIST, AttachmentKind.CONFORMITY,
    AttachmentKind.POD_SIGNATURE, AttachmentKind.POD_PHOTO,
})


def _may_open_priced_files(user: Any) -> bool:
    return can_see_prices(user) and user.has_perm("orders.view_quotation")


def _may_open(user: Any, kind: str, priced_ok: bool) -> bool:
    # logistics hands the commercial invoice to customs, so it opens that one priced file
    return priced_ok or kind in UNPRICED_ATTACHMENT_KINDS or (
        kind == AttachmentKind.COMMERCIAL_INVOICE and user.has_perm("logistics.track_shipment"))


def attachment_visible_to(user: Any, attachment: Any) -> bool:
    """Files are served only to people who may see their order (or, for a shipment's
    files, shipments) and, unless the file shows no prices, may see prices (the warehouse
    and planners do not)."""
    sees_shipment = attachment.shipment_id is not None and user.has_perm("logistics.view_shipment")
    if not sees_shipment and not order_is_visible_to(user, attachment.order):
        return False
    return _may_open(user, attachment.kind, _may_open_priced_files(user))


def attachments_visible_to(user: Any, attachments: list) -> list:
    """The files of an order `user` already sees that `user` may open (no query per file)."""
    priced_ok = _may_open_priced_files(user)
    return [a for a in attachments if _may_open(user, a.kind, priced_ok)]


def agreed_prices(customer_id: int, product_ids: list[int], *, currency: str) -> dict[int, tuple]:
    """The customer's agreed unit price and discount per product, in `currency`: from the
    most recently signed contract in that currency that has the product (one query).
    Products without one are absent."""
    from .models import QuotationLine

    rows = (QuotationLine.objects.filter(quotation__contracts__state="signed", quotation__currency=currency,
                                         quotation__order__customer_id=customer_id, product_id__in=product_ids)
            .order_by("product_id", "-quotation__contracts__signed_on", "-id")
            .values_list("product_id", "unit_price", "discount_percent"))
    prices: dict[int, tuple] = {}
    for product_id, unit_price, discount in rows:
        prices.setdefault(product_id, (unit_price, discount))
    return prices


# --- review ---------------------------------------------------------------------------------------

def latest_checks(order: SalesOrder) -> list:
    """The checks of the order's latest run, from the prefetched `checks`."""
    return [check for check in order.checks.all() if check.run == order.checks_run]


def review_checks_prefetch() -> Prefetch:
    """Every check of every run, newest run first, with who overrode it: for
    `latest_checks` and the run history (one query for any number of orders)."""
    from .models import ReviewCheck

    return Prefetch("checks", queryset=ReviewCheck.objects.select_related("overridden_by").order_by("-run", "kind"))


def signed_contracts_prefetch() -> Prefetch:
    """The order's signed contracts with their quotation lines, as `signed_contracts`."""
    from .models import Contract, QuotationLine

    return Prefetch("contracts", queryset=Contract.objects.filter(state="signed").prefetch_related(
        Prefetch("quotation__lines", queryset=QuotationLine.objects.select_related("product").order_by("line_no"))),
        to_attr="signed_contracts")


def may_review_orders(user: Any) -> bool:
    """Who works the approval queue: reviewers approve, hold and reject; managers override."""
    return user.is_authenticated and (user.has_perm("orders.approve_order")
                                      or user.has_perm("orders.override_checks"))


def _lines_prefetch() -> Prefetch:
    return Prefetch("lines", queryset=SalesOrderLine.objects.select_related("product").order_by("line_no"))


def approval_queue(user: Any, *, lines: bool = True) -> QuerySet[SalesOrder]:
    """Orders in review (submitted, on hold) for the approval queue, highest priority
    first (the score already weighs the customer's tier and the due date), then the
    requested date, then the oldest. Lines, their products, the latest checks and the
    signed contract's lines come prefetched, so the queue costs a fixed number of queries
    however long it is.

    `lines=False` for the queue page, which shows neither the lines nor the contact and
    address: only the comparison with a signed contract reads lines, and
    `prefetch_contract_lines` loads them for the orders that have one."""
    orders = orders_visible_to(user).filter(state__in=REVIEW_STATES).select_related("customer", "entered_by")
    if lines:
        orders = orders.select_related("contact", "delivery_address").prefetch_related(_lines_prefetch())
    return orders.prefetch_related(review_checks_prefetch(), signed_contracts_prefetch()).order_by(*BY_PRIORITY)


def prefetch_contract_lines(orders: list[SalesOrder]) -> None:
    """The lines (and products) of those of `orders` that have a signed contract, for
    `contract_differences`: one query, none when no order has one."""
    from django.db.models import prefetch_related_objects

    with_contract = [order for order in orders if getattr(order, "signed_contracts", None)]
    if with_contract:
        prefetch_related_objects(with_contract, _lines_prefetch())


def contract_differences(order: SalesOrder) -> list[dict[str, Any]]:
    """How the order differs from its signed contract, line by product: quantities and
    net prices that changed, products added or dropped. Reads prefetched data only."""
    contracts = getattr(order, "signed_contracts", None)
    if not contracts:
        return []
    # lines compared per product: quantities summed, net unit prices of the first line
    agreed: dict[int, list] = {}
    for line in contracts[0].quotation.lines.all():
        agreed.setdefault(line.product_id, []).append(line)
    ordered: dict[int, list] = {}
    for line in order.lines.all():
        ordered.setdefault(line.product_id, []).append(line)
    differences = []
    for product_id, lines in ordered.items():
        line, quantity = lines[0], sum(each.quantity for each in lines)
        contract_lines = agreed.get(product_id)
        if contract_lines is None:
            differences.append({"sku": line.product.sku, "kind": "added", "order": str(quantity)})
            continue
        contract_line, agreed_quantity = contract_lines[0], sum(each.quantity for each in contract_lines)
        if quantity != agreed_quantity:
            differences.append({"sku": line.product.sku, "kind": "quantity", "contract": str(agreed_quantity),
                                "order": str(quantity)})
        # net unit prices as agreed: totals are rounded to the cent, so per-unit prices
        # recomputed from them differ whenever only the quantity changed
        net_price = line.unit_price * (100 - line.discount_percent) / 100
        if net_price != contract_line.net_unit_price:
            differences.append({"sku": line.product.sku, "kind": "price",
                                "contract": str(contract_line.net_unit_price.quantize(line.unit_price)),
                                "order": str(net_price.quantize(line.unit_price))})
    for product_id, lines in agreed.items():
        if product_id not in ordered:
            differences.append({"sku": lines[0].product.sku, "kind": "dropped",
                                "contract": str(sum(each.quantity for each in lines))})
    return differences


def prefetch_review_data(orders: list[SalesOrder]) -> None:
    """Load what `latest_checks` and `contract_differences` read — every check with who
    overrode it, the signed contracts with their lines — onto orders read without it
    (an order's detail), as `approval_queue` prefetches it: a fixed number of queries,
    none for orders that have it already."""
    from django.db.models import prefetch_related_objects

    missing = [order for order in orders if not hasattr(order, "signed_contracts")]
    if missing:
        prefetch_related_objects(missing, review_checks_prefetch(), signed_contracts_prefetch())
