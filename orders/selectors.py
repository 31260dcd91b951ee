"""Reads that pages and the API share, shaped so a page costs a fixed number of queries."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from .models import FULFILMENT_STATES, OrderEvent, SalesOrder, SalesOrderLine
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


def order_search(user: Any, *, q: str = "", state: str = "", customer: Any = None) -> QuerySet[SalesOrder]:
    """The order list page: free text (number, customer name or code), state, customer."""
    orders = order_list(user)
    if q := q.strip():
        orders = orders.filter(Q(number__icontains=q) | Q(customer__name__icontains=q) | Q(customer__code__iexact=q))
    if state:
        orders = orders.filter(state=state)
    if customer is not None:
        orders = orders.filter(customer=customer)
    return orders.order_by("-created_at", "-id")


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


def available_transitions(order: SalesOrder, user: Any) -> list[str]:
    """Names of the transitions `user` may run on `order` now (state, conditions, role),
    in the order of the process."""
    names = {t.name for t in order.get_available_user_state_transitions(user)}
    return [name for name in TRANSITIONS if name in names]


def order_counts_by_state(user: Any, states: list[str] | None = None) -> dict[str, int]:
    from django.db.models import Count

    qs = orders_visible_to(user)
    if states is not None:
        qs = qs.filter(state__in=states)
    return {row["state"]: row["n"] for row in qs.order_by().values("state").annotate(n=Count("id"))}
