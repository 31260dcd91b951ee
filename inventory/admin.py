"""Admin for the catalogue and reference data. Stock documents and levels are read-only
here: they change only through the services (the ledger), so the admin cannot bypass it."""

from django.contrib import admin

from .models import (
    Batch,
    CycleCount,
    Location,
    Product,
    PurchaseOrder,
    PurchaseRequisition,
    StockLevel,
    StockMove,
    Supplier,
    SupplyException,
    Transfer,
    Warehouse,
    WorkOrder,
)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "unit", "list_price", "supply_type", "lead_time_days", "batch_tracked", "is_active"]
    list_filter = ["supply_type", "is_active", "fragile", "batch_tracked"]
    search_fields = ["sku", "name"]


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "regions", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["warehouse", "code", "name", "is_active"]
    list_filter = ["warehouse", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "contact_name", "email", "lead_time_days", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown for reference; written only by the services."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ["product", "warehouse", "on_hand", "reserved", "available", "in_transit"]
    list_filter = ["warehouse"]
    search_fields = ["product__sku", "product__name"]
    list_select_related = ["product", "warehouse"]


@admin.register(StockMove)
class StockMoveAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "product", "warehouse", "location", "batch", "on_hand_delta", "reserved_delta",
                    "in_transit_delta", "reference", "by"]
    list_filter = ["kind", "warehouse"]
    search_fields = ["product__sku", "reference"]
    list_select_related = ["product", "warehouse", "location__warehouse", "batch", "by"]


@admin.register(Batch)
class BatchAdmin(ReadOnlyAdmin):
    list_display = ["product", "code", "expires_on", "received_on"]
    search_fields = ["code", "product__sku"]
    list_select_related = ["product"]


@admin.register(PurchaseRequisition)
class PurchaseRequisitionAdmin(ReadOnlyAdmin):
    list_display = ["number", "product", "quantity", "needed_by", "state", "sales_order_line"]
    list_filter = ["state"]
    search_fields = ["number", "product__sku"]
    list_select_related = ["product", "sales_order_line"]


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "supplier", "warehouse", "state", "expected_date", "created_at"]
    list_filter = ["state", "supplier"]
    search_fields = ["number", "supplier__name", "supplier_reference"]
    list_select_related = ["supplier", "warehouse"]


@admin.register(WorkOrder)
class WorkOrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "product", "quantity", "state", "due_date", "warehouse"]
    list_filter = ["state", "warehouse"]
    search_fields = ["number", "product__sku"]
    list_select_related = ["product", "warehouse"]


@admin.register(SupplyException)
class SupplyExceptionAdmin(ReadOnlyAdmin):
    list_display = ["raised_at", "kind", "work_order", "purchase_order", "new_date", "resolved_at"]
    list_filter = ["kind"]
    list_select_related = ["work_order", "purchase_order"]


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ["number", "product", "quantity", "from_location", "to_warehouse", "state", "sent_at"]
    list_filter = ["state"]
    list_select_related = ["product", "from_location__warehouse", "to_warehouse"]


@admin.register(CycleCount)
class CycleCountAdmin(ReadOnlyAdmin):
    list_display = ["number", "location", "state", "created_at", "counted_by", "confirmed_by"]
    list_filter = ["state"]
    list_select_related = ["location__warehouse", "counted_by", "confirmed_by"]
