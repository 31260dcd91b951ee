"""Work orders: made to stock or raised for sales order lines, released, started, blocked,
resumed, completed (with inspection) and cancelled."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
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
    location_field,
    path_id,
    problems,
    quantity_field,
    username_field,
)
from ..models import WORK_ORDER_EXCEPTIONS, Warehouse, WorkOrder, WorkOrderState
from ..services.supply import PLAN
from .common import SalesOrderLineRefSerializer, available_steps
from .exceptions import SupplyExceptionSerializer, exception_response


class WorkOrderSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    warehouse = WarehouseRefSerializer(read_only=True)
    sales_order_line = SalesOrderLineRefSerializer(read_only=True, allow_null=True, help_text=_(
        "The sales order line it was raised for; null when made to stock."))
    exceptions = SupplyExceptionSerializer(many=True, read_only=True)
    created_by = username_field("created_by")
    available_transitions = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()

    class Meta:
        model = WorkOrder
        fields = ["id", "number", "state", "available_transitions", "available_actions", "product", "sku",
                  "product_name", "quantity", "completed_quantity", "rejected_quantity", "warehouse", "due_date",
                  "sales_order_line", "notes", "exceptions", "created_by", "created_at", "started_at", "done_at",
                  "updated_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), help_text=_(
        "Steps of `POST /work-orders/{id}/transitions/{name}/` the caller may run now.")))
    def get_available_transitions(self, work_order: WorkOrder) -> list[str]:
        return available_steps(work_order, services.WORK_ORDER_STEPS, caller(self))

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), help_text=_(
        "`block` (`POST …/block/`) and `complete` (`POST …/complete/`) when the caller may now.")))
    def get_available_actions(self, work_order: WorkOrder) -> list[str]:
        if not caller(self).has_perm(PLAN):
            return []
        return [name for name in ("block", "complete") if can_proceed(getattr(work_order, name))]


class WorkOrderCreateSerializer(ProductInputSerializer):
    quantity = quantity_field()
    warehouse = serializers.PrimaryKeyRelatedField(queryset=Warehouse.objects.all(),
                                                   help_text=_("Where the goods go when done."))
    due_date = serializers.DateField(help_text=_("Today or later."))
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class WorkOrderTransitionSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000,
                                   help_text=_("Required to cancel."))


class WorkOrderBlockSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[(kind.value, kind.label) for kind in WORK_ORDER_EXCEPTIONS])
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000,
                                 help_text=_("Required: what happened."))
    new_due_date = serializers.DateField(required=False, allow_null=True, default=None,
                                         help_text=_("When known; today or later."))


class WorkOrderCompleteSerializer(serializers.Serializer):
    quantity = quantity_field(help_text=_("Made, including what is rejected."))
    rejected = quantity_field(min_value=0, required=False, default=0, help_text=_("Failed inspection."))
    batch = serializers.CharField(max_length=64, required=False, allow_blank=True, default="",
                                  help_text=_("Required for batch-tracked products."))
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)
    location = location_field(required=False, allow_null=True, default=None,
                              help_text=_("In the work order's warehouse; default: receiving."))


class WorkOrderFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=WorkOrderState.choices)
    product = django_filters.NumberFilter(field_name="product_id")
    sku = django_filters.CharFilter(field_name="product__sku", lookup_expr="iexact")
    warehouse = django_filters.NumberFilter(field_name="warehouse_id")
    order = django_filters.NumberFilter(field_name="sales_order_line__order_id",
                                        label=_("Raised for this sales order (id)"))
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")
    number = django_filters.CharFilter(field_name="number", lookup_expr="icontains")

    class Meta:
        model = WorkOrder
        fields = ["state", "product", "sku", "warehouse", "order", "number"]


WO_STEP_PARAMETER = OpenApiParameter("name", str, OpenApiParameter.PATH, enum=list(services.WORK_ORDER_STEPS))


@extend_schema_view(
    list=extend_schema(responses={200: WorkOrderSerializer(many=True), **problems(400, 403, 404)}),
    retrieve=extend_schema(responses={200: WorkOrderSerializer, **problems(403, 404)}),
)
class WorkOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Work orders, those for the highest-priority sales orders first, then by due date;
    each with the sales order line it is for and its exceptions."""

    api_scope = "supply"
    queryset = WorkOrder.objects.none()
    serializer_class = WorkOrderSerializer
    permission_classes = [ViewThenServiceChecks]
    filterset_class = WorkOrderFilter
    ordering_fields = ["due_date", "created_at", "number", "updated_at"]

    def get_queryset(self) -> QuerySet[WorkOrder]:
        return selectors.work_orders_with_exceptions()

    def _render(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        work_order = self.get_queryset().get(pk=pk)
        return Response(WorkOrderSerializer(work_order, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=WorkOrderCreateSerializer, responses={201: WorkOrderSerializer, **problems(400, 403)})
    def create(self, request: Request) -> Response:
        """A work order for a make item, not tied to a sales order (make to stock)."""
        serializer = WorkOrderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        work_order = services.work_order_create(by=request.user, **serializer.validated_data)
        return self._render(work_order.pk, status.HTTP_201_CREATED)

    @extend_schema(request=WorkOrderTransitionSerializer, parameters=[WO_STEP_PARAMETER],
                   responses={200: WorkOrderSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]+)")
    def transition(self, request: Request, pk: str, name: str) -> Response:
        """`release` a planned work order to production, `start` it, `resume` a blocked one
        (its open exceptions are resolved) or `cancel` it (with a `reason`)."""
        serializer = WorkOrderTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.work_order_transition(work_order_id=path_id(pk), name=name, by=request.user,
                                       reason=serializer.validated_data["reason"])
        return self._render(path_id(pk))

    @extend_schema(request=WorkOrderBlockSerializer,
                   responses={201: SupplyExceptionSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def block(self, request: Request, pk: str) -> Response:
        """Production stopped: the exception is recorded with, when known, the new due
        date; the promise dates of the waiting orders move. The answer is the exception,
        listing the orders it affects."""
        serializer = WorkOrderBlockSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        exception = services.work_order_block(work_order_id=path_id(pk), by=request.user,
                                              **serializer.validated_data)
        return exception_response(self, exception.pk, status.HTTP_201_CREATED)

    @extend_schema(request=WorkOrderCompleteSerializer,
                   responses={200: WorkOrderSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        """Production finished (the work order is in progress): what was made and how much
        failed inspection. The accepted goods are stocked and fill the waiting orders."""
        serializer = WorkOrderCompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        services.work_order_complete(work_order_id=path_id(pk), by=request.user, quantity=data["quantity"],
                                     rejected=data["rejected"], batch_code=data["batch"],
                                     expires_on=data["expires_on"], location=data["location"])
        return self._render(path_id(pk))
