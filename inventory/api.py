"""Catalogue and stock API: products, warehouses, stock levels; and the pieces the stock
(`api_stock`) and supply (`api_supply`) endpoints share: quantity and product input, the
permission of service-checked writes, problem details in the schema, references."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import mixins, serializers, viewsets

from oms.api import ProblemSerializer, ServiceWriteMixin
from oms.api import problems as _problems
from oms.errors import PROBLEM_CONTENT_TYPE, NotFound
from oms.permissions import ModelRolePermission

from . import selectors, services
from .models import QTY_DIGITS, QTY_PLACES, Batch, Location, Product, StockLevel, Warehouse

#: Product fields only people who may see prices get (the warehouse and planners do not).
PRICE_FIELDS = ("list_price", "standard_cost")


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "sku", "name", "unit", "list_price", "standard_cost", "supply_type", "weight_kg",
                  "volume_m3", "fragile", "lead_time_days", "is_active"]
        read_only_fields = ["id"]
        extra_kwargs = {
            "sku": {"validators": []},  # the service reports duplicates
            "list_price": {"help_text": "Left out for callers without the orders.view_prices permission."},
            "standard_cost": {"required": False,
                              "help_text": "Left out for callers without the orders.view_prices permission."},
        }

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not request.user.has_perm("orders.view_prices"):
            for name in PRICE_FIELDS:
                data.pop(name, None)
        return data


class WarehouseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Warehouse
        fields = ["id", "code", "name", "address", "is_active"]
        read_only_fields = fields


class StockLevelSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)
    available = serializers.DecimalField(max_digits=14, decimal_places=3, read_only=True)

    class Meta:
        model = StockLevel
        fields = ["id", "product", "sku", "product_name", "warehouse", "warehouse_code", "on_hand", "reserved",
                  "available", "in_transit", "updated_at"]
        read_only_fields = fields


class ProductFilter(django_filters.FilterSet):
    sku = django_filters.CharFilter(field_name="sku", lookup_expr="iexact")
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    search = django_filters.CharFilter(method="filter_search", label="SKU or name contains")

    class Meta:
        model = Product
        fields = ["sku", "name", "supply_type", "is_active", "fragile"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(sku__icontains=value) | Q(name__icontains=value)) if value else queryset


class StockLevelFilter(django_filters.FilterSet):
    sku = django_filters.CharFilter(field_name="product__sku", lookup_expr="iexact")
    warehouse_code = django_filters.CharFilter(field_name="warehouse__code", lookup_expr="iexact")

    class Meta:
        model = StockLevel
        fields = ["product", "warehouse", "sku", "warehouse_code"]


class ProductViewSet(ServiceWriteMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     mixins.UpdateModelMixin, viewsets.GenericViewSet):
    api_scope = "catalogue"
    serializer_class = ProductSerializer
    queryset = selectors.product_list()
    filterset_class = ProductFilter
    ordering_fields = ["sku", "name", "list_price"]
    create_service = services.product_create
    update_service = services.product_update
    instance_kwarg = "product"


class WarehouseViewSet(viewsets.ReadOnlyModelViewSet):
    api_scope = "catalogue"
    serializer_class = WarehouseSerializer
    queryset = selectors.warehouse_list()
    filterset_fields = ["code", "is_active"]


class StockLevelViewSet(viewsets.ReadOnlyModelViewSet):
    """Stock per product and warehouse; `available` = on hand − reserved."""

    api_scope = "stock"
    serializer_class = StockLevelSerializer
    queryset = selectors.stock_list()
    filterset_class = StockLevelFilter
    ordering_fields = ["product__sku", "warehouse__code", "on_hand"]


# --- shared by the stock and supply endpoints ----------------------------------------------------

MIN_QUANTITY = Decimal("0.001")


def quantity_field(*, min_value: Decimal | None = MIN_QUANTITY, **kwargs: Any) -> serializers.DecimalField:
    """A quantity as the ledger stores it (at most 11 digits before and 3 after the point)."""
    return serializers.DecimalField(max_digits=QTY_DIGITS, decimal_places=QTY_PLACES, min_value=min_value, **kwargs)


def path_id(pk: Any) -> int:
    """The id in the path; anything but ASCII digits ("²" is a digit too) names no object."""
    if not (str(pk).isascii() and str(pk).isdigit()):
        raise NotFound()
    return int(pk)


class ViewThenServiceChecks(ModelRolePermission):
    """Every method needs the model's `view_*` permission (403 without it). Writes then call
    a service that checks the role itself (403), the object (404) and its state (409), so
    the answer says precisely what is wrong."""

    perms_map = {
        method: ["%(app_label)s.view_%(model_name)s"] for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
    } | {"OPTIONS": []}


class TransitionProblemSerializer(ProblemSerializer):
    allowed_transitions = serializers.ListField(
        child=serializers.CharField(), required=False,
        help_text=_("On a 409 for a step not possible now: the steps the document's state allows."))


def problems(*codes: int) -> dict:
    """`extend_schema` responses for the given error statuses; a 409 also names the state
    and the steps it allows."""
    responses = _problems(*codes)
    if 409 in codes:
        responses[(409, PROBLEM_CONTENT_TYPE)] = OpenApiResponse(
            TransitionProblemSerializer,
            description=_("Not possible in the current state: `state` and `allowed_transitions` say why."))
    return responses


class ProductInputSerializer(serializers.Serializer):
    """A product given by id or by SKU (either one; both must then agree)."""

    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all(), required=False, allow_null=True,
                                                 default=None, help_text=_("The product's id, or give `sku`."))
    sku = serializers.SlugRelatedField(
        slug_field="sku", queryset=Product.objects.all(), required=False, allow_null=True, default=None,
        error_messages={"does_not_exist": _("No product with SKU “{value}”.")},
        help_text=_("The product's SKU, instead of `product`."))

    def validate(self, data: dict) -> dict:
        by_sku = data.pop("sku", None)
        if by_sku is not None:
            if data.get("product") is not None and data["product"] != by_sku:
                raise serializers.ValidationError({"sku": [_("The SKU is not that of the product given.")]})
            data["product"] = by_sku
        if data.get("product") is None:
            raise serializers.ValidationError({"product": [_("Give the product's id or its SKU.")]})
        return data


def batch_of(product: Product, code: str, field: str = "batch") -> Batch | None:
    """The existing batch `code` of `product` (None for no code), or a field error."""
    code = (code or "").strip()
    if not code:
        return None
    batch = Batch.objects.filter(product=product, code=code).first()
    if batch is None:
        raise serializers.ValidationError({field: [_("No batch “%(code)s” of this product.") % {"code": code}]})
    return batch


def location_field(**kwargs: Any) -> serializers.PrimaryKeyRelatedField:
    return serializers.PrimaryKeyRelatedField(queryset=Location.objects.all(), **kwargs)


class WarehouseRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Warehouse
        fields = ["id", "code", "name"]
        read_only_fields = fields


class LocationRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Location
        fields = ["id", "code", "name"]
        read_only_fields = fields


def caller(serializer: serializers.Serializer) -> Any:
    """The user a representation is made for (what they may do next depends on it)."""
    return serializer.context["request"].user


def username_field(source: str) -> serializers.CharField:
    return serializers.CharField(source=f"{source}.username", default=None, allow_null=True, read_only=True)
