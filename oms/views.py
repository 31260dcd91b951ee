"""The home page (per role) and the health endpoint."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from inventory import selectors as inventory_selectors
from orders import selectors as order_selectors
from orders.models import OPEN_STATES, SIGNOFF_PERMISSIONS, OrderState

from . import roles
from .health import health_status

S = OrderState

#: What each role works on first: a heading and the order states of its queue.
ROLE_QUEUES: dict[str, tuple[object, list[str]]] = {
    roles.SALES: (_("My customers' orders in progress"), [S.INQUIRY, S.QUOTED, S.CONTRACTED, S.REJECTED,
                                                          S.ON_HOLD]),
    roles.ORDER_DESK: (_("Orders to enter and complete"), [S.INQUIRY, S.CONTRACTED, S.REJECTED]),
    roles.REVIEWER: (_("Review queue"), [S.SUBMITTED, S.ON_HOLD]),
    roles.PLANNER: (_("Orders to plan"), [S.APPROVED, S.IN_FULFILMENT]),
    roles.WAREHOUSE: (_("To pick, pack and ship"), [S.IN_FULFILMENT, S.READY_TO_SHIP, S.PARTIALLY_SHIPPED]),
    roles.LOGISTICS: (_("To ship and track"), [S.READY_TO_SHIP, S.PARTIALLY_SHIPPED, S.SHIPPED]),
    roles.MANAGER: (_("All open orders"), OPEN_STATES),
    roles.INTEGRATION: (_("Orders"), OPEN_STATES),
}
QUEUE_PREVIEW = 8
#: Quick links a role starts its work with: (URL name, label, button style, permission).
ROLE_ACTIONS: dict[str, list[tuple[str, object, str, str]]] = {
    roles.ORDER_DESK: [("orders:new", _("New order"), "primary", "orders.add_salesorder"),
                       ("orders:import", _("Import CSV"), "neutral", "orders.add_salesorder")],
    roles.SALES: [("orders:new", _("New order"), "neutral", "orders.add_salesorder")],
}


def _shipping_summary(user) -> dict[str, int] | None:
    """For the warehouse and logistics: shipments to pick, packed ones waiting for the
    carrier, and delivery exceptions. One query."""
    if not user.has_perm("logistics.view_shipment") or not any(
            user.has_perm(f"logistics.{step}_shipment") for step in ("pack", "ship", "track")):
        return None
    from django.db.models import Count, Q

    from logistics.models import Shipment, ShipmentState

    # only the states counted: the state index, not a scan of every shipment that ever left
    counted = [ShipmentState.PLANNED, ShipmentState.PICKING, ShipmentState.PACKED, ShipmentState.EXCEPTION]
    return Shipment.objects.filter(state__in=counted).aggregate(
        to_pick=Count("id", filter=Q(state__in=[ShipmentState.PLANNED, ShipmentState.PICKING])),
        packed=Count("id", filter=Q(state=ShipmentState.PACKED)),
        exceptions=Count("id", filter=Q(state=ShipmentState.EXCEPTION)))


def _supply_summary(user) -> dict[str, int] | None:
    """For planners (who see supply exceptions): how many exceptions are open and how
    many order lines wait for supply. Two queries."""
    if not user.has_perm("inventory.view_supplyexception"):
        return None
    return {"exceptions": inventory_selectors.exception_list(open_only=True).count(),
            "waiting_lines": inventory_selectors.waiting_lines().count()}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    user_roles = roles.roles_of(user) or ([roles.MANAGER] if user.is_superuser else [])
    sections = []
    for role in user_roles:
        title, states = ROLE_QUEUES[role]
        counts = order_selectors.order_counts_by_state(user, states)
        orders = order_selectors.order_list(user).filter(state__in=states).order_by(
            *order_selectors.BY_PRIORITY)[:QUEUE_PREVIEW]
        sections.append({
            "role": roles.ROLE_LABELS[role],
            "title": title,
            "states": [(state, S(state).label, counts.get(state, 0)) for state in states],
            "orders": orders,
            "total": sum(counts.values()),
            "actions": [(url, label, style) for url, label, style, perm in ROLE_ACTIONS.get(role, [])
                        if user.has_perm(perm)],
        })
    may_sign_off = any(user.has_perm(perm) for perm in SIGNOFF_PERMISSIONS.values())
    may_review = order_selectors.may_review_orders(user)
    review_counts = order_selectors.order_counts_by_state(user, [S.SUBMITTED, S.ON_HOLD]) if may_review else {}
    return render(request, "home.html", {
        "sections": sections,
        "supply": _supply_summary(user),
        "shipping": _shipping_summary(user),
        "signoffs": order_selectors.signoffs_awaiting(user)[:QUEUE_PREVIEW] if may_sign_off else None,
        "contract_reviews": (order_selectors.contracts_awaiting_review(user)[:QUEUE_PREVIEW]
                             if user.has_perm("orders.review_contract") else None),
        "show_prices": order_selectors.can_see_prices(user),
        "is_integration": roles.INTEGRATION in user_roles,
        "approval_waiting": sum(review_counts.values()) if may_review else None,
        "approval_on_hold": review_counts.get(S.ON_HOLD, 0),
    })


def health(request: HttpRequest) -> JsonResponse:
    status = health_status()
    return JsonResponse(status, status=200 if status["ok"] else 503)
