"""Receipts of goods not ordered on a purchase order, and adjustments of what a location
holds: both are posted as stock moves and answered as one."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from .. import services
from ..api import ProductInputSerializer, batch_of, location_field, problems, quantity_field
from ..models import QTY_DIGITS, QTY_PLACES, MoveKind, Warehouse
from .moves import MOVE_LIST, StockMovesBase, StockMoveSerializer


class StockReceiptInputSerializer(ProductInputSerializer):
    warehouse = serializers.PrimaryKeyRelatedField(queryset=Warehouse.objects.all())
    quantity = quantity_field(help_text=_("What arrived, including what is rejected."))
    rejected = quantity_field(min_value=0, required=False, default=0, help_text=_("Failed inspection."))
    batch = serializers.CharField(max_length=64, required=False, allow_blank=True, default="",
                                  help_text=_("Required for batch-tracked products; created on first receipt."))
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)
    location = location_field(required=False, allow_null=True, default=None,
                              help_text=_("In the warehouse; default: receiving."))
    reference = serializers.CharField(max_length=64, required=False, allow_blank=True, default="",
                                      help_text=_("The delivery's document, e.g. the supplier's delivery note."))


@extend_schema_view(list=MOVE_LIST)
class StockReceiptViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, StockMovesBase):
    """Receipts, newest first (those against purchase and work orders too); a receipt of
    goods not ordered on a purchase order (returns, found or opening stock) is posted here
    with its inspection result."""

    api_scope = "stock"
    kind = MoveKind.RECEIPT

    @extend_schema(request=StockReceiptInputSerializer, responses={201: StockMoveSerializer, **problems(400, 403)})
    def create(self, request: Request) -> Response:
        """Receive goods into a warehouse location: `quantity` arrived, `rejected` of it
        failed inspection (recorded, not stocked). Waiting backorders are then filled,
        highest priority first. Needs `inventory.receive_stock`."""
        serializer = StockReceiptInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        move = services.stock_receive(by=request.user, product=data["product"], warehouse=data["warehouse"],
                                      quantity=data["quantity"], rejected=data["rejected"], batch_code=data["batch"],
                                      expires_on=data["expires_on"], location=data["location"],
                                      reference=data["reference"])
        return self._render_move(move)


class StockAdjustmentInputSerializer(ProductInputSerializer):
    location = location_field()
    batch = serializers.CharField(max_length=64, required=False, allow_blank=True, default="",
                                  help_text=_("An existing batch of the product, when it has batches."))
    delta = serializers.DecimalField(max_digits=QTY_DIGITS, decimal_places=QTY_PLACES,
                                     help_text=_("The change: negative takes stock away. Not zero."))
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000,
                                   help_text=_("Required: why the stock is adjusted."))

    def validate(self, data: dict) -> dict:
        data = super().validate(data)
        data["batch"] = batch_of(data["product"], data["batch"])
        return data


@extend_schema_view(list=MOVE_LIST)
class StockAdjustmentViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, StockMovesBase):
    """Adjustments of what a location holds (damage, found or lost stock, count
    differences), newest first."""

    api_scope = "stock"
    kind = MoveKind.ADJUST

    @extend_schema(request=StockAdjustmentInputSerializer,
                   responses={201: StockMoveSerializer, **problems(400, 403)})
    def create(self, request: Request) -> Response:
        """Correct what a location holds, with a reason; never below what is reserved in the
        warehouse (400). Needs `inventory.adjust_stock`."""
        serializer = StockAdjustmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        move = services.stock_adjust(by=request.user, **serializer.validated_data)
        return self._render_move(move)
