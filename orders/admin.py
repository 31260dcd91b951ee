"""Admin: a window on the data. State changes go through the transitions, not the admin form."""

from django.contrib import admin

from .models import NumberSequence, OrderEvent, SalesOrder, SalesOrderLine


class SalesOrderLineInline(admin.TabularInline):
    model = SalesOrderLine
    extra = 0
    readonly_fields = ["line_no", "product", "description", "quantity", "unit_price", "discount_percent"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    readonly_fields = ["at", "kind", "by", "from_state", "to_state", "reason", "payload"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SalesOrder)
class SalesOrderAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "state", "channel", "requested_date", "total_amount", "created_at"]
    list_filter = ["state", "channel", "currency"]
    search_fields = ["number", "customer__code", "customer__name", "customer_reference"]
    list_select_related = ["customer"]
    readonly_fields = ["number", "state", "total_amount", "amount_paid", "entered_by", "checks_done_at",
                       "created_at", "updated_at"]
    raw_id_fields = ["customer", "contact", "delivery_address"]
    inlines = [SalesOrderLineInline, OrderEventInline]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False  # orders are created through the intake services (pages and API)


@admin.register(SalesOrderLine)
class SalesOrderLineAdmin(admin.ModelAdmin):
    list_display = ["order", "line_no", "product", "quantity", "unit_price", "discount_percent"]
    search_fields = ["order__number", "product__sku"]
    list_select_related = ["order", "product"]
    readonly_fields = ["order", "line_no", "product", "quantity", "unit_price", "discount_percent"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(OrderEvent)
class OrderEventAdmin(admin.ModelAdmin):
    list_display = ["order", "at", "kind", "by", "from_state", "to_state"]
    list_filter = ["kind"]
    search_fields = ["order__number"]
    list_select_related = ["order", "by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(NumberSequence)
class NumberSequenceAdmin(admin.ModelAdmin):
    list_display = ["prefix", "year", "last_value"]

    def has_add_permission(self, request) -> bool:
        return False  # numbers are drawn by next_document_number

    def has_change_permission(self, request, obj=None) -> bool:
        return False
