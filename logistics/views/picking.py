"""Pick lists: choose the warehouse, then walk its locations in code order with what to
take for each shipment waiting to be picked, highest order priority first; the same list
as a PDF to print."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import Warehouse

from .. import selectors
from ..picklist_pdf import pick_list_filename, render_pick_list_pdf
from ..selectors import PICK_LIMIT
from .common import PACK, VIEW, require


def _warehouse(warehouse_id: int) -> Warehouse:
    warehouse = Warehouse.objects.filter(pk=warehouse_id).first()
    if warehouse is None:
        raise Http404(_("Warehouse not found."))
    return warehouse


def build_pick_list(request: HttpRequest, warehouse: Warehouse) -> tuple[selectors.PickList, int, Any]:
    """The pick list of the most urgent shipments waiting in `warehouse` (or of the one
    named by ?shipment=), how many wait in all, and the shipment asked for."""
    only = request.GET.get("shipment", "")
    only = only if only.isdecimal() else ""
    picks = selectors.pick_list(warehouse, shipment_ids=[int(only)] if only else None, limit=PICK_LIMIT)
    return picks, picks.waiting, only


@login_required
def pick_warehouses_page(request: HttpRequest) -> HttpResponse:
    require(request, VIEW)
    return render(request, "logistics/pick_warehouses.html", {"warehouses": selectors.pick_warehouses()})


@login_required
def pick_list_page(request: HttpRequest, warehouse_id: int) -> HttpResponse:
    require(request, VIEW)
    warehouse = _warehouse(warehouse_id)
    picks, total, only = build_pick_list(request, warehouse)
    return render(request, "logistics/pick_list.html", {
        "warehouse": warehouse, "picks": picks, "total": total, "only": only, "limit": PICK_LIMIT,
        "can_pack": request.user.has_perm(PACK), "here": request.get_full_path(),
        "pdf_query": f"?shipment={only}" if only else "",
    })


@login_required
def pick_list_pdf_page(request: HttpRequest, warehouse_id: int) -> HttpResponse:
    require(request, VIEW)
    warehouse = _warehouse(warehouse_id)
    picks, total, _only = build_pick_list(request, warehouse)
    printed_at = timezone.localtime()
    response = HttpResponse(render_pick_list_pdf(picks, printed_at=printed_at, total=total),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{pick_list_filename(warehouse, printed_at)}"'
    return response
