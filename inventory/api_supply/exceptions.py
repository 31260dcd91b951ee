"""Supply exceptions: the planners' exceptions board, resolving an exception, and the
exception answered by the block and delay actions of work and purchase orders."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from .. import selectors, services
from ..api import ViewThenServiceChecks, caller, path_id, problems, username_field
from ..models import ExceptionKind, SupplyException
from ..services.supply import PLAN
from .common import SalesOrderRefSerializer


class SupplyExceptionSerializer(serializers.ModelSerializer):
    """Something that delays supply, on a work order or a purchase order, and the sales
    orders whose promise dates it moved."""

    document_type = serializers.SerializerMethodField(help_text=_("`work_order` or `purchase_order`."))
    work_order_number = serializers.CharField(source="work_order.number", default=None, allow_null=True,
                                              read_only=True)
    purchase_order_number = serializers.CharField(source="purchase_order.number", default=None, allow_null=True,
                                                  read_only=True)
    is_open = serializers.BooleanField(read_only=True)
    raised_by = username_field("raised_by")
    resolved_by = username_field("resolved_by")
    affected_orders = SalesOrderRefSerializer(many=True, read_only=True)
    available_actions = serializers.SerializerMethodField()

    class Meta:
        model = SupplyException
        fields = ["id", "kind", "document_type", "work_order", "work_order_number", "purchase_order",
                  "purchase_order_number", "note", "previous_date", "new_date", "is_open", "raised_by", "raised_at",
                  "resolved_by", "resolved_at", "affected_orders", "available_actions"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_document_type(self, exception: SupplyException) -> str:
        return "work_order" if exception.work_order_id else "purchase_order"

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), help_text=_("`resolve` when open.")))
    def get_available_actions(self, exception: SupplyException) -> list[str]:
        return ["resolve"] if exception.is_open and caller(self).has_perm(PLAN) else []


class SupplyExceptionFilter(django_filters.FilterSet):
    open = django_filters.BooleanFilter(method="filter_open",
                                        label=_("Only open exceptions (the default); `false` for all"))
    kind = django_filters.MultipleChoiceFilter(choices=ExceptionKind.choices)
    work_order = django_filters.NumberFilter(field_name="work_order_id")
    purchase_order = django_filters.NumberFilter(field_name="purchase_order_id")
    order = django_filters.NumberFilter(field_name="affected_orders", label=_("Affects this sales order (id)"))

    class Meta:
        model = SupplyException
        fields = ["open", "kind", "work_order", "purchase_order", "order"]

    def filter_open(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(resolved_at__isnull=value)


@extend_schema_view(
    list=extend_schema(responses={200: SupplyExceptionSerializer(many=True), **problems(400, 403, 404)}),
    retrieve=extend_schema(responses={200: SupplyExceptionSerializer, **problems(403, 404)}),
)
class SupplyExceptionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The planners' exceptions board: open exceptions, newest first (`?open=false` for
    all), each with the sales orders it affects."""

    api_scope = "supply"
    queryset = SupplyException.objects.none()
    serializer_class = SupplyExceptionSerializer
    permission_classes = [ViewThenServiceChecks]
    filterset_class = SupplyExceptionFilter
    ordering_fields = ["raised_at", "new_date"]

    def get_queryset(self) -> QuerySet[SupplyException]:
        open_only = self.action == "list" and "open" not in self.request.query_params
        return selectors.exception_list(open_only=open_only)

    @extend_schema(request=None, responses={200: SupplyExceptionSerializer, **problems(403, 404)})
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        """Mark the exception dealt with (it leaves the board); resolving twice changes nothing."""
        exception = services.exception_resolve(exception_id=path_id(pk), by=request.user)
        return exception_response(self, exception.pk)


def exception_response(view: viewsets.GenericViewSet, exception_id: int,
                       code: int = status.HTTP_200_OK) -> Response:
    exception = selectors.exception_list(open_only=False).get(pk=exception_id)
    return Response(SupplyExceptionSerializer(exception, context=view.get_serializer_context()).data, status=code)
