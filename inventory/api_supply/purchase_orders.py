"""Purchase orders: created from requisitions and lines, sent, confirmed, cancelled,
received (with inspection) and delayed."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from oms.money import DECIMAL_PLACES, MAX_DIGITS

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
from ..models import INCOMING_PO_STATES, PurchaseOrder, PurchaseOrderLine, PurchaseOrderState, Supplier, Warehouse
from ..services.supply import PLAN
from .common import SupplierRefSerializer, available_steps
from .exceptions import SupplyExceptionSerializer, exception_response

RECEIVE = "inventory.receive_stock"
MAX_LIST_INPUT = 500


PURCHASE_PRICES = "inventory.view_purchase_prices"

class PurchaseOrderLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    open_quantity = serializers.DecimalField(max_digits=14, decimal_places=3, read_only=True,
                                             help_text=_("Still to come: ordered − received − rejected."))
    line_total = serializers.DecimalField(max_digits=MAX_DIGITS + 3, decimal_places=DECIMAL_PLACES, read_only=True)

    class Meta:
        model = PurchaseOrderLine
        fields = ["id", "line_no", "product", "sku", "product_name", "quantity", "unit_price", "line_total",
                  "received_quantity", "rejected_quantity", "open_quantity"]
        read_only_fields = fields
        extra_kwargs = {"quantity": {"help_text": _("Ordered.")},
                        "received_quantity": {"help_text": _("Received and accepted at inspection.")},
                        "rejected_quantity": {"help_text": _("Arrived but rejected at inspection.")}}


class PurchaseOrderSerializer(serializers.ModelSerializer):
    supplier = SupplierRefSerializer(read_only=True)
    warehouse = WarehouseRefSerializer(read_only=True)
    lines = PurchaseOrderLineSerializer(many=True, read_only=True)
    total_amount = serializers.SerializerMethodField()
    exceptions = SupplyExceptionSerializer(many=True, read_only=True)
    created_by = username_field("created_by")
    available_transitions = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()

    class Meta:
        model = PurchaseOrder
        fields = ["id", "number", "state", "available_transitions", "available_actions", "supplier", "warehouse",
                  "currency", "expected_date", "supplier_reference", "notes", "total_amount", "lines", "exceptions",
                  "created_by", "created_at", "sent_at", "confirmed_at", "updated_at"]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not caller(self).has_perm(PURCHASE_PRICES):  # the warehouse receives goods, not prices
            data.pop("total_amount", None)
            for line in data["lines"]:
                line.pop("unit_price", None)
                line.pop("line_total", None)
        return data

    @extend_schema_field(serializers.DecimalField(max_digits=MAX_DIGITS + 3, decimal_places=DECIMAL_PLACES,
                                                  help_text=_("Left out for callers without "
                                                              "inventory.view_purchase_prices.")))
    def get_total_amount(self, purchase_order: PurchaseOrder) -> str:
        return str(purchase_order.total)

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), help_text=_(
        "Steps of `POST /purchase-orders/{id}/transitions/{name}/` the caller may run now.")))
    def get_available_transitions(self, purchase_order: PurchaseOrder) -> list[str]:
        return available_steps(purchase_order, services.PURCHASE_ORDER_STEPS, caller(self))

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), help_text=_(
        "`receive` (`POST …/receipts/`) and `delay` (`POST …/delays/`) when the caller may now.")))
    def get_available_actions(self, purchase_order: PurchaseOrder) -> list[str]:
        if purchase_order.state not in INCOMING_PO_STATES:
            return []
        user = caller(self)
        return [name for name, perm in (("receive", RECEIVE), ("delay", PLAN)) if user.has_perm(perm)]


class PurchaseOrderLineInputSerializer(ProductInputSerializer):
    quantity = quantity_field()
    unit_price = serializers.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, min_value=0,
                                          required=False, default=0)


class PurchaseOrderCreateSerializer(serializers.Serializer):
    supplier = serializers.PrimaryKeyRelatedField(queryset=Supplier.objects.all())
    warehouse = serializers.PrimaryKeyRelatedField(queryset=Warehouse.objects.all(),
                                                   help_text=_("Where the goods are delivered."))
    expected_date = serializers.DateField(help_text=_("Today or later."))
    requisitions = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=MAX_LIST_INPUT,
        help_text=_("Open requisitions to order: one line per product, their quantities added up, at the "
                    "product's standard cost."))
    lines = PurchaseOrderLineInputSerializer(many=True, required=False, default=list, max_length=MAX_LIST_INPUT,
                                             help_text=_("Further lines."))
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class PurchaseOrderTransitionSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000,
                                   help_text=_("Required to cancel."))
    supplier_reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=64,
                                               help_text=_("The supplier's order number, on `confirm`."))


class ReceiptInputSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, help_text=_("The id of a line of this purchase order."))
    quantity = quantity_field(help_text=_("What arrived, including what is rejected."))
    rejected = quantity_field(min_value=0, required=False, default=0, help_text=_("Failed inspection."))
    batch = serializers.CharField(max_length=64, required=False, allow_blank=True, default="",
                                  help_text=_("Required for batch-tracked products."))
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)
    location = location_field(required=False, allow_null=True, default=None,
                              help_text=_("In the purchase order's warehouse; default: receiving."))


class PurchaseOrderReceiveSerializer(serializers.Serializer):
    receipts = ReceiptInputSerializer(many=True, allow_empty=False, max_length=MAX_LIST_INPUT)


class PurchaseOrderDelaySerializer(serializers.Serializer):
    new_expected_date = serializers.DateField(help_text=_("Today or later."))
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000,
                                 help_text=_("Required: what the supplier said."))


class PurchaseOrderFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=PurchaseOrderState.choices)
    supplier = django_filters.NumberFilter(field_name="supplier_id")
    supplier_code = django_filters.CharFilter(field_name="supplier__code", lookup_expr="iexact")
    warehouse = django_filters.NumberFilter(field_name="warehouse_id")
    product = django_filters.NumberFilter(method="filter_product", label=_("Product on any line (id)"))
    sku = django_filters.CharFilter(method="filter_sku", label=_("SKU on any line"))
    expected_after = django_filters.DateFilter(field_name="expected_date", lookup_expr="gte")
    expected_before = django_filters.DateFilter(field_name="expected_date", lookup_expr="lte")
    number = django_filters.CharFilter(field_name="number", lookup_expr="icontains")

    class Meta:
        model = PurchaseOrder
        fields = ["state", "supplier", "supplier_code", "warehouse", "product", "sku", "number"]

    def filter_product(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        return queryset.filter(pk__in=PurchaseOrderLine.objects.filter(product_id=value).values("purchase_order_id"))

    def filter_sku(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(pk__in=PurchaseOrderLine.objects.filter(product__sku__iexact=value)
                               .values("purchase_order_id"))


STEP_PARAMETER = OpenApiParameter("name", str, OpenApiParameter.PATH, enum=list(services.PURCHASE_ORDER_STEPS))


@extend_schema_view(
    list=extend_schema(responses={200: PurchaseOrderSerializer(many=True), **problems(400, 403, 404)}),
    retrieve=extend_schema(responses={200: PurchaseOrderSerializer, **problems(403, 404)}),
)
class PurchaseOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Purchase orders to suppliers, newest first, with their lines (ordered, received,
    rejected, still open) and the exceptions recorded on them. Each lists the steps the
    caller may run now."""

    api_scope = "supply"
    queryset = PurchaseOrder.objects.none()
    serializer_class = PurchaseOrderSerializer
    permission_classes = [ViewThenServiceChecks]
    filterset_class = PurchaseOrderFilter
    ordering_fields = ["created_at", "expected_date", "number", "updated_at"]

    def get_queryset(self) -> QuerySet[PurchaseOrder]:
        return selectors.purchase_orders_with_exceptions()

    def _render(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        purchase_order = self.get_queryset().get(pk=pk)
        return Response(PurchaseOrderSerializer(purchase_order, context=self.get_serializer_context()).data,
                        status=code)

    @extend_schema(request=PurchaseOrderCreateSerializer,
                   responses={201: PurchaseOrderSerializer, **problems(400, 403)})
    def create(self, request: Request) -> Response:
        """A draft purchase order from open `requisitions` and/or `lines`; the requisitions
        become `ordered`. 400 when a requisition is unknown or no longer open."""
        serializer = PurchaseOrderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        purchase_order = services.purchase_order_create(
            by=request.user, supplier=data["supplier"], warehouse=data["warehouse"],
            expected_date=data["expected_date"], requisition_ids=data["requisitions"], lines=data["lines"],
            notes=data["notes"])
        return self._render(purchase_order.pk, status.HTTP_201_CREATED)

    @extend_schema(request=PurchaseOrderTransitionSerializer, parameters=[STEP_PARAMETER],
                   responses={200: PurchaseOrderSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]+)")
    def transition(self, request: Request, pk: str, name: str) -> Response:
        """`send` a draft to the supplier, `confirm` the supplier's confirmation (with its
        `supplier_reference`), `close` a partly received order short (with a `reason`: the
        rest will not come) or `cancel` (with a `reason`; the requisitions open again).
        The promise dates of the orders waiting for the goods are recomputed."""
        serializer = PurchaseOrderTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.purchase_order_transition(purchase_order_id=path_id(pk), name=name, by=request.user,
                                           **serializer.validated_data)
        return self._render(path_id(pk))

    @extend_schema(request=PurchaseOrderReceiveSerializer,
                   responses={200: PurchaseOrderSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def receipts(self, request: Request, pk: str) -> Response:
        """Goods arrived: per line what arrived and how much of it failed inspection, with
        the batch and location. The accepted goods are stocked and fill waiting orders,
        highest priority first; the order becomes partially received or received."""
        serializer = PurchaseOrderReceiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        receipts = [{"line_id": row["line"], "quantity": row["quantity"], "rejected": row["rejected"],
                     "batch_code": row["batch"], "expires_on": row["expires_on"], "location": row["location"]}
                    for row in serializer.validated_data["receipts"]]
        services.purchase_order_receive(purchase_order_id=path_id(pk), receipts=receipts, by=request.user)
        return self._render(path_id(pk))

    @extend_schema(request=PurchaseOrderDelaySerializer,
                   responses={201: SupplyExceptionSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def delays(self, request: Request, pk: str) -> Response:
        """The supplier will deliver later: the delay is recorded as an exception, the
        expected date moves, and so do the promise dates of the orders waiting for it. The
        answer is the exception, listing the orders it affects."""
        serializer = PurchaseOrderDelaySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        exception = services.purchase_order_delay(purchase_order_id=path_id(pk), by=request.user,
                                                  **serializer.validated_data)
        return exception_response(self, exception.pk, status.HTTP_201_CREATED)
