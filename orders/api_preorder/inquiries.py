"""Inquiries: open one with the customer's needs; replace the needs; add conversation notes."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from customers.models import Contact, Customer
from inventory.models import QTY_DIGITS, QTY_PLACES, Product

from .. import selectors, services
from ..api import OrderDetailSerializer
from ..models import Channel, SalesOrder
from .common import MIN_QUANTITY, ProductInputMixin, ServiceChecksRole, path_id, problems, sku_input_field


class NeedInputSerializer(ProductInputMixin):
    sku_field = "product_sku"

    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all(), required=False, allow_null=True,
                                                 default=None)
    product_sku = sku_input_field()
    requirement = serializers.CharField(max_length=500, required=False, allow_blank=True, default="",
                                        help_text=_("What the customer asked for, in their words."))
    quantity = serializers.DecimalField(max_digits=QTY_DIGITS, decimal_places=QTY_PLACES, min_value=MIN_QUANTITY)
    requested_date = serializers.DateField(required=False, allow_null=True, default=None)
    expectations = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, data: dict) -> dict:
        return self._resolve_product(data)


def _needs(data: list[dict]) -> list[services.NeedInput]:
    return [services.NeedInput(**need) for need in data]


class InquiryCreateSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.all(), required=False, allow_null=True,
                                                 default=None)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
    requested_date = serializers.DateField(required=False, allow_null=True, default=None)
    customer_reference = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000,
                                 help_text=_("The first conversation note, if any."))
    needs = NeedInputSerializer(many=True)


class NeedsInputSerializer(serializers.Serializer):
    needs = NeedInputSerializer(many=True)


class NoteInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)


def _render_order(view: viewsets.GenericViewSet, order_id: int, code: int) -> Response:
    order = selectors.order_detail(view.request.user).get(pk=order_id)
    return Response(OrderDetailSerializer(order, context=view.get_serializer_context()).data, status=code)


class InquiryViewSet(viewsets.GenericViewSet):
    """Open an inquiry: a new order in `inquiry` with the customer's needs."""

    api_scope = "orders"
    queryset = SalesOrder.objects.none()
    serializer_class = InquiryCreateSerializer

    @extend_schema(operation_id="inquiries_create", request=InquiryCreateSerializer,
                   responses={201: OrderDetailSerializer, **problems(400, 403)})
    def create(self, request: Request) -> Response:
        serializer = InquiryCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order = services.inquiry_create(by=request.user, needs=_needs(data.pop("needs")), **data)
        return _render_order(self, order.pk, status.HTTP_201_CREATED)


class OrderPreorderViewSet(viewsets.GenericViewSet):
    """The inquiry steps of an order (`/orders/{id}/notes/`, `/orders/{id}/needs/`); the
    rest of the order resource is `orders.api.OrderViewSet`."""

    api_scope = "orders"
    queryset = SalesOrder.objects.none()
    permission_classes = [ServiceChecksRole]

    @extend_schema(operation_id="orders_notes_create", request=NoteInputSerializer,
                   responses={201: OrderDetailSerializer, **problems(400, 403, 404)})
    @action(detail=True, methods=["post"], serializer_class=NoteInputSerializer)
    def notes(self, request: Request, pk: str) -> Response:
        """Add a dated, signed conversation note (notes are never edited)."""
        serializer = NoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.order_add_note(order_id=path_id(pk), by=request.user, body=serializer.validated_data["body"])
        return _render_order(self, path_id(pk), status.HTTP_201_CREATED)

    @extend_schema(operation_id="orders_needs_update", request=NeedsInputSerializer,
                   responses={200: OrderDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["put"], serializer_class=NeedsInputSerializer)
    def needs(self, request: Request, pk: str) -> Response:
        """Replace the needs of an order that is still an inquiry."""
        serializer = NeedsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.inquiry_update_needs(order_id=path_id(pk), by=request.user,
                                      needs=_needs(serializer.validated_data["needs"]))
        return _render_order(self, path_id(pk), status.HTTP_200_OK)
