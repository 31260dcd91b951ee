from django.db.models import QuerySet

from .models import Product, StockLevel, Warehouse


def product_list() -> QuerySet[Product]:
    return Product.objects.all()


def warehouse_list() -> QuerySet[Warehouse]:
    return Warehouse.objects.all()


def stock_list() -> QuerySet[StockLevel]:
    return StockLevel.objects.select_related("product", "warehouse")
