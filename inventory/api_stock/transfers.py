"""Transfers of stock between warehouses: sent, in transit, received."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from .. import selectors, services
from ..api import (
    LocationRefSerializer,
    ProductInputSerializer,
    ViewThenServiceChecks,
    WarehouseRefSerializer,
    batch_of,
    caller,
    location_field,
    path_id,
    problems,
    quantity_field,
    username_field,
)
from ..models import Transfer, TransferState, Warehouse


class TransferSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    batch_code = serializers.CharField(source="batch.code", default=None, allow_null=True, read_only=True)
    from_warehouse = WarehouseRefSerializer(source="from_location.warehouse", read_only=True)
    from_location = LocationRefSerializer(read_only=True)
    to_warehouse = WarehouseRefSerializer(read_only=True)
    to_location = LocationRefSerializer(read_only=True, allow_null=True)
    sent_by = username_field("sent_by")
    received_by = username_field("received_by")
    available_actions = serializers.SerializerMethodField()

    class Meta:
        model = Transfer
        fields = ["id", "number", "state", "available_actions", "product", "sku", "product_name", "batch",
                  "batch_code", "quantity", "from_warehouse", "from_location", "to_warehouse", "to_location", "note",
                  "sent_by", "sent_at", "received_by", "received_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), help_text=_(
        "`receive` (`POST …/receive/`) while in transit, for those who receive stock.")))
    def get_available_actions(self, transfer: Transfer) -> list[str]:
        if transfer.state == TransferState.IN_TRANSIT and caller(self).has_perm("inventory.receive_stock"):
            return ["receive"]
        return []


class TransferCreateSerializer(ProductInputSerializer):
    from_location = location_field(help_text=_("Where the goods leave from."))
    to_warehouse = serializers.PrimaryKeyRelatedField(queryset=Warehouse.objects.all())
    quantity = quantity_field()
    batch = serializers.CharField(max_length=64, required=False, allow_blank=True, default="",
                                  help_text=_("An existing batch; required for batch-tracked products."))
    note = serializers.CharField(max_length=250, required=False, allow_blank=True, default="")

    def validate(self, data: dict) -> dict:
        data = super().validate(data)
        data["batch"] = batch_of(data["product"], data["batch"])
        return data


class TransferReceiveSerializer(serializers.Serializer):
    location = location_field(required=False, allow_null=True, default=None,
                              help_text=_("In the destination warehouse; default: receiving."))


class TransferFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=TransferState.choices)
    product = django_filters.NumberFilter(field_name="product_id")
    sku = django_filters.CharFilter(field_name="product__sku", lookup_expr="iexact")
    from_warehouse = django_filters.NumberFilter(field_name="from_location__warehouse_id")
    to_warehouse = django_filters.NumberFilter(field_name="to_warehouse_id")
    number = django_filters.CharFilter(field_name="number", lookup_expr="icontains")

    class Meta:
        model = Transfer
        fields = ["state", "product", "sku", "from_warehouse", "to_warehouse", "number"]


@extend_schema_view(
    list=extend_schema(responses={200: TransferSerializer(many=True), **problems(400, 403, 404)}),
    retrieve=extend_schema(responses={200: TransferSerializer, **problems(403, 404)}),
)
class TransferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Stock sent between warehouses, newest first: in transit at the destination until
    received."""

    api_scope = "stock"
    queryset = Transfer.objects.none()
    serializer_class = TransferSerializer
    permission_classes = [ViewThenServiceChecks]
    filterset_class = TransferFilter
    ordering_fields = ["sent_at", "received_at", "number"]

    def get_queryset(self) -> QuerySet[Transfer]:
        return selectors.transfer_list()

    def _render(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        transfer = self.get_queryset().get(pk=pk)
        return Response(TransferSerializer(transfer, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=TransferCreateSerializer, responses={201: TransferSerializer, **problems(400, 403)})
    def create(self, request: Request) -> Response:
        """Send stock to another warehouse: it leaves the location now (never below what is
        reserved there) and is in transit until received. Needs `inventory.transfer_stock`."""
        serializer = TransferCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        transfer = services.transfer_send(by=request.user, **serializer.validated_data)
        return self._render(transfer.pk, status.HTTP_201_CREATED)

    @extend_schema(request=TransferReceiveSerializer,
                   responses={200: TransferSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def receive(self, request: Request, pk: str) -> Response:
        """The transfer arrived: into the destination location (receiving if none is
        named); waiting orders may then get it. 409 when already received. Needs
        `inventory.receive_stock`."""
        serializer = TransferReceiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.transfer_receive(transfer_id=path_id(pk), by=request.user, **serializer.validated_data)
        return self._render(path_id(pk))
