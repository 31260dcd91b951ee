"""Steps in the warehouse: start picking, verify scanned items (and take them out again),
weigh and measure packages, pack, reopen and cancel."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.api import problems, quantity_field
from oms.errors import NotFound, ValidationFailed

from .. import services
from ..models import Package, PackedItem
from ..services.packing import MAX_PACKAGES
from .common import shipment_response, visible_shipment_id
from .serializers import ShipmentDetailSerializer, VerifiedItemSerializer


class VerifyInputSerializer(serializers.Serializer):
    # Checked by the service (400), after the caller's permission (403).
    sku = serializers.CharField(max_length=64, required=False, allow_blank=True, default="",
                                help_text=_("Required: the SKU scanned or typed."))
    quantity = quantity_field(min_value=None, required=False, allow_null=True, default=None,
                              help_text=_("Required: how many, at most what the line still needs."))
    batch = serializers.CharField(max_length=64, required=False, allow_blank=True, default="",
                                  help_text=_("The batch code: required for batch-tracked products, empty "
                                              "otherwise."))
    package = serializers.IntegerField(min_value=1, max_value=MAX_PACKAGES, required=False, allow_null=True,
                                       default=None, help_text=_("The package to put it in (created when new); "
                                                                 "default: the last one, or 1."))


class PackageMeasureInputSerializer(serializers.Serializer):
    weight_kg = serializers.DecimalField(max_digits=12, decimal_places=3, required=False, allow_null=True,
                                         default=None, help_text=_("Required: gross weight, above 0."))
    length_cm = serializers.DecimalField(max_digits=12, decimal_places=3, required=False, allow_null=True,
                                         default=None, help_text=_("Required: outer length, rounded to 0.1 cm."))
    width_cm = serializers.DecimalField(max_digits=12, decimal_places=3, required=False, allow_null=True,
                                        default=None, help_text=_("Required: outer width, rounded to 0.1 cm."))
    height_cm = serializers.DecimalField(max_digits=12, decimal_places=3, required=False, allow_null=True,
                                         default=None, help_text=_("Required: outer height, rounded to 0.1 cm."))


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000,
                                   help_text=_("Required: why (on the order's timeline)."))


ITEM_PARAMETER = OpenApiParameter("item_id", int, OpenApiParameter.PATH,
                                  description=_("A verified item of the shipment (`packages[].items[].id`)."))
PACKAGE_PARAMETER = OpenApiParameter("number", int, OpenApiParameter.PATH,
                                     description=_("The package number, 1 to 999."))

VERIFY_EXAMPLES = [
    OpenApiExample("A batch-tracked item", request_only=True,
                   value={"sku": "BRG-6204-2RS", "quantity": "20", "batch": "B2401", "package": 1}),
    OpenApiExample("Refused: not on the shipment", response_only=True, status_codes=["400"], value={
        "type": "https://oms.example/problems/packing_mismatch", "title": "Bad request", "status": 400,
        "detail": "GB-999 is not on shipment SH-2026-000012 (order SO-2026-000123): expected BRG-6204-2RS.",
        "code": "packing_mismatch",
        "errors": {"sku": ["GB-999 is not on shipment SH-2026-000012 (order SO-2026-000123): expected "
                           "BRG-6204-2RS."]}}),
]


class PackingActions:
    """The warehouse's steps on a shipment (`logistics.pack_shipment`; cancelling needs
    `logistics.plan_shipment`)."""

    @extend_schema(operation_id="shipments_start_picking", summary=_("Start picking"), request=None,
                   responses={200: ShipmentDetailSerializer, **problems(403, 404, 409)})
    @action(detail=True, methods=["post"], url_path="start-picking")
    def start_picking(self, request: Request, pk: str) -> Response:
        """The warehouse starts picking a planned shipment (verifying the first item does
        so too)."""
        shipment_id = visible_shipment_id(request.user, pk)
        services.shipment_start_picking(shipment_id=shipment_id, by=request.user)
        return shipment_response(self, shipment_id)

    @extend_schema(operation_id="shipments_verify", summary=_("Verify a scanned item and put it in a package"),
                   request=VerifyInputSerializer, examples=VERIFY_EXAMPLES,
                   responses={201: VerifiedItemSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str) -> Response:
        """Check one scanned item — SKU, quantity and batch — against the order and put it
        in a package. A mismatch changes nothing and is refused with 400 `packing_mismatch`,
        `errors` naming the field: a SKU not on the shipment, more than the line still
        needs, a batch missing (batch-tracked products), unknown, of another product,
        expired or not held in the shipment's warehouse. 409 once packed, or while a
        verbal order awaits its written confirmation (`awaiting_written_confirmation`)."""
        shipment_id = visible_shipment_id(request.user, pk)
        serializer = VerifyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.shipment_verify(shipment_id=shipment_id, by=request.user, **serializer.validated_data)
        item = (PackedItem.objects.select_related("package", "batch", "verified_by", "line__shipment",
                                                  "line__order_line__product").get(pk=item.pk))
        data = {"item": item, "line": item.line, "shipment_state": item.line.shipment.state}
        return Response(VerifiedItemSerializer(data, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(operation_id="shipments_items_destroy", summary=_("Take a verified item out again"),
                   parameters=[ITEM_PARAMETER], request=None,
                   responses={200: ShipmentDetailSerializer, **problems(403, 404, 409)})
    @action(detail=True, methods=["delete"], url_path=r"items/(?P<item_id>[0-9]+)")
    def unverify(self, request: Request, pk: str, item_id: str) -> Response:
        """An item packed by mistake comes out again, before the shipment is packed; the
        line's verified quantity goes down. The answer is the shipment."""
        shipment_id = visible_shipment_id(request.user, pk)
        try:
            services.shipment_unverify(shipment_id=shipment_id, item_id=int(item_id), by=request.user)
        except ValidationFailed as exc:
            if "item" in exc.errors and not PackedItem.objects.filter(pk=item_id, line__shipment_id=shipment_id
                                                                      ).exists():
                raise NotFound(_("This item is not on the shipment.")) from None
            raise
        return shipment_response(self, shipment_id)

    @extend_schema(methods=["PUT"], operation_id="shipments_packages_update",
                   summary=_("Weigh and measure a package"), parameters=[PACKAGE_PARAMETER],
                   request=PackageMeasureInputSerializer,
                   responses={200: ShipmentDetailSerializer, **problems(400, 403, 404, 409)})
    @extend_schema(methods=["DELETE"], operation_id="shipments_packages_destroy",
                   summary=_("Remove an empty package"), parameters=[PACKAGE_PARAMETER], request=None,
                   responses={200: ShipmentDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["put", "delete"], url_path=r"packages/(?P<number>[0-9]+)")
    def package(self, request: Request, pk: str, number: str) -> Response:
        """PUT: a package's gross weight and outer dimensions (the package is created when
        new). DELETE: remove an empty package (400 while items are in it). Every package
        with items must be measured before packing. The answer is the shipment."""
        shipment_id = visible_shipment_id(request.user, pk)
        if request.method == "DELETE":
            try:
                services.package_remove(shipment_id=shipment_id, by=request.user, number=int(number))
            except ValidationFailed as exc:
                if "package" in exc.errors and not Package.objects.filter(shipment_id=shipment_id,
                                                                          number=number).exists():
                    raise NotFound(_("There is no such package.")) from None
                raise
            return shipment_response(self, shipment_id)
        serializer = PackageMeasureInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.package_measure(shipment_id=shipment_id, by=request.user, number=int(number),
                                 **serializer.validated_data)
        return shipment_response(self, shipment_id)

    @extend_schema(operation_id="shipments_pack", summary=_("Close the packing"), request=None,
                   responses={200: ShipmentDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def pack(self, request: Request, pk: str) -> Response:
        """Close the packing: every line verified in full and every package with items
        weighed and measured (else 400 `not_verified`, `errors` listing what is missing);
        empty packages are dropped. The order becomes ready to ship and the packing
        documents are rendered in the background."""
        shipment_id = visible_shipment_id(request.user, pk)
        services.shipment_pack(shipment_id=shipment_id, by=request.user)
        return shipment_response(self, shipment_id)

    @extend_schema(operation_id="shipments_reopen", summary=_("Open a packed shipment again"),
                   request=ReasonInputSerializer,
                   responses={200: ShipmentDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        """A packed shipment is opened again to change what is in it, with a `reason`."""
        shipment_id = visible_shipment_id(request.user, pk)
        serializer = ReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.shipment_reopen(shipment_id=shipment_id, by=request.user, **serializer.validated_data)
        return shipment_response(self, shipment_id)

    @extend_schema(operation_id="shipments_cancel", summary=_("Cancel a shipment that has not left"),
                   request=ReasonInputSerializer,
                   responses={200: ShipmentDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Cancel a planned, picking or packed shipment, with a `reason`: its goods stay
        reserved for the order, for another shipment. Needs `logistics.plan_shipment`."""
        shipment_id = visible_shipment_id(request.user, pk)
        serializer = ReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.shipment_cancel(shipment_id=shipment_id, by=request.user, **serializer.validated_data)
        return shipment_response(self, shipment_id)

