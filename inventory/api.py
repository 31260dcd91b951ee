"""Catalogue and stock API: products, warehouses, stock levels."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from rest_framework import mixins, serializers, viewsets

from oms.api import ServiceWriteMixin

from . import selectors, services
from .models import Product, StockLevel, Warehouse

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
                  "available", "updated_at"]
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
    serializer_class = ProductSerializer
    queryset = selectors.product_list()
    filterset_class = ProductFilter
    ordering_fields = ["sku", "name", "list_price"]
    create_service = services.product_create
    update_service = services.product_update
    instance_kwarg = "product"


class WarehouseViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = WarehouseSerializer
    queryset = selectors.warehouse_list()
    filterset_fields = ["code", "is_active"]


class StockLevelViewSet(viewsets.ReadOnlyModelViewSet):
    """Stock per product and warehouse; `available` = on hand − reserved."""

    serializer_class = StockLevelSerializer
    queryset = selectors.stock_list()
    filterset_class = StockLevelFilter
    ordering_fields = ["product__sku", "warehouse__code", "on_hand"]
