"""The stock ledger (stock moves) and what each location holds per batch (stock quants).
The receipts and adjustments endpoints are views of the same moves (receipts.py)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from .. import selectors
from ..api import ViewThenServiceChecks, problems, username_field
from ..models import MoveKind, StockMove, StockQuant

# --- the ledger ----------------------------------------------------------------------------------

class StockMoveSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)
    location_code = serializers.CharField(source="location.code", default=None, allow_null=True, read_only=True)
    batch_code = serializers.CharField(source="batch.code", default=None, allow_null=True, read_only=True)
    by = username_field("by")

    class Meta:
        model = StockMove
        fields = ["id", "kind", "at", "product", "sku", "product_name", "warehouse", "warehouse_code", "location",
                  "location_code", "batch", "batch_code", "on_hand_delta", "reserved_delta", "in_transit_delta",
                  "rejected_quantity", "reference", "source_type", "source_id", "reason", "by"]
        read_only_fields = fields


class StockMoveFilter(django_filters.FilterSet):
    product = django_filters.NumberFilter(field_name="product_id")
    sku = django_filters.CharFilter(field_name="product__sku", lookup_expr="iexact")
    warehouse = django_filters.NumberFilter(field_name="warehouse_id")
    warehouse_code = django_filters.CharFilter(field_name="warehouse__code", lookup_expr="iexact")
    location = django_filters.NumberFilter(field_name="location_id")
    kind = django_filters.MultipleChoiceFilter(choices=MoveKind.choices)
    since = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte", label=_("At or after (ISO 8601)"))
    until = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt", label=_("Before (ISO 8601)"))
    reference = django_filters.CharFilter(field_name="reference", lookup_expr="iexact",
                                          label=_("Document number, e.g. PO-2026-000012"))

    class Meta:
        model = StockMove
        fields = ["product", "sku", "warehouse", "warehouse_code", "location", "kind", "reference"]


class StockMovesBase(viewsets.GenericViewSet):
    """The ledger's moves (of one kind, when `kind` is set), newest first."""

    queryset = StockMove.objects.none()
    serializer_class = StockMoveSerializer
    permission_classes = [ViewThenServiceChecks]
    filterset_class = StockMoveFilter
    ordering_fields = ["at"]
    kind: str | None = None

    def get_queryset(self) -> QuerySet[StockMove]:
        moves = selectors.stock_moves()
        return moves if self.kind is None else moves.filter(kind=self.kind)

    def _render_move(self, move: StockMove) -> Response:
        move = selectors.stock_moves().get(pk=move.pk)
        return Response(StockMoveSerializer(move, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


MOVE_LIST = extend_schema(responses={200: StockMoveSerializer(many=True), **problems(400, 403, 404)})


@extend_schema_view(list=MOVE_LIST,
                    retrieve=extend_schema(responses={200: StockMoveSerializer, **problems(403, 404)}))
class StockMoveViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StockMovesBase):
    """The stock ledger, newest first (`?ordering=at` for oldest first): every receipt,
    reservation, release, issue, adjustment and transfer, with the document it belongs to.
    Stock levels are the sums of these moves."""

    api_scope = "stock"
# --- stock per location --------------------------------------------------------------------------

class StockQuantSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)
    location_code = serializers.CharField(source="location.code", read_only=True)
    batch_code = serializers.CharField(source="batch.code", default=None, allow_null=True, read_only=True)
    expires_on = serializers.DateField(source="batch.expires_on", default=None, allow_null=True, read_only=True)
    received_on = serializers.DateField(source="batch.received_on", default=None, allow_null=True, read_only=True)

    class Meta:
        model = StockQuant
        fields = ["id", "product", "sku", "product_name", "warehouse", "warehouse_code", "location",
                  "location_code", "batch", "batch_code", "expires_on", "received_on", "on_hand"]
        read_only_fields = fields


class StockQuantFilter(django_filters.FilterSet):
    product = django_filters.NumberFilter(field_name="product_id")
    sku = django_filters.CharFilter(field_name="product__sku", lookup_expr="iexact")
    warehouse = django_filters.NumberFilter(field_name="warehouse_id")
    warehouse_code = django_filters.CharFilter(field_name="warehouse__code", lookup_expr="iexact")
    location = django_filters.NumberFilter(field_name="location_id")
    batch = django_filters.CharFilter(field_name="batch__code", lookup_expr="iexact", label=_("Batch code"))

    class Meta:
        model = StockQuant
        fields = ["product", "sku", "warehouse", "warehouse_code", "location", "batch"]


class StockLedgerPermission(ViewThenServiceChecks):
    """Nobody holds `view_stockquant`: what a location holds is the ledger summed, so it
    needs `view_stockmove`."""

    def get_required_permissions(self, method: str, model_cls: Any) -> list[str]:
        return [] if method == "OPTIONS" else ["inventory.view_stockmove"]


@extend_schema_view(
    list=extend_schema(responses={200: StockQuantSerializer(many=True), **problems(400, 403, 404)}),
    retrieve=extend_schema(responses={200: StockQuantSerializer, **problems(403, 404)}),
)
class StockQuantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """What each location holds, per product and batch (only what is there), first-expired
    first within a product: where to pick from."""

    api_scope = "stock"
    queryset = StockQuant.objects.none()
    serializer_class = StockQuantSerializer
    permission_classes = [StockLedgerPermission]
    filterset_class = StockQuantFilter
    ordering_fields = ["on_hand", "location__code"]

    def get_queryset(self) -> QuerySet[StockQuant]:
        return selectors.stock_quants()
