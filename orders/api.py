"""Orders API: list, detail, create (optionally straight to `submitted`) and transitions."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from customers.models import Address, Contact, Customer
from inventory.models import Product
from oms.money import Currency, PaymentTerms

from . import selectors, services
from .models import (
    Channel,
    Contract,
    InquiryLine,
    OrderEvent,
    OrderNote,
    OrderState,
    Quotation,
    SalesOrder,
    SalesOrderLine,
)
from .transitions import TRANSITIONS

PRICE_FIELDS = ("total_amount", "amount_paid")
LINE_PRICE_FIELDS = ("unit_price", "discount_percent", "line_total")


class OrderLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    line_total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = SalesOrderLine
        fields = ["line_no", "product", "sku", "product_name", "description", "quantity", "unit_price",
                  "discount_percent", "line_total"]
        read_only_fields = fields


class OrderEventSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", default=None, read_only=True)

    class Meta:
        model = OrderEvent
        fields = ["at", "kind", "by", "from_state", "to_state", "reason", "payload"]
        read_only_fields = fields


class CustomerRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "code", "name"]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    customer = CustomerRefSerializer(read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)
    delivery_address_text = serializers.CharField(source="delivery_address", default=None, read_only=True)
    entered_by = serializers.CharField(source="entered_by.username", default=None, read_only=True)
    available_transitions = serializers.SerializerMethodField()

    class Meta:
        model = SalesOrder
        fields = ["id", "number", "state", "available_transitions", "customer", "contact", "channel",
                  "customer_reference", "requested_date", "delivery_address", "delivery_address_text",
                  "payment_terms", "currency", "total_amount", "amount_paid", "lines", "notes", "entered_by",
                  "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_available_transitions(self, order: SalesOrder) -> list[str]:
        return selectors.available_transitions(order, self.context["request"].user)

    def to_representation(self, instance: SalesOrder) -> dict:
        data = super().to_representation(instance)
        if not selectors.can_see_prices(self.context["request"].user):
            for name in PRICE_FIELDS:
                data.pop(name, None)
            for line in data["lines"]:
                for name in LINE_PRICE_FIELDS:
                    line.pop(name, None)
        return data


class OrderNeedSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", default=None, read_only=True)
    product_name = serializers.CharField(source="product.name", default=None, read_only=True)

    class Meta:
        model = InquiryLine
        fields = ["line_no", "product", "sku", "product_name", "requirement", "quantity", "requested_date",
                  "expectations"]
        read_only_fields = fields


class OrderNoteSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", default=None, read_only=True)

    class Meta:
        model = OrderNote
        fields = ["id", "body", "by", "at"]
        read_only_fields = fields


class OrderQuotationRefSerializer(serializers.ModelSerializer):
    total = serializers.DecimalField(source="total_amount", max_digits=14, decimal_places=2, required=False)

    class Meta:
        model = Quotation
        fields = ["id", "number", "revision", "state", "currency", "total", "valid_until"]
        read_only_fields = ["id", "number", "revision", "state", "currency", "valid_until"]


class OrderContractRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contract
        fields = ["id", "number", "state"]
        read_only_fields = fields


class OrderDetailSerializer(OrderSerializer):
    """The order with its timeline and pre-order documents: needs, conversation notes,
    quotation revisions (newest first) and contracts. `notes` stays the order's own text."""

    events = OrderEventSerializer(many=True, read_only=True)
    needs = serializers.SerializerMethodField()
    conversation_notes = serializers.SerializerMethodField()
    quotations = serializers.SerializerMethodField()
    contracts = serializers.SerializerMethodField()

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "events", "needs", "conversation_notes", "quotations", "contracts"]
        read_only_fields = fields

    def _documents(self, order: SalesOrder) -> dict:
        # one fixed set of queries per order, shared by the four fields below
        if not hasattr(order, "_preorder_documents"):
            order._preorder_documents = selectors.order_preorder_documents(order)
        return order._preorder_documents

    @extend_schema_field(OrderNeedSerializer(many=True))
    def get_needs(self, order: SalesOrder) -> list[dict]:
        return OrderNeedSerializer(self._documents(order)["needs"], many=True).data

    @extend_schema_field(OrderNoteSerializer(many=True))
    def get_conversation_notes(self, order: SalesOrder) -> list[dict]:
        return OrderNoteSerializer(self._documents(order)["notes"], many=True).data

    @extend_schema_field(OrderQuotationRefSerializer(many=True))
    def get_quotations(self, order: SalesOrder) -> list[dict]:
        data = OrderQuotationRefSerializer(self._documents(order)["quotations"], many=True).data
        if not selectors.can_see_prices(self.context["request"].user):
            for quotation in data:
                quotation.pop("total", None)
        return data

    @extend_schema_field(OrderContractRefSerializer(many=True))
    def get_contracts(self, order: SalesOrder) -> list[dict]:
        return OrderContractRefSerializer(self._documents(order)["contracts"], many=True).data


class OrderLineInputSerializer(serializers.Serializer):
    sku = serializers.SlugRelatedField(slug_field="sku", queryset=Product.objects.all(),
                                       error_messages={"does_not_exist": _("No product with SKU “{value}”.")})
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3, min_value=Decimal("0.001"))
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False,
                                          allow_null=True, default=None)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100,
                                                required=False, default=0)
    description = serializers.CharField(max_length=250, required=False, allow_blank=True, default="")


class OrderCreateSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.all(), required=False, allow_null=True)
    delivery_address = serializers.PrimaryKeyRelatedField(queryset=Address.objects.all(), required=False,
                                                          allow_null=True)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
    requested_date = serializers.DateField(required=False, allow_null=True)
    payment_terms = serializers.ChoiceField(choices=PaymentTerms.choices, required=False)
    currency = serializers.ChoiceField(choices=Currency.choices, required=False)
    customer_reference = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    submit = serializers.BooleanField(
        default=False, help_text=_("Create the order directly in the `submitted` state (for orders already agreed)."))
    lines = OrderLineInputSerializer(many=True, allow_empty=True)


class TransitionInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class OrderFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=OrderState.choices)
    customer = django_filters.NumberFilter(field_name="customer_id")
    customer_code = django_filters.CharFilter(field_name="customer__code")
    number = django_filters.CharFilter(field_name="number", lookup_expr="icontains")
    sku = django_filters.CharFilter(method="filter_sku", label=_("SKU on any line"))
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    requested_after = django_filters.DateFilter(field_name="requested_date", lookup_expr="gte")
    requested_before = django_filters.DateFilter(field_name="requested_date", lookup_expr="lte")

    class Meta:
        model = SalesOrder
        fields = ["state", "customer", "customer_code", "channel", "number", "sku"]

    def filter_sku(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        ids = SalesOrderLine.objects.filter(product__sku=value).values("order_id")
        return queryset.filter(pk__in=ids)


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   viewsets.GenericViewSet):
    """Sales orders. Each order lists the transitions the caller may run now."""

    queryset = SalesOrder.objects.none()
    filterset_class = OrderFilter
    ordering_fields = ["created_at", "requested_date", "number", "total_amount", "updated_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[SalesOrder]:
        if self.action == "retrieve":
            return selectors.order_detail(self.request.user)
        if self.action == "transition":  # only resolves the id; the answer is re-read after
            return selectors.orders_visible_to(self.request.user)
        return selectors.order_list_with_lines(self.request.user)

    def get_serializer_class(self):
        if self.action == "create":
            return OrderCreateSerializer
        if self.action == "retrieve":
            return OrderDetailSerializer
        return OrderSerializer

    def get_permissions(self):
        if self.action == "transition":
            return [IsAuthenticated()]  # the service checks the transition's own permission
        return super().get_permissions()

    def _render(self, order_id: int, code: int = status.HTTP_200_OK) -> Response:
        order = selectors.order_detail(self.request.user).get(pk=order_id)
        return Response(OrderDetailSerializer(order, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=OrderCreateSerializer, responses={201: OrderDetailSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = OrderCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        lines = [
            services.LineInput(product=line["sku"], quantity=line["quantity"], unit_price=line["unit_price"],
                               discount_percent=line["discount_percent"], description=line["description"])
            for line in data.pop("lines")
        ]
        order = services.order_create(by=request.user, lines=lines, **data)
        return self._render(order.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=TransitionInputSerializer,
        responses={200: OrderDetailSerializer},
        parameters=[OpenApiParameter("name", str, OpenApiParameter.PATH,
                                     enum=list(TRANSITIONS))],
    )
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]+)")
    def transition(self, request: Request, pk: str | None = None, name: str = "") -> Response:
        order = self.get_object()
        serializer = TransitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.order_transition(order_id=order.pk, name=name, by=request.user,
                                  reason=serializer.validated_data["reason"])
        return self._render(order.pk)

