"""Admin: a window on the data. State changes go through the transitions, not the admin form."""

from django.contrib import admin

from .models import (
    Attachment,
    Contract,
    ContractClause,
    ContractTemplate,
    ContractTemplateClause,
    InquiryLine,
    NumberSequence,
    OrderEvent,
    OrderNote,
    Quotation,
    QuotationLine,
    QuotationPolicy,
    QuotationSignoff,
    ReviewCheck,
    SalesOrder,
    SalesOrderLine,
)


class ReadOnlyInline(admin.TabularInline):
    """A record of what happened: shown, never added, changed or deleted here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Documents with a state machine change only through their services (pages, API)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class SalesOrderLineInline(admin.TabularInline):
    model = SalesOrderLine
    extra = 0
    readonly_fields = ["line_no", "product", "description", "quantity", "unit_price", "discount_percent"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class OrderEventInline(ReadOnlyInline):
    """The timeline: never changed or deleted (the model refuses too)."""

    model = OrderEvent
    fields = ["at", "kind", "by", "from_state", "to_state", "reason", "payload"]
    readonly_fields = fields


class NeedInline(ReadOnlyInline):
    model = InquiryLine
    fields = ["line_no", "product", "requirement", "quantity", "requested_date", "expectations"]


class NoteInline(ReadOnlyInline):
    model = OrderNote
    fields = ["at", "by", "body"]
    readonly_fields = ["at"]



class ReviewCheckInline(ReadOnlyInline):
    model = ReviewCheck
    fields = ["run", "kind", "result", "summary", "checked_at", "overridden_by", "override_reason"]
    readonly_fields = ["checked_at"]


@admin.register(ReviewCheck)
class ReviewCheckAdmin(ReadOnlyAdmin):
    """The automatic checks and their overrides: a record, changed only by the review services."""

    list_display = ["order", "run", "kind", "result", "checked_at", "overridden_by"]
    list_filter = ["kind", "result"]
    search_fields = ["order__number"]
    list_select_related = ["order", "overridden_by"]


@admin.register(SalesOrder)
class SalesOrderAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "state", "channel", "requested_date", "total_amount", "created_at"]
    list_filter = ["state", "channel", "currency"]
    search_fields = ["number", "customer__code", "customer__name", "customer_reference"]
    list_select_related = ["customer"]
    readonly_fields = ["number", "state", "total_amount", "amount_paid", "entered_by", "checks_done_at",
                       "checks_result", "confirmation_due", "confirmed_at", "created_at", "updated_at"]
    raw_id_fields = ["customer", "contact", "delivery_address"]
    inlines = [SalesOrderLineInline, NeedInline, NoteInline, ReviewCheckInline, OrderEventInline]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False  # orders are created through the intake services (pages and API)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deleting an order would take its timeline (the audit trail) with it


@admin.register(SalesOrderLine)
class SalesOrderLineAdmin(admin.ModelAdmin):
    list_display = ["order", "line_no", "product", "quantity", "unit_price", "discount_percent"]
    search_fields = ["order__number", "product__sku"]
    list_select_related = ["order", "product"]
    readonly_fields = ["order", "line_no", "product", "quantity", "unit_price", "discount_percent"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnlyAdmin):
    """The audit trail: shown, never added, changed or deleted (the model refuses too)."""

    list_display = ["order", "at", "kind", "by", "from_state", "to_state"]
    list_filter = ["kind"]
    search_fields = ["order__number"]
    list_select_related = ["order", "by"]


@admin.register(NumberSequence)
class NumberSequenceAdmin(admin.ModelAdmin):
    list_display = ["prefix", "year", "last_value"]

    def has_add_permission(self, request) -> bool:
        return False  # numbers are drawn by next_document_number

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class QuotationLineInline(ReadOnlyInline):
    model = QuotationLine
    fields = ["line_no", "product", "description", "quantity", "unit_price", "discount_percent", "unit_cost"]


class QuotationSignoffInline(ReadOnlyInline):
    model = QuotationSignoff
    fields = ["round", "area", "decision", "by", "decided_at", "comment"]


@admin.register(Quotation)
class QuotationAdmin(ReadOnlyAdmin):
    list_display = ["number", "revision", "order", "state", "total_amount", "currency", "valid_until", "sent_at"]
    list_filter = ["state", "currency"]
    search_fields = ["number", "order__number", "order__customer__name", "order__customer__code"]
    list_select_related = ["order"]
    inlines = [QuotationLineInline, QuotationSignoffInline]


class ContractClauseInline(ReadOnlyInline):
    model = ContractClause
    fields = ["position", "title", "body"]


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdmin):
    list_display = ["number", "order", "quotation", "state", "delivery_date", "signed_on"]
    list_filter = ["state", "language"]
    search_fields = ["number", "order__number", "order__customer__name"]
    list_select_related = ["order", "quotation"]
    inlines = [ContractClauseInline]


class TemplateClauseInline(admin.StackedInline):
    model = ContractTemplateClause
    extra = 0


@admin.register(ContractTemplate)
class ContractTemplateAdmin(admin.ModelAdmin):
    """Templates are configuration: managed here; contracts copy their clauses when drafted."""

    list_display = ["name", "language", "is_default"]
    list_filter = ["language"]
    inlines = [TemplateClauseInline]


@admin.register(QuotationPolicy)
class QuotationPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "finance_required", "operations_required", "manager_discount_threshold",
                    "default_validity_days"]

    def has_add_permission(self, request) -> bool:
        return not QuotationPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    """Listed for reference; files are downloaded from the order page, which checks access."""

    list_display = ["filename", "order", "kind", "content_type", "size", "uploaded_by", "uploaded_at"]
    list_filter = ["kind"]
    search_fields = ["filename", "order__number"]
    list_select_related = ["order", "uploaded_by"]
    exclude = ["file"]
