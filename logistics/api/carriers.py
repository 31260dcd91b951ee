"""Carriers and their services (read only): what logistics chooses from. The rates are
left out for callers who may not see prices."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets

from inventory.api import problems

from ..models import Carrier, CarrierService
from .common import caller, sees_costs
from .serializers import cost_field

RATE_FIELDS = ("base_fee", "per_kg", "per_m3")


class CarrierServiceSerializer(serializers.ModelSerializer):
    base_fee = cost_field()
    per_kg = cost_field()
    per_m3 = cost_field()
    regions = serializers.SerializerMethodField()

    class Meta:
        model = CarrierService
        fields = ["id", "name", "mode", "transit_days", "max_weight_kg", "fragile_allowed", "regions", "is_active",
                  "base_fee", "per_kg", "per_m3"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), help_text=_(
        "Provinces or countries served (lower case); empty: everywhere.")))
    def get_regions(self, service: CarrierService) -> list[str]:
        return service.region_list

    def to_representation(self, instance: CarrierService) -> dict:
        data = super().to_representation(instance)
        if not sees_costs(caller(self)):
            for name in RATE_FIELDS:
                data.pop(name, None)
        return data


class CarrierSerializer(serializers.ModelSerializer):
    services = CarrierServiceSerializer(many=True, read_only=True)

    class Meta:
        model = Carrier
        fields = ["id", "code", "name", "is_active", "tracking_adapter", "tracking_url_template", "services"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(operation_id="carriers_list", summary=_("List carriers with their services"),
                       responses={200: CarrierSerializer(many=True), **problems(400, 403, 404)}),
    retrieve=extend_schema(operation_id="carriers_retrieve", summary=_("A carrier with its services"),
                           responses={200: CarrierSerializer, **problems(403, 404)}),
)
class CarrierViewSet(viewsets.ReadOnlyModelViewSet):
    """Carriers and the transport modes they offer (express, truck, rail, sea, air), with
    their limits and — for those who may see prices — their rates. Needs
    `logistics.view_carrier`."""

    api_scope = "shipments"
    serializer_class = CarrierSerializer
    filterset_fields = ["code", "is_active", "tracking_adapter"]
    ordering_fields = ["code", "name"]
    ordering = ["code"]

    def get_queryset(self) -> QuerySet[Carrier]:
        return Carrier.objects.prefetch_related(
            Prefetch("services", queryset=CarrierService.objects.order_by("mode", "name", "pk")))
