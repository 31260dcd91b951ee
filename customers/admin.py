from django.contrib import admin

from .models import Address, Contact, Customer


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


class AddressInline(admin.StackedInline):
    model = Address
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "tier", "credit_limit", "currency", "payment_terms", "owner", "is_active"]
    list_filter = ["tier", "is_active", "payment_terms", "prepayment_required"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["owner"]
    inlines = [ContactInline, AddressInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "customer", "email", "phone", "is_primary"]
    search_fields = ["name", "email", "customer__code"]
    list_select_related = ["customer"]


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = ["customer", "label", "city", "country", "is_default_shipping"]
    search_fields = ["customer__code", "city", "line1"]
    list_select_related = ["customer"]
