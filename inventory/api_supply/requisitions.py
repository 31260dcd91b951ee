"""Suppliers and purchase requisitions (requests to buy, before a purchase order)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from .. import selectors, services
from ..api import (
    ProductInputSerializer,
    ViewThenServiceChecks,
    WarehouseRefSerializer,
    caller,
    path_id,
    problems,
    quantity_field,
    username_field,
)
from ..models import PurchaseRequisition, RequisitionState, Supplier, Warehouse
from ..services.supply import PLAN
from .common import PurchaseOrderRefSerializer, SalesOrderLineRefSerializer

# --- suppliers -----------------------------------------------------------------------------------

class SupplierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Supplier
        fields = ["id", "code", "name", "contact_name", "email", "phone", "currency", "lead_time_days", "is_active"]
        read_only_fields = fields


class SupplierFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(field_name="code", lookup_expr="iexact")
    search = django_filters.CharFilter(method="filter_search", label=_("Code or name contains"))

    class Meta:
        model = Supplier
        fields = ["code", "is_active", "currency"]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value)) if value else queryset


@extend_schema_view(
    list=extend_schema(responses={200: SupplierSerializer(many=True), **problems(400, 403, 404)}),
    retrieve=extend_schema(responses={200: SupplierSerializer, **problems(403, 404)}),
)
class SupplierViewSet(viewsets.ReadOnlyModelViewSet):
    """Suppliers purchase orders go to (read-only here; kept in the admin)."""

    api_scope = "supply"
    queryset = Supplier.objects.none()
    serializer_class = SupplierSerializer
    filterset_class = SupplierFilter
    ordering_fields = ["code", "name", "lead_time_days"]

    def get_queryset(self) -> QuerySet[Supplier]:
        return selectors.supplier_list()


# --- purchase requisitions -----------------------------------------------------------------------

class PurchaseRequisitionSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    warehouse = WarehouseRefSerializer(read_only=True, allow_null=True)
    sales_order_line = SalesOrderLineRefSerializer(read_only=True, allow_null=True)
    purchase_order = PurchaseOrderRefSerializer(source="purchase_order_line.purchase_order", default=None,
                                                allow_null=True, read_only=True)
    created_by = username_field("created_by")
    available_actions = serializers.SerializerMethodField()

    class Meta:
        model = PurchaseRequisition
        fields = ["id", "number", "state", "available_actions", "product", "sku", "product_name", "quantity",
                  "needed_by", "warehouse", "sales_order_line", "purchase_order", "note", "created_by", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), help_text=_("`cancel` when open.")))
    def get_available_actions(self, requisition: PurchaseRequisition) -> list[str]:
        return ["cancel"] if requisition.state == RequisitionState.OPEN and caller(self).has_perm(PLAN) else []


class PurchaseRequisitionCreateSerializer(ProductInputSerializer):
    quantity = quantity_field()
    needed_by = serializers.DateField(required=False, allow_null=True, default=None,
                                      help_text=_("Today or later."))
    warehouse = serializers.PrimaryKeyRelatedField(queryset=Warehouse.objects.all(), required=False,
                                                   allow_null=True, default=None)
    note = serializers.CharField(max_length=250, required=False, allow_blank=True, default="")


class PurchaseRequisitionFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=RequisitionState.choices)
    product = django_filters.NumberFilter(field_name="product_id")
    sku = django_filters.CharFilter(field_name="product__sku", lookup_expr="iexact")
    warehouse = django_filters.NumberFilter(field_name="warehouse_id")
    order = django_filters.NumberFilter(field_name="sales_order_line__order_id",
                                        label=_("Raised for this sales order (id)"))
    needed_after = django_filters.DateFilter(field_name="needed_by", lookup_expr="gte")
    needed_before = django_filters.DateFilter(field_name="needed_by", lookup_expr="lte")
    number = django_filters.CharFilter(field_name="number", lookup_expr="icontains")

    class Meta:
        model = PurchaseRequisition
        fields = ["state", "product", "sku", "warehouse", "order", "number"]


@extend_schema_view(
    list=extend_schema(responses={200: PurchaseRequisitionSerializer(many=True), **problems(400, 403, 404)}),
    retrieve=extend_schema(responses={200: PurchaseRequisitionSerializer, **problems(403, 404)}),
)
class PurchaseRequisitionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Requests to buy: raised for the short lines of released sales orders, or by a
    planner. Those for the highest-priority orders come first."""

    api_scope = "supply"
    queryset = PurchaseRequisition.objects.none()
    serializer_class = PurchaseRequisitionSerializer
    permission_classes = [ViewThenServiceChecks]
    filterset_class = PurchaseRequisitionFilter
    ordering_fields = ["needed_by", "created_at", "number"]

    def get_queryset(self) -> QuerySet[PurchaseRequisition]:
        return selectors.requisition_list()

    def _render(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        requisition = self.get_queryset().get(pk=pk)
        return Response(PurchaseRequisitionSerializer(requisition, context=self.get_serializer_context()).data,
                        status=code)

    @extend_schema(request=PurchaseRequisitionCreateSerializer,
                   responses={201: PurchaseRequisitionSerializer, **problems(400, 403)})
    def create(self, request: Request) -> Response:
        """A planner's request to buy, not tied to a sales order (e.g. to refill stock)."""
        serializer = PurchaseRequisitionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        requisition = services.requisition_create(by=request.user, **serializer.validated_data)
        return self._render(requisition.pk, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: PurchaseRequisitionSerializer, **problems(403, 404, 409)})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Cancel an open requisition (409 once it is on a purchase order or cancelled)."""
        services.requisition_cancel(requisition_id=path_id(pk), by=request.user)
        return self._render(path_id(pk))
