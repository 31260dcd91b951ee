"""Admin for carriers and their rate tables: reference data that logistics maintains."""

from django.contrib import admin

from .models import Carrier, CarrierService


class CarrierServiceInline(admin.TabularInline):
    model = CarrierService
    extra = 0
    fields = ["mode", "name", "base_fee", "per_kg", "per_m3", "transit_days", "max_weight_kg", "fragile_allowed",
              "regions", "is_active"]


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "tracking_adapter", "is_active"]
    list_filter = ["is_active", "tracking_adapter"]
    search_fields = ["code", "name"]
    inlines = [CarrierServiceInline]


@admin.register(CarrierService)
class CarrierServiceAdmin(admin.ModelAdmin):
    list_display = ["carrier", "name", "mode", "base_fee", "per_kg", "per_m3", "transit_days", "max_weight_kg",
                    "fragile_allowed", "regions", "is_active"]
    list_filter = ["mode", "is_active", "fragile_allowed", "carrier"]
    list_select_related = ["carrier"]
    search_fields = ["name", "carrier__code", "carrier__name", "regions"]
