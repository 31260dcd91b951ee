"""One shipment: its facts, lines, packages and batches, and the steps its state and the
user's role allow — start picking, cancel, reopen, the carrier choice and shipping,
tracking events, delivery exceptions, proof of delivery, and its documents."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from oms.errors import ApplicationError
from oms.navigation import redirect_back
from orders.forms_preorder import apply_service_errors

from .. import selectors, services
from ..forms import DeliveryForm, ExceptionForm, ReasonForm, ResumeForm, ShipForm, TrackingEventForm
from ..models import OPEN_SHIPMENT_STATES, UNDER_WAY_STATES, Shipment, ShipmentState
from .common import (
    PACK,
    PLAN,
    SHIP,
    TRACK,
    raise_refusal,
    refusal_messages,
    refusal_text,
    require,
    visible_shipment,
)

SS = ShipmentState
#: States whose shipment has documents to (re)render.
DOCUMENT_STATES = [SS.PACKED, SS.SHIPPED, SS.IN_TRANSIT, SS.DELIVERED, SS.EXCEPTION]


def shows_shipping_cost(user: Any) -> bool:
    """The shipping cost is for logistics, finance and managers, not the warehouse."""
    return user.has_perm("logistics.view_shipping_costs")


def proof_of(shipment: Shipment) -> Any:
    try:
        return shipment.proof_of_delivery
    except ObjectDoesNotExist:
        return None


def _ranking(shipment: Shipment) -> tuple[Any, list[str]]:
    """The carrier options for a packed shipment, or the reason there are none."""
    try:
        return services.shipment_carrier_options(shipment), []
    except ApplicationError as exc:
        return None, refusal_messages(exc)


def detail_context(request: HttpRequest, shipment: Shipment, forms: dict[str, Any]) -> dict[str, Any]:
    user = request.user
    state = shipment.state
    carrier = shipment.carrier_service.carrier if shipment.carrier_service else None
    context: dict[str, Any] = {
        "shipment": shipment, "order": shipment.order,
        "lines": list(shipment.lines.all()),
        "packages": list(shipment.packages.all()),
        "events": list(shipment.tracking_events.all()),
        "proof": proof_of(shipment) if state == SS.DELIVERED else None,
        "attachments": selectors.shipment_attachments(user, shipment),
        "tracking_url": carrier.tracking_url(shipment.tracking_number) if carrier else "",
        "show_cost": shows_shipping_cost(user),
        "can_start_picking": state == SS.PLANNED and user.has_perm(PACK),
        "can_pack": state in (SS.PLANNED, SS.PICKING, SS.PACKED) and user.has_perm(PACK),
        "can_render": state in DOCUMENT_STATES and (user.has_perm(PACK) or user.has_perm(SHIP)),
        "under_way": state in UNDER_WAY_STATES,
        "here": request.get_full_path(),
    }
    if state in OPEN_SHIPMENT_STATES and user.has_perm(PLAN):
        context["cancel_form"] = forms.get("cancel") or ReasonForm(id_prefix="cancel")
    if state == SS.PACKED and user.has_perm(PACK):
        context["reopen_form"] = forms.get("reopen") or ReasonForm(id_prefix="reopen")
    if state == SS.PACKED and user.has_perm(SHIP):
        context["ranking"], context["ranking_errors"] = _ranking(shipment)
        context["chosen_id"] = shipment.carrier_service_id
        if shipment.carrier_service_id:
            context["ship_form"] = forms.get("ship") or ShipForm()
    if state in UNDER_WAY_STATES and user.has_perm(TRACK):
        context["event_form"] = forms.get("event") or TrackingEventForm()
        context["delivery_form"] = forms.get("delivery") or DeliveryForm()
        if state == SS.EXCEPTION:
            context["resume_form"] = forms.get("resume") or ResumeForm()
        else:
            context["exception_form"] = forms.get("exception") or ExceptionForm()
    context["has_steps"] = any(context.get(key) for key in (
        "can_start_picking", "can_pack", "cancel_form", "reopen_form", "ranking", "ranking_errors",
        "event_form"))
    return context


def detail_page_response(request: HttpRequest, shipment: Shipment, *, forms: dict[str, Any] | None = None,
                         errors: list[str] | None = None, status: int = 200) -> HttpResponse:
    context = detail_context(request, shipment, forms or {})
    context["errors"] = errors or []
    return render(request, "logistics/shipment_detail.html", context, status=status)


@login_required
def shipment_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    return detail_page_response(request, visible_shipment(request, pk))


def _done(request: HttpRequest, pk: int, text: str, anchor: str = "") -> HttpResponse:
    messages.success(request, text)
    return redirect(reverse("logistics:detail", args=[pk]) + anchor)


def _run_form(request: HttpRequest, pk: int, *, key: str, form: Any, run: Any, success: Any, perm: str,
              page: Any = None) -> HttpResponse:
    """A step with a form: validate, call the service, say what happened and go back to
    the shipment; or show the shipment again with the form and its errors."""
    require(request, perm)
    shipment = visible_shipment(request, pk)
    errors: list[str] = []
    status = 400
    if form.is_valid():
        try:
            result = run(form.cleaned_data)
        except ApplicationError as exc:
            raise_refusal(exc)
            errors, status = apply_service_errors(exc, form=form), exc.status
        else:
            return success(result)
    page = page or detail_page_response
    return page(request, shipment, forms={key: form}, errors=errors, status=status)


# --- warehouse steps ------------------------------------------------------------------------------

@login_required
@require_POST
def start_picking_page(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, PACK)
    shipment = visible_shipment(request, pk)
    try:
        services.shipment_start_picking(shipment_id=shipment.pk, by=request.user)
    except ApplicationError as exc:
        raise_refusal(exc)
        messages.error(request, refusal_text(exc))
    else:
        messages.success(request, _("Picking of %(number)s started.") % {"number": shipment.number})
    return redirect_back(request, reverse("logistics:detail", args=[pk]))


@login_required
@require_POST
def cancel_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _run_form(
        request, pk, key="cancel", perm=PLAN, form=ReasonForm(request.POST, id_prefix="cancel"),
        run=lambda data: services.shipment_cancel(shipment_id=pk, by=request.user, reason=data["reason"]),
        success=lambda shipment: _done(request, pk, _(
            "%(number)s is cancelled. Its goods stay reserved for the order.") % {"number": shipment.number}))


@login_required
@require_POST
def reopen_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Reopen a packed shipment, from its page or from the pack page (`page=pack`)."""
    from .packing import pack_page_response

    on_pack_page = request.POST.get("page") == "pack"

    def success(shipment: Shipment) -> HttpResponse:
        messages.success(request, _("%(number)s is open again for packing.") % {"number": shipment.number})
        return redirect("logistics:pack" if on_pack_page else "logistics:detail", pk=pk)

    return _run_form(
        request, pk, key="reopen", perm=PACK, form=ReasonForm(request.POST, id_prefix="reopen"),
        run=lambda data: services.shipment_reopen(shipment_id=pk, by=request.user, reason=data["reason"]),
        success=success, page=pack_page_response if on_pack_page else None)


# --- carrier and shipping -------------------------------------------------------------------------

@login_required
@require_POST
def choose_carrier_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose the carrier service marked, or accept the recommended one."""
    require(request, SHIP)
    shipment = visible_shipment(request, pk)
    accept = "accept" in request.POST
    service_id = None if accept else request.POST.get("service", "").strip()
    if not accept and not service_id:
        return detail_page_response(request, shipment, errors=[_("Choose a carrier service.")], status=400)
    try:
        chosen = services.shipment_choose_carrier(shipment_id=pk, by=request.user, service_id=service_id)
    except ApplicationError as exc:
        raise_refusal(exc)
        return detail_page_response(request, shipment, errors=refusal_messages(exc), status=exc.status)
    service = chosen.carrier_service
    return _done(request, pk, _("Carrier chosen: %(service)s, expected on %(date)s. Enter the tracking number "
                                "to ship.") % {"service": service,
                                               "date": formats.date_format(chosen.expected_delivery, "DATE_FORMAT")},
                 "#ship")


@login_required
@require_POST
def ship_page(request: HttpRequest, pk: int) -> HttpResponse:
    def success(shipment: Shipment) -> HttpResponse:
        shipment.order.refresh_from_db(fields=["state"])
        return _done(request, pk, _("%(number)s shipped with %(carrier)s, tracking number %(tracking)s. Order "
                                    "%(order)s is now %(state)s.") % {
            "number": shipment.number, "carrier": shipment.carrier_service.carrier.name,
            "tracking": shipment.tracking_number, "order": shipment.order.number,
            "state": shipment.order.get_state_display()})

    return _run_form(
        request, pk, key="ship", perm=SHIP, form=ShipForm(request.POST),
        run=lambda data: services.shipment_ship(shipment_id=pk, by=request.user,
                                                tracking_number=data["tracking_number"],
                                                ship_date=data["ship_date"]),
        success=success)


# --- tracking and delivery ------------------------------------------------------------------------

@login_required
@require_POST
def tracking_event_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _run_form(
        request, pk, key="event", perm=TRACK, form=TrackingEventForm(request.POST),
        run=lambda data: services.tracking_event_add(
            shipment_id=pk, by=request.user, status=data["status"], occurred_at=data["occurred_at"],
            location=data["location"], description=data["description"]),
        success=lambda event: _done(request, pk, _("Tracking event recorded: %(status)s.") % {
            "status": event.get_status_display()}, "#tracking"))


@login_required
@require_POST
def exception_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _run_form(
        request, pk, key="exception", perm=TRACK, form=ExceptionForm(request.POST),
        run=lambda data: services.shipment_report_exception(shipment_id=pk, by=request.user, kind=data["kind"],
                                                            note=data["note"]),
        success=lambda shipment: _done(request, pk, _(
            "Delivery exception recorded (%(kind)s); the order's owner is told by e-mail.") % {
            "kind": shipment.get_exception_kind_display()}))


@login_required
@require_POST
def resume_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _run_form(
        request, pk, key="resume", perm=TRACK, form=ResumeForm(request.POST),
        run=lambda data: services.shipment_resume(shipment_id=pk, by=request.user, note=data["note"]),
        success=lambda shipment: _done(request, pk, _("%(number)s is on its way again.") % {
            "number": shipment.number}))


@login_required
@require_POST
def deliver_page(request: HttpRequest, pk: int) -> HttpResponse:
    def success(proof: Any) -> HttpResponse:
        shipment = Shipment.objects.select_related("order").get(pk=pk)
        return _done(request, pk, _("Proof of delivery recorded: received by %(recipient)s. Order %(order)s is "
                                    "now %(state)s.") % {"recipient": proof.recipient_name,
                                                         "order": shipment.order.number,
                                                         "state": shipment.order.get_state_display()})

    return _run_form(
        request, pk, key="delivery", perm=TRACK, form=DeliveryForm(request.POST, request.FILES),
        run=lambda data: services.shipment_deliver(
            shipment_id=pk, by=request.user, recipient_name=data["recipient_name"],
            delivered_at=data["delivered_at"], signature=data["signature"], photo=data["photo"],
            notes=data["notes"]),
        success=success)


# --- documents ------------------------------------------------------------------------------------

@login_required
@require_POST
def render_documents_page(request: HttpRequest, pk: int) -> HttpResponse:
    if not (request.user.has_perm(PACK) or request.user.has_perm(SHIP)):
        raise PermissionDenied
    shipment = visible_shipment(request, pk)
    try:
        rendered = services.shipment_documents_render(shipment_id=shipment.pk, by=request.user)
    except ApplicationError as exc:
        raise_refusal(exc)
        messages.error(request, refusal_text(exc))
        return redirect(reverse("logistics:detail", args=[pk]) + "#documents")
    if rendered:
        text = _("Documents rendered: %(count)s.") % {"count": len(rendered)}
        messages.success(request, text)
    else:
        messages.error(request, _("%(number)s has no documents to render: it is not packed, or it is "
                                  "cancelled.") % {"number": shipment.number})
    return redirect(reverse("logistics:detail", args=[pk]) + "#documents")
