"""Pack and verify: the packer scans (or types) each item as SKU, quantity, batch and
package; the service checks it against the order and puts it in the package, or refuses
it and changes nothing. Packages are weighed and measured, then the shipment is packed."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from oms.errors import ApplicationError
from oms.money import plain
from orders.forms_preorder import apply_service_errors

from .. import selectors, services
from ..forms import MeasureForm, ReasonForm, ScanForm
from ..models import Shipment, ShipmentState
from .common import PACK, VIEW, raise_refusal, refusal_messages, refusal_text, require, visible_shipment

PACKING_STATES = (ShipmentState.PLANNED, ShipmentState.PICKING)


@dataclass
class PickHint:
    location: str
    batch: Any
    quantity: Decimal


@dataclass
class PackLine:
    line: Any
    hints: list[PickHint] = field(default_factory=list)
    short: Decimal = Decimal(0)  # what no location of the warehouse holds

    @property
    def product(self) -> Any:
        return self.line.order_line.product


def _pack_lines(shipment: Shipment, lines: list[Any]) -> list[PackLine]:
    """The shipment's lines with where to take what is still to verify (the pick list of
    this one shipment: four queries, only while it is being packed)."""
    rows = {line.pk: PackLine(line) for line in lines}
    if shipment.state in PACKING_STATES:
        picks = selectors.pick_list(shipment.warehouse, shipment_ids=[shipment.pk])
        for location, group in picks.groups:
            for row in group:
                rows[row.line.pk].hints.append(PickHint(location.code, row.batch, row.quantity))
        for row in picks.shortages:
            rows[row.line.pk].short += row.quantity
    return list(rows.values())


def pack_page_response(request: HttpRequest, shipment: Shipment, *, forms: dict[str, Any] | None = None,
                       errors: list[str] | None = None, status: int = 200,
                       scan_errors: list[str] | None = None,
                       pack_errors: dict[str, Any] | None = None) -> HttpResponse:
    forms = forms or {}
    user = request.user
    packages = list(shipment.packages.all())
    can_pack = shipment.state in PACKING_STATES and user.has_perm(PACK)
    lines = list(shipment.lines.all())
    wanted_package = request.GET.get("package", "")
    default_package = (int(wanted_package) if wanted_package.isdecimal() and 1 <= int(wanted_package) <= 999
                       else packages[-1].number if packages else 1)
    context: dict[str, Any] = {
        "shipment": shipment, "order": shipment.order,
        "lines": _pack_lines(shipment, lines),
        "verified_all": all(line.is_verified for line in lines),
        "packages": [{"package": package, "items": list(package.items.all()),
                      "form": forms.get(f"measure-{package.number}") or (MeasureForm(number=package.number, initial={
                          "weight_kg": plain(package.weight_kg) if package.weight_kg else "",
                          "length_cm": plain(package.length_cm) if package.length_cm else "",
                          "width_cm": plain(package.width_cm) if package.width_cm else "",
                          "height_cm": plain(package.height_cm) if package.height_cm else "",
                      }) if can_pack else None)}
                     for package in packages],
        "can_pack": can_pack,
        "scan_form": forms.get("scan") or ScanForm(initial={"quantity": "1", "package": default_package}),
        "scan_errors": scan_errors or [],
        "pack_errors": pack_errors or {},
        "errors": errors or [],
        "here": request.get_full_path(),
    }
    if shipment.state == ShipmentState.PACKED and user.has_perm(PACK):
        context["reopen_form"] = forms.get("reopen") or ReasonForm(id_prefix="reopen")
    return render(request, "logistics/pack.html", context, status=status)


def _pack_url(pk: int, package: Any = None) -> str:
    url = reverse("logistics:pack", args=[pk])
    return f"{url}?{urlencode({'package': package})}" if package else url


@login_required
def pack_page(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, VIEW)
    return pack_page_response(request, visible_shipment(request, pk))


@login_required
@require_POST
def scan_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Verify one scanned item. A refusal is shown above the scan form and changes nothing."""
    require(request, VIEW, PACK)
    shipment = visible_shipment(request, pk)
    form = ScanForm(request.POST)
    if not form.is_valid():
        return pack_page_response(request, shipment, forms={"scan": form}, status=400,
                                  scan_errors=[_("Check the package number.")])
    data = form.cleaned_data
    try:
        item = services.shipment_verify(shipment_id=pk, by=request.user, sku=data["sku"], quantity=data["quantity"],
                                        batch=data["batch"], package=data["package"])
    except ApplicationError as exc:
        raise_refusal(exc)
        scan_errors = refusal_messages(exc)
        apply_service_errors(exc, form=form)
        return pack_page_response(request, shipment, forms={"scan": form}, status=exc.status, scan_errors=scan_errors)
    values = {"quantity": plain(item.quantity), "sku": item.line.order_line.product.sku,
              "package": item.package.number}
    if item.batch:
        text = _("Verified %(quantity)s × %(sku)s (batch %(batch)s) into package %(package)s.") % {
            **values, "batch": item.batch.code}
    else:
        text = _("Verified %(quantity)s × %(sku)s into package %(package)s.") % values
    messages.success(request, text)
    return redirect(_pack_url(pk, item.package.number))


@login_required
@require_POST
def unverify_page(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    require(request, VIEW, PACK)
    shipment = visible_shipment(request, pk)
    try:
        services.shipment_unverify(shipment_id=shipment.pk, item_id=item_id, by=request.user)
    except ApplicationError as exc:
        raise_refusal(exc)
        messages.error(request, refusal_text(exc))
    else:
        messages.success(request, _("The item is out of the package again; scan it again to pack it."))
    return redirect(_pack_url(pk))


@login_required
@require_POST
def measure_page(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    require(request, VIEW, PACK)
    shipment = visible_shipment(request, pk)
    form = MeasureForm(request.POST, number=number)
    errors: list[str] = []
    status = 400
    if form.is_valid():
        try:
            package = services.package_measure(shipment_id=pk, by=request.user, number=number, **form.cleaned_data)
        except ApplicationError as exc:
            raise_refusal(exc)
            errors, status = apply_service_errors(exc, form=form), exc.status
        else:
            messages.success(request, _("Package %(number)s: %(weight)s kg, %(length)s × %(width)s × %(height)s cm.")
                             % {"number": package.number, "weight": plain(package.weight_kg),
                                "length": plain(package.length_cm), "width": plain(package.width_cm),
                                "height": plain(package.height_cm)})
            return redirect(_pack_url(pk, package.number))
    return pack_page_response(request, shipment, forms={f"measure-{number}": form}, errors=errors, status=status)


@login_required
@require_POST
def package_remove_page(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    require(request, VIEW, PACK)
    shipment = visible_shipment(request, pk)
    try:
        services.package_remove(shipment_id=shipment.pk, by=request.user, number=number)
    except ApplicationError as exc:
        raise_refusal(exc)
        messages.error(request, refusal_text(exc))
    else:
        messages.success(request, _("Package %(number)s removed.") % {"number": number})
    return redirect(_pack_url(pk))


@login_required
@require_POST
def mark_packed_page(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, VIEW, PACK)
    shipment = visible_shipment(request, pk)
    try:
        packed = services.shipment_pack(shipment_id=pk, by=request.user)
    except ApplicationError as exc:
        raise_refusal(exc)
        if not exc.errors:
            return pack_page_response(request, shipment, errors=[exc.message], status=exc.status)
        return pack_page_response(request, shipment, status=exc.status, pack_errors={
            "title": exc.message, "messages": [message for messages_ in exc.errors.values() for message in messages_]})
    packed.order.refresh_from_db(fields=["state"])
    messages.success(request, _("%(number)s is packed. Order %(order)s is now %(state)s.") % {
        "number": packed.number, "order": packed.order.number, "state": packed.order.get_state_display()})
    return redirect("logistics:detail", pk=pk)
