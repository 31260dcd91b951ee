"""Customers API. Credit terms are shown only to roles with `customers.view_credit`."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, serializers, viewsets

from oms.api import ServiceWriteMixin

from . import selectors, services
from .models import Address, Contact, Customer

CREDIT_FIELDS = ("credit_limit", "prepayment_required")


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "name", "email", "phone", "role", "is_primary"]
        read_only_fields = fields


class AddressSerializer(serializers.ModelSerializer):
    class Meta:
        model = Address
        fields = ["id", "label", "line1", "line2", "city", "region", "postal_code", "country",
                  "is_default_shipping"]
        read_only_fields = fields


class CustomerSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    contacts = ContactSerializer(many=True, read_only=True)
    addresses = AddressSerializer(many=True, read_only=True)

    class Meta:
        model = Customer
        fields = ["id", "code", "name", "tier", "credit_limit", "currency", "payment_terms",
                  "prepayment_required", "language", "owner", "is_active", "contacts", "addresses", "created_at",
                  "updated_at"]
        read_only_fields = ["id", "owner", "contacts", "addresses", "created_at", "updated_at"]
        # uniqueness is checked by the service (model validation), with the same message
        extra_kwargs = {"code": {"validators": []}}

    def to_representation(self, instance: Customer) -> dict:
        data = super().to_representation(instance)
        if not self.context["request"].user.has_perm("customers.view_credit"):
            for name in CREDIT_FIELDS:
                data.pop(name, None)
        return data


class CustomerFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(field_name="code", lookup_expr="iexact")
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    owner = django_filters.CharFilter(field_name="owner__username")
    search = django_filters.CharFilter(method="filter_search", label="Code or name contains")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte",
                                                     label=_("Changed at or after (for polling integrations)"))

    class Meta:
        model = Customer
        fields = ["code", "name", "tier", "is_active", "owner"]

    def filter_search(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        value = value.strip()
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value)) if value else queryset


class CustomerViewSet(ServiceWriteMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Customers with their contacts and delivery addresses."""

    api_scope = "customers"
    serializer_class = CustomerSerializer
    queryset = Customer.objects.none()
    filterset_class = CustomerFilter
    ordering_fields = ["code", "name", "created_at"]

    create_service = services.customer_create
    update_service = services.customer_update
    instance_kwarg = "customer"

    def get_queryset(self) -> QuerySet[Customer]:
        return selectors.customer_detail_queryset(self.request.user)
