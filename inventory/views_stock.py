"""Stock pages: stock by product and warehouse, one product's stock by location and batch
with its ledger, receiving and adjusting, transfers between warehouses, and cycle counts.

Pages validate a form, call one service (inventory/services/ledger.py and counts.py) and
render; the services check permissions again and decide. Reads go through the
selectors, so a page costs a fixed number of queries however many rows it shows. No page
here shows a sales price."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from oms.errors import ApplicationError
from oms.money import plain
from oms.navigation import redirect_back
from orders.forms_preorder import apply_service_errors

from . import selectors, selectors_stock, services
from .forms_stock import (
    AdjustForm,
    CountCreateForm,
    CountEntryForm,
    LedgerFilterForm,
    ReceiveForm,
    StockFilterForm,
    TransferForm,
    TransferReceiveForm,
)
from .models import CountState, CycleCount, Product, TransferState

PAGE_SIZE = 25
LEDGER_PAGE_SIZE = 25


def _require(user: Any, *perms: str) -> None:
    if not all(user.has_perm(perm) for perm in perms):
        raise PermissionDenied


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _refusal_text(exc: ApplicationError) -> str:
    """A service's refusal as one sentence for a page message."""
    if not exc.errors:
        return exc.message
    parts = [] if exc.message == str(exc.default_message) else [exc.message]
    parts += [" ".join(msgs) for msgs in exc.errors.values()]
    return " ".join(parts)


# --- stock by product and warehouse ----------------------------------------------------------------

@login_required
@permission_required("inventory.view_stocklevel", raise_exception=True)
def stock_list_page(request: HttpRequest) -> HttpResponse:
    form = StockFilterForm(request.GET or None, warehouses=selectors_stock.active_warehouses())
    filters = form.cleaned_data if form.is_valid() else {}
    warehouse = filters.get("warehouse")
    products = selectors_stock.stock_overview(q=filters.get("q", ""), warehouse_id=warehouse.pk if warehouse else None,
                                              only_short=bool(filters.get("short")))
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    on_page = list(page.object_list)
    incoming = selectors.incoming_by_product([product.pk for product in on_page])
    return render(request, "inventory/stock/stock_list.html", {
        "form": form, "page": page, "query": _query_without_page(request),
        "rows": [{"product": product, "levels": product.levels, "incoming": incoming[product.pk]}
                 for product in on_page],
        "filtered": any(filters.values()),
        "warehouse_filter": warehouse,
    })


def _product_page(request: HttpRequest, product: Product, *, forms: dict[str, Any] | None = None,
                  errors: list[str] | None = None, status: int = 200) -> HttpResponse:
    user = request.user
    forms = forms or {}
    levels = selectors_stock.product_levels(product.pk)
    totals = {name: sum((getattr(level, name) for level in levels), Decimal(0))
              for name in ("on_hand", "reserved", "available", "in_transit")}
    context: dict[str, Any] = {
        "product": product, "levels": levels, "totals": totals,
        "quants": list(selectors.stock_quants(product_id=product.pk)),
        "incoming": selectors.incoming_by_product([product.pk])[product.pk],
        "transfers": (list(selectors_stock.transfers_in_transit(product.pk))
                      if user.has_perm("inventory.view_transfer") else None),
        "can_receive_transfers": user.has_perm("inventory.receive_stock"),
        "can_transfer": user.has_perm("inventory.transfer_stock") and user.has_perm("inventory.view_transfer"),
        "errors": errors or [],
        "here": request.get_full_path(),
    }
    if user.has_perm("inventory.view_stockmove"):
        ledger_form = LedgerFilterForm(request.GET or None, warehouses=selectors_stock.active_warehouses())
        filters = ledger_form.cleaned_data if ledger_form.is_valid() else {}
        warehouse = filters.get("warehouse")
        moves = selectors.stock_moves(product_id=product.pk, warehouse_id=warehouse.pk if warehouse else None)
        if filters.get("kind"):
            moves = moves.filter(kind=filters["kind"])
        context.update({
            "ledger_form": ledger_form,
            "ledger": Paginator(moves, LEDGER_PAGE_SIZE).get_page(request.GET.get("page")),
            "ledger_filtered": any(filters.values()),
            "query": _query_without_page(request),
        })
    if user.has_perm("inventory.receive_stock"):
        context["receive_form"] = forms.get("receive") or ReceiveForm(
            warehouses=selectors_stock.active_warehouses(), locations=selectors_stock.active_locations(),
            initial={"warehouse": levels[0].warehouse_id if len(levels) == 1 else None})
    if user.has_perm("inventory.adjust_stock"):
        context["adjust_form"] = forms.get("adjust") or AdjustForm(
            locations=selectors_stock.active_locations(), batches=selectors_stock.product_batches(product.pk))
    return render(request, "inventory/stock/stock_product.html", context, status=status)


@login_required
@permission_required("inventory.view_stocklevel", raise_exception=True)
def stock_product_page(request: HttpRequest, product_id: int) -> HttpResponse:
    return _product_page(request, get_object_or_404(Product, pk=product_id))


@login_required
@require_POST
def stock_receive_page(request: HttpRequest, product_id: int) -> HttpResponse:
    _require(request.user, "inventory.view_stocklevel", "inventory.receive_stock")
    product = get_object_or_404(Product, pk=product_id)
    form = ReceiveForm(request.POST, warehouses=selectors_stock.active_warehouses(),
                       locations=selectors_stock.active_locations())
    if not form.is_valid():
        return _product_page(request, product, forms={"receive": form}, status=400)
    data = form.cleaned_data
    try:
        move = services.stock_receive(
            product=product, warehouse=data["warehouse"], location=data["location"], quantity=data["quantity"],
            rejected=data["rejected"] or 0, batch_code=data["batch"], expires_on=data["expires_on"],
            reference=data["reference"].strip(), by=request.user)
    except ApplicationError as exc:
        errors = apply_service_errors(exc, form=form, field_map=ReceiveForm.FIELD_MAP)
        return _product_page(request, product, forms={"receive": form}, errors=errors, status=exc.status)
    text = _("Received %(quantity)s of %(sku)s into %(location)s.") % {
        "quantity": plain(move.on_hand_delta), "sku": product.sku, "location": move.location}
    if move.rejected_quantity:
        text += " " + _("%(rejected)s rejected at inspection (not stocked).") % {
            "rejected": plain(move.rejected_quantity)}
    messages.success(request, text)
    return redirect("inventory:stock_product", product_id=product.pk)


@login_required
@require_POST
def stock_adjust_page(request: HttpRequest, product_id: int) -> HttpResponse:
    _require(request.user, "inventory.view_stocklevel", "inventory.adjust_stock")
    product = get_object_or_404(Product, pk=product_id)
    form = AdjustForm(request.POST, locations=selectors_stock.active_locations(),
                      batches=selectors_stock.product_batches(product.pk))
    if not form.is_valid():
        return _product_page(request, product, forms={"adjust": form}, status=400)
    data = form.cleaned_data
    try:
        move = services.stock_adjust(product=product, location=data["location"], batch=data["batch"],
                                     delta=data["change"], reason=data["reason"], by=request.user)
    except ApplicationError as exc:
        errors = apply_service_errors(exc, form=form, field_map=AdjustForm.FIELD_MAP)
        return _product_page(request, product, forms={"adjust": form}, errors=errors, status=exc.status)
    messages.success(request, _("Adjusted %(sku)s at %(location)s by %(change)s.") % {
        "sku": product.sku, "location": move.location,
        "change": f"{'+' if move.on_hand_delta > 0 else ''}{plain(move.on_hand_delta)}"})
    return redirect("inventory:stock_product", product_id=product.pk)


# --- transfers -------------------------------------------------------------------------------------

@login_required
@permission_required("inventory.view_transfer", raise_exception=True)
def transfer_list_page(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    transfers = selectors_stock.transfers_in_transit_first()
    if state in TransferState.values:
        transfers = transfers.filter(state=state)
    else:
        state = ""
    page = Paginator(transfers, PAGE_SIZE).get_page(request.GET.get("page"))
    can_receive = request.user.has_perm("inventory.receive_stock")
    by_warehouse: dict[int, list] = defaultdict(list)
    if can_receive and any(t.state == TransferState.IN_TRANSIT for t in page.object_list):
        for location in selectors_stock.active_locations():
            by_warehouse[location.warehouse_id].append(location)
    return render(request, "inventory/stock/transfer_list.html", {
        "page": page, "query": _query_without_page(request), "state": state,
        "states": TransferState.choices,
        "rows": [{"transfer": t, "locations": by_warehouse.get(t.to_warehouse_id, [])} for t in page.object_list],
        "can_receive": can_receive,
        "can_send": request.user.has_perm("inventory.transfer_stock"),
        "here": request.get_full_path(),
    })


def _transfer_form_page(request: HttpRequest, form: TransferForm, *, product: Product | None,
                        errors: list[str] | None = None, status: int = 200) -> HttpResponse:
    return render(request, "inventory/stock/transfer_form.html", {
        "form": form, "product": product, "errors": errors or [],
        "quants": list(selectors.stock_quants(product_id=product.pk)) if product else [],
    }, status=status)


def _transfer_form(data: Any = None, **kwargs: Any) -> TransferForm:
    return TransferForm(data, locations=selectors_stock.active_locations(),
                        warehouses=selectors_stock.active_warehouses(), **kwargs)


@login_required
def transfer_new_page(request: HttpRequest) -> HttpResponse:
    _require(request.user, "inventory.view_transfer", "inventory.transfer_stock")
    if request.method != "POST":
        product_id = request.GET.get("product", "")
        product = Product.objects.filter(pk=product_id).first() if product_id.isdecimal() else None
        return _transfer_form_page(request, _transfer_form(initial={"product": product.sku} if product else {}),
                                   product=product)
    form = _transfer_form(request.POST)
    if not form.is_valid():
        return _transfer_form_page(request, form, product=form.cleaned_data.get("product_obj"), status=400)
    data = form.cleaned_data
    product = data["product_obj"]
    try:
        transfer = services.transfer_send(product=product, from_location=data["from_location"],
                                          to_warehouse=data["to_warehouse"], quantity=data["quantity"],
                                          batch=data["batch_obj"], note=data["note"], by=request.user)
    except ApplicationError as exc:
        errors = apply_service_errors(exc, form=form)
        return _transfer_form_page(request, form, product=product, errors=errors, status=exc.status)
    messages.success(request, _("%(number)s sent: %(quantity)s of %(sku)s from %(from)s to %(to)s, in transit "
                                "until it is received.") % {
        "number": transfer.number, "quantity": plain(transfer.quantity), "sku": product.sku,
        "from": transfer.from_location, "to": transfer.to_warehouse.code})
    return redirect("inventory:transfer_list")


@login_required
@require_POST
def transfer_receive_page(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, "inventory.view_transfer", "inventory.receive_stock")
    form = TransferReceiveForm(request.POST, locations=selectors_stock.active_locations())
    if not form.is_valid():
        messages.error(request, _("Choose a location of the receiving warehouse."))
        return redirect_back(request, reverse("inventory:transfer_list"))
    try:
        transfer = services.transfer_receive(transfer_id=pk, location=form.cleaned_data["location"], by=request.user)
    except ApplicationError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from None
        messages.error(request, _refusal_text(exc))
    else:
        messages.success(request, _("%(number)s received into %(location)s.") % {
            "number": transfer.number, "location": transfer.to_location})
    return redirect_back(request, reverse("inventory:transfer_list"))


# --- cycle counts ----------------------------------------------------------------------------------

def _count_list_page(request: HttpRequest, *, form: CountCreateForm | None = None, errors: list[str] | None = None,
                     status: int = 200) -> HttpResponse:
    page = Paginator(selectors_stock.counts_open_first(), PAGE_SIZE).get_page(request.GET.get("page"))
    may_count = request.user.has_perm("inventory.count_stock")
    return render(request, "inventory/stock/count_list.html", {
        "page": page,
        "create_form": (form or CountCreateForm(locations=selectors_stock.active_locations())) if may_count else None,
        "errors": errors or [],
    }, status=status)


@login_required
@permission_required("inventory.view_cyclecount", raise_exception=True)
def count_list_page(request: HttpRequest) -> HttpResponse:
    return _count_list_page(request)


@login_required
@require_POST
def count_create_page(request: HttpRequest) -> HttpResponse:
    _require(request.user, "inventory.view_cyclecount", "inventory.count_stock")
    form = CountCreateForm(request.POST, locations=selectors_stock.active_locations())
    if not form.is_valid():
        return _count_list_page(request, form=form, status=400)
    try:
        count = services.count_create(location=form.cleaned_data["location"], by=request.user)
    except ApplicationError as exc:
        errors = apply_service_errors(exc, form=form)
        return _count_list_page(request, form=form, errors=errors, status=exc.status)
    messages.success(request, _("%(number)s: the count sheet for %(location)s is ready.") % {
        "number": count.number, "location": count.location})
    return redirect("inventory:count_detail", pk=count.pk)


def _get_count(pk: int) -> CycleCount:
    try:
        return selectors.count_detail(pk)
    except CycleCount.DoesNotExist:
        raise Http404(_("Count not found.")) from None


def _count_page(request: HttpRequest, count: CycleCount, *, form: CountEntryForm | None = None,
                errors: list[str] | None = None, status: int = 200) -> HttpResponse:
    user = request.user
    lines = list(count.lines.all())
    is_active = count.state in (CountState.OPEN, CountState.COUNTED)
    may_count = user.has_perm("inventory.count_stock")
    counted_by_viewer = count.state == CountState.COUNTED and count.counted_by_id == user.pk
    entry_form = (form or CountEntryForm(lines=lines)) if is_active and may_count else None
    return render(request, "inventory/stock/count_detail.html", {
        "count": count,
        "rows": [{"line": line, "field": entry_form[f"line_{line.pk}"] if entry_form else None} for line in lines],
        "entry_form": entry_form,
        "differences": sum(1 for line in lines if line.difference),
        "can_confirm": (count.state == CountState.COUNTED and user.has_perm("inventory.confirm_count")
                        and not counted_by_viewer),
        "counted_by_viewer": counted_by_viewer,
        "can_cancel": is_active and may_count,
        "adjustments": (list(selectors_stock.count_adjustments(count)) if count.state == CountState.CONFIRMED
                        else []),
        "show_ledger_links": user.has_perm("inventory.view_stocklevel"),
        "errors": errors or [],
    }, status=status)


@login_required
@permission_required("inventory.view_cyclecount", raise_exception=True)
def count_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _count_page(request, _get_count(pk))


@login_required
@require_POST
def count_enter_page(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, "inventory.view_cyclecount", "inventory.count_stock")
    count = _get_count(pk)
    form = CountEntryForm(request.POST, lines=list(count.lines.all()))
    if not form.is_valid():
        return _count_page(request, count, form=form, status=400)
    try:
        services.count_enter(count_id=count.pk, counted=form.counted(), extra=form.cleaned_data["extra"],
                             by=request.user)
    except ApplicationError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from None
        leftover = [] if exc.errors else [exc.message]
        for key, msgs in exc.errors.items():
            field = form.service_field(key)
            for message in msgs:
                if field:
                    form.add_error(field, message)
                else:
                    leftover.append(message)
        return _count_page(request, count, form=form, errors=leftover, status=exc.status)
    messages.success(request, _("%(number)s: counted quantities saved. A second person now confirms the count.")
                     % {"number": count.number})
    return redirect("inventory:count_detail", pk=count.pk)


@login_required
@require_POST
def count_confirm_page(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, "inventory.view_cyclecount", "inventory.confirm_count")
    try:
        count = services.count_confirm(count_id=pk, by=request.user)
    except ApplicationError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from None
        if exc.errors:  # keyed by SKU: say which product cannot be adjusted
            text = " ".join([exc.message, *(f"{sku}: {' '.join(msgs)}" for sku, msgs in exc.errors.items())])
        else:
            text = exc.message
        messages.error(request, text)
        return redirect("inventory:count_detail", pk=pk)
    messages.success(request, _("%(number)s confirmed; the differences are posted as adjustments.") % {
        "number": count.number})
    return redirect("inventory:count_detail", pk=pk)


@login_required
@require_POST
def count_cancel_page(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, "inventory.view_cyclecount", "inventory.count_stock")
    try:
        count = services.count_cancel(count_id=pk, by=request.user)
    except ApplicationError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from None
        messages.error(request, _refusal_text(exc))
        return redirect("inventory:count_detail", pk=pk)
    messages.success(request, _("%(number)s cancelled; nothing was adjusted.") % {"number": count.number})
    return redirect("inventory:count_detail", pk=pk)
