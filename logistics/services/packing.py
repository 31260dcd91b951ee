"""Pack and verify: every item is scanned (or typed) as SKU, quantity and batch and checked
against the order before it goes into a package; only a fully verified shipment with
weighed and measured packages can be packed."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import Batch, StockQuant
from inventory.services.ledger import check_quantity
from inventory.services.supply import refuse, run_step
from oms.errors import TransitionNotAllowed, ValidationFailed
from oms.money import plain
from oms.services import require_perm, service_transaction
from orders.models import SalesOrder

from ..locks import lock_shipment
from ..models import Package, PackedItem, Shipment, ShipmentLine, ShipmentState
from .orders import follow_shipments
from .shipments import SHIPPABLE_ORDER_STATES

PACK = "logistics.pack_shipment"
_PACKING_STATES = (ShipmentState.PLANNED, ShipmentState.PICKING)
MAX_PACKAGES = 999
#: Package measures: (field, largest value accepted).
_MEASURES = (("weight_kg", Decimal("99999")), ("length_cm", Decimal("9999")), ("width_cm", Decimal("9999")),
             ("height_cm", Decimal("9999")))


def _check_packable(order: SalesOrder, shipment: Shipment, step: str) -> None:
    if shipment.state not in _PACKING_STATES:
        raise refuse(shipment, step)
    if order.awaiting_confirmation:
        raise TransitionNotAllowed(
            _("Order %(number)s is a verbal order awaiting the customer's written confirmation: it cannot be "
              "packed yet.") % {"number": order.number}, code="awaiting_written_confirmation")
    if order.state not in SHIPPABLE_ORDER_STATES:
        raise TransitionNotAllowed(_("Order %(number)s is %(state)s: its goods cannot be packed.")
                                   % {"number": order.number, "state": order.get_state_display()},
                                   extra={"state": order.state})


def _start_picking(shipment: Shipment) -> None:
    if shipment.state == ShipmentState.PLANNED:
        shipment.start_picking()
        shipment.save()


def _package(shipment: Shipment, number: Any) -> Package:
    """The package `number` of the shipment, created when new; the last one (or #1) when None."""
    if number in (None, ""):
        package = shipment.packages.order_by("-number").first()
        return package or Package.objects.create(shipment=shipment, number=1)
    try:
        number = int(number)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= MAX_PACKAGES:
        raise ValidationFailed(errors={"package": [
            _("Enter a package number from 1 to %(max)s.") % {"max": MAX_PACKAGES}]}, code="packing_mismatch")
    package, _created = Package.objects.get_or_create(shipment=shipment, number=number)
    return package


def _mismatch(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors={field: [message]}, code="packing_mismatch")


def shipment_verify(*, shipment_id: int, by: Any, sku: str, quantity: Any, batch: str = "",
                    package: Any = None) -> PackedItem:
    """Check one scanned item against the order and put it in a package.

    Refused, changing nothing, when the SKU is not on the shipment, the quantity is more
    than the line still needs, or the batch is missing (batch-tracked products), unknown,
    of another product, expired or not in stock at the shipment's warehouse. Starts the
    picking of a planned shipment."""
    require_perm(by, PACK, _("You are not allowed to pick and pack shipments."))
    sku, code = (sku or "").strip(), (batch or "").strip()
    if not sku:
        raise ValidationFailed(errors={"sku": [_("Scan or type the SKU.")]})
    quantity = check_quantity(quantity, "quantity")
    with service_transaction():
        order, shipment = lock_shipment(shipment_id)
        _check_packable(order, shipment, "verify")
        lines = list(shipment.lines.select_for_update(of=("self",), no_key=True)
                     .select_related("order_line__product").order_by("order_line__line_no"))
        matching = [line for line in lines if line.order_line.product.sku.casefold() == sku.casefold()]
        if not matching:
            raise _mismatch("sku", _(
                "%(sku)s is not on shipment %(shipment)s (order %(order)s): expected %(expected)s.") % {
                "sku": sku, "shipment": shipment.number, "order": order.number,
                "expected": ", ".join(line.order_line.product.sku for line in lines)})
        line = next((line for line in matching if line.to_verify > 0), matching[0])
        product = line.order_line.product
        if quantity > line.to_verify:
            raise _mismatch("quantity", _(
                "Only %(left)s of %(sku)s are still to be packed on this shipment, not %(quantity)s.")
                % {"left": plain(line.to_verify), "sku": product.sku, "quantity": plain(quantity)})
        found = _check_batch(shipment, product, code, quantity)
        _start_picking(shipment)
        box = _package(shipment, package)
        item = PackedItem.objects.create(line=line, package=box, batch=found, quantity=quantity, verified_by=by)
        line.verified_quantity += quantity
        line.save(update_fields=["verified_quantity"])
    return item


def _check_batch(shipment: Shipment, product: Any, code: str, quantity: Decimal) -> Batch | None:
    if not product.batch_tracked:
        if code:
            raise _mismatch("batch", _("%(sku)s is not batch-tracked: leave the batch empty.") % {"sku": product.sku})
        return None
    if not code:
        raise _mismatch("batch", _("%(sku)s is batch-tracked: scan or type the batch.") % {"sku": product.sku})
    found = Batch.objects.filter(product=product, code=code).first()
    if found is None:
        raise _mismatch("batch", _("%(batch)s is not a batch of %(sku)s.") % {"batch": code, "sku": product.sku})
    if found.expires_on is not None and found.expires_on < timezone.localdate():
        raise _mismatch("batch", _("Batch %(batch)s expired on %(date)s and cannot be shipped.")
                        % {"batch": code, "date": found.expires_on.isoformat()})
    held = StockQuant.objects.filter(warehouse=shipment.warehouse, product=product, batch=found).aggregate(
        total=Sum("on_hand"))["total"] or Decimal(0)
    packed = PackedItem.objects.filter(line__shipment=shipment, batch=found).aggregate(
        total=Sum("quantity"))["total"] or Decimal(0)
    if packed + quantity > held:
        raise _mismatch("batch", _("%(warehouse)s holds only %(held)s of batch %(batch)s (%(packed)s already packed).")
                        % {"warehouse": shipment.warehouse.code, "held": plain(held), "batch": code,
                           "packed": plain(packed)})
    return found


def shipment_unverify(*, shipment_id: int, item_id: int, by: Any) -> None:
    """Take a verified item out again (packed by mistake), before the shipment is packed."""
    require_perm(by, PACK, _("You are not allowed to pick and pack shipments."))
    with service_transaction():
        order, shipment = lock_shipment(shipment_id)
        if shipment.state not in _PACKING_STATES:
            raise refuse(shipment, "unverify")
        item = PackedItem.objects.filter(pk=item_id, line__shipment=shipment).first()
        if item is None:
            raise ValidationFailed(errors={"item": [_("This item is not on the shipment.")]})
        line = ShipmentLine.objects.select_for_update(no_key=True).get(pk=item.line_id)
        line.verified_quantity -= item.quantity
        line.save(update_fields=["verified_quantity"])
        item.delete()


def _measure(value: Any, field: str, largest: Decimal) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError, TypeError):
        number = None
    if number is None or not number.is_finite():
        raise ValidationFailed(errors={field: [_("Enter a number.")]})
    if number <= 0 or number > largest:
        raise ValidationFailed(errors={field: [_("Enter a number above 0 and at most %(max)s.")
                                               % {"max": plain(largest)}]})
    return number


def package_measure(*, shipment_id: int, by: Any, number: Any, weight_kg: Any, length_cm: Any, width_cm: Any,
                    height_cm: Any) -> Package:
    """Record a package's gross weight and outer dimensions (creating the package if new)."""
    require_perm(by, PACK, _("You are not allowed to pick and pack shipments."))
    values = {"weight_kg": weight_kg, "length_cm": length_cm, "width_cm": width_cm, "height_cm": height_cm}
    errors: dict[str, list[str]] = {}
    measures: dict[str, Decimal] = {}
    for field, largest in _MEASURES:
        try:
            measures[field] = _measure(values[field], field, largest)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors=errors)
    with service_transaction():
        order, shipment = lock_shipment(shipment_id)
        if shipment.state not in _PACKING_STATES:
            raise refuse(shipment, "measure")
        package = _package(shipment, number)
        for field, value in measures.items():
            setattr(package, field, value.quantize(Decimal("0.001") if field == "weight_kg" else Decimal("0.1")))
        package.save()
    return package


def package_remove(*, shipment_id: int, by: Any, number: Any) -> None:
    """Remove an empty package."""
    require_perm(by, PACK, _("You are not allowed to pick and pack shipments."))
    with service_transaction():
        order, shipment = lock_shipment(shipment_id)
        if shipment.state not in _PACKING_STATES:
            raise refuse(shipment, "measure")
        wanted = str(number)
        package = shipment.packages.filter(number=wanted).first() if wanted.isascii() and wanted.isdigit() else None
        if package is None:
            raise ValidationFailed(errors={"package": [_("There is no such package.")]})
        if package.items.exists():
            raise ValidationFailed(errors={"package": [_("Take the items out of the package first.")]})
        package.delete()


def shipment_pack(*, shipment_id: int, by: Any) -> Shipment:
    """Close the packing: every line verified in full, every package with items weighed
    and measured (empty ones are dropped). The order becomes ready to ship; the packing
    documents are rendered after the commit."""
    require_perm(by, PACK, _("You are not allowed to pick and pack shipments."))
    with service_transaction():
        order, shipment = lock_shipment(shipment_id)
        _check_packable(order, shipment, "pack")
        lines = list(shipment.lines.select_related("order_line__product").order_by("order_line__line_no"))
        errors: dict[str, list[str]] = {}
        short = [line for line in lines if not line.is_verified]
        if short:
            errors["lines"] = [_("%(sku)s: %(verified)s of %(quantity)s verified.") % {
                "sku": line.order_line.product.sku, "verified": plain(line.verified_quantity),
                "quantity": plain(line.quantity)} for line in short]
        packages = list(shipment.packages.prefetch_related("items"))
        used = [package for package in packages if package.items.all()]
        unmeasured = [package.number for package in used if not package.is_measured]
        if unmeasured:
            errors["packages"] = [_("Weigh and measure package %(number)s.") % {"number": number}
                                  for number in unmeasured]
        if errors:
            raise ValidationFailed(_("The shipment is not fully verified and measured yet."), errors=errors,
                                   code="not_verified")
        Package.objects.filter(pk__in=[p.pk for p in packages if p not in used]).delete()
        _start_picking(shipment)
        run_step(shipment, "pack")
        shipment.packed_at, shipment.packed_by = timezone.now(), by
        shipment.save()
        follow_shipments(order, shipment=shipment, kind="shipment_packed", by=by,
                         payload={"packages": len(used)})
        shipment_id = shipment.pk
        transaction.on_commit(lambda: enqueue_documents(shipment_id), robust=True)
    return shipment


def shipment_reopen(*, shipment_id: int, by: Any, reason: str) -> Shipment:
    """Open a packed shipment again to change what is in it."""
    require_perm(by, PACK, _("You are not allowed to pick and pack shipments."))
    if not reason.strip():
        raise ValidationFailed(errors={"reason": [_("Say why the shipment is opened again.")]})
    with service_transaction():
        order, shipment = lock_shipment(shipment_id)
        run_step(shipment, "reopen")
        shipment.save()
        follow_shipments(order, shipment=shipment, kind="shipment_reopened", by=by, reason=reason.strip())
    return shipment


def enqueue_documents(shipment_id: int) -> None:
    from ..tasks import shipment_documents_render

    shipment_documents_render.delay(shipment_id)
