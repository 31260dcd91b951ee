"""What the shipping endpoints share: the steps a caller may run now, who sees shipping
costs, how a shipment in the path is found, and how a shipment is answered."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import status, viewsets
from rest_framework.response import Response

from inventory.api import path_id
from oms.errors import NotFound

from .. import selectors
from ..models import LEFT_STATES, Shipment, ShipmentState
from ..services.packing import PACK
from ..services.shipments import PLAN
from ..services.shipping import SHIP
from ..services.tracking import TRACK

#: Who sees shipping costs (a shipment's cost, the carriers' rates and the options'
#: prices): logistics, who choose by them, finance and managers — not the warehouse.
COST_PERMISSION = "logistics.view_shipping_costs"

#: Each step of the API with the permission it needs and the state-machine transitions
#: of which one must be possible now (logistics.models.Shipment): verifying, measuring
#: and packing are possible while picking can start or packing can close.
STEPS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("start_picking", PACK, frozenset({"start_picking"})),
    ("verify", PACK, frozenset({"start_picking", "pack"})),
    ("measure", PACK, frozenset({"start_picking", "pack"})),
    ("pack", PACK, frozenset({"start_picking", "pack"})),
    ("reopen", PACK, frozenset({"reopen"})),
    ("cancel", PLAN, frozenset({"cancel"})),
    ("choose_carrier", SHIP, frozenset({"ship"})),
    ("ship", SHIP, frozenset({"ship"})),
    ("track", TRACK, frozenset({"deliver"})),
    ("report_exception", TRACK, frozenset({"report_exception"})),
    ("resume", TRACK, frozenset({"resume"})),
    ("deliver", TRACK, frozenset({"deliver"})),
)
STEP_NAMES = [name for name, _perm, _transitions in STEPS] + ["render_documents"]
#: Documents exist once a shipment is packed; those who pack or ship have them rendered again.
DOCUMENT_STATES = frozenset({ShipmentState.PACKED, *LEFT_STATES})
DOCUMENT_PERMISSIONS = (PACK, SHIP)

STEPS_HELP = _(
    "The steps the caller may run now, from the shipment's state and the caller's permissions: "
    "`start_picking` (POST …/start-picking/), `verify` (POST …/verify/, DELETE …/items/{item_id}/), "
    "`measure` (PUT or DELETE …/packages/{number}/), `pack`, `reopen`, `cancel`, `choose_carrier` "
    "(POST …/carrier/), `ship` (once a carrier is chosen), `track` (POST …/tracking-events/), "
    "`report_exception` (POST …/exception/), `resume`, `deliver` (POST …/proof-of-delivery/) and "
    "`render_documents` (POST …/documents/).")


def available_steps(shipment: Shipment, user: Any) -> list[str]:
    """The steps of STEPS (and `render_documents`) `user` may run on the shipment now. No
    query once the user's permissions are loaded."""
    possible = {t.name for t in shipment.get_available_state_transitions()}
    steps = []
    for name, perm, transitions in STEPS:
        if not possible & transitions or not user.has_perm(perm):
            continue
        if name == "ship" and shipment.carrier_service_id is None:
            continue
        steps.append(name)
    if shipment.state in DOCUMENT_STATES and any(user.has_perm(perm) for perm in DOCUMENT_PERMISSIONS):
        steps.append("render_documents")
    return steps


def sees_costs(user: Any) -> bool:
    return user.has_perm(COST_PERMISSION)


def caller(serializer: Any) -> Any:
    return serializer.context["request"].user


def visible_shipment_id(user: Any, pk: Any) -> int:
    """The id in the path of a shipment `user` may see; NotFound otherwise (so a step on
    someone else's shipment says 404, not which permission is missing)."""
    shipment_id = path_id(pk)
    if not selectors.shipments_visible_to(user).filter(pk=shipment_id).exists():
        raise NotFound(_("Shipment not found."))
    return shipment_id


def shipment_response(view: viewsets.GenericViewSet, shipment_id: int, code: int = status.HTTP_200_OK) -> Response:
    """The fresh detail representation of a shipment, the answer of every step on it."""
    from .serializers import ShipmentDetailSerializer

    shipment = selectors.shipment_detail(view.request.user).filter(pk=shipment_id).first()
    if shipment is None:
        raise NotFound(_("Shipment not found."))
    return Response(ShipmentDetailSerializer(shipment, context=view.get_serializer_context()).data, status=code)
