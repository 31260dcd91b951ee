"""What the supply endpoints share: the steps a caller may run now, and the references to
sales orders, their lines, suppliers and purchase orders."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from orders.models import SalesOrder, SalesOrderLine

from ..models import PurchaseOrder, Supplier
from ..services.supply import PLAN


def available_steps(document: Any, steps: tuple[str, ...], user: Any) -> list[str]:
    """The steps of `steps` the document's state allows now, if `user` plans supply."""
    if not user.has_perm(PLAN):
        return []
    possible = {t.name for t in document.get_available_state_transitions()}
    return [name for name in steps if name in possible]


# --- references ----------------------------------------------------------------------------------

class SalesOrderRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = SalesOrder
        fields = ["id", "number"]
        read_only_fields = fields


class SalesOrderLineRefSerializer(serializers.ModelSerializer):
    """The sales order line a work order or requisition was raised for."""

    order_number = serializers.CharField(source="order.number", read_only=True)

    class Meta:
        model = SalesOrderLine
        fields = ["order", "order_number", "line_no", "quantity", "backorder_quantity", "promise_date"]
        read_only_fields = fields


class SupplierRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Supplier
        fields = ["id", "code", "name"]
        read_only_fields = fields


class PurchaseOrderRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = PurchaseOrder
        fields = ["id", "number", "expected_date"]
        read_only_fields = fields
