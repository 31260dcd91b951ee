"""Cycle counts: a count sheet for a location, counted by the warehouse, confirmed by a
second person (the differences become adjustments)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from oms.errors import ValidationFailed

from .. import selectors, services
from ..api import (
    LocationRefSerializer,
    ProductInputSerializer,
    ViewThenServiceChecks,
    WarehouseRefSerializer,
    batch_of,
    caller,
    location_field,
    path_id,
    problems,
    quantity_field,
    username_field,
)
from ..models import QTY_DIGITS, QTY_PLACES, CountState, CycleCount

MAX_LIST_INPUT = 1000


class CycleCountLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    product = serializers.IntegerField(source="product_id", read_only=True)
    sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    batch_code = serializers.CharField(source="batch.code", default=None, allow_null=True, read_only=True)
    expected = serializers.DecimalField(max_digits=QTY_DIGITS, decimal_places=QTY_PLACES, read_only=True,
                                        help_text=_("What the ledger said when the sheet was made."))
    counted = serializers.DecimalField(max_digits=QTY_DIGITS, decimal_places=QTY_PLACES, read_only=True,
                                       allow_null=True)
    difference = serializers.DecimalField(max_digits=QTY_DIGITS + 1, decimal_places=QTY_PLACES, read_only=True,
                                          allow_null=True, help_text=_("Counted − expected, once counted."))


class CycleCountSerializer(serializers.ModelSerializer):
    location = LocationRefSerializer(read_only=True)
    warehouse = WarehouseRefSerializer(source="location.warehouse", read_only=True)
    lines = CycleCountLineSerializer(many=True, read_only=True)
    created_by = username_field("created_by")
    counted_by = username_field("counted_by")
    confirmed_by = username_field("confirmed_by")
    available_actions = serializers.SerializerMethodField()

    class Meta:
        model = CycleCount
        fields = ["id", "number", "state", "available_actions", "location", "warehouse", "lines", "created_by",
                  "created_at", "counted_by", "counted_at", "confirmed_by", "confirmed_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), help_text=_(
        "Of `counts` (enter what was counted), `confirm` (a second person) and `cancel`, those the caller may "
        "run now.")))
    def get_available_actions(self, count: CycleCount) -> list[str]:
        if count.state not in (CountState.OPEN, CountState.COUNTED):
            return []
        user = caller(self)
        actions = []
        if user.has_perm("inventory.count_stock"):
            actions.append("counts")
        if (count.state == CountState.COUNTED and count.counted_by_id != user.pk
                and user.has_perm("inventory.confirm_count")):
            actions.append("confirm")
        if user.has_perm("inventory.count_stock"):
            actions.append("cancel")
        return actions


class CycleCountCreateSerializer(serializers.Serializer):
    location = location_field(help_text=_("The location to count; the sheet lists what the ledger says it holds."))


class CountedLineInputSerializer(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, help_text=_("A line of this count sheet."))
    counted = quantity_field(min_value=0)


class ExtraLineInputSerializer(ProductInputSerializer):
    batch = serializers.CharField(max_length=64, required=False, allow_blank=True, default="",
                                  help_text=_("An existing batch of the product."))
    counted = quantity_field(min_value=0)

    def validate(self, data: dict) -> dict:
        data = super().validate(data)
        data["batch"] = batch_of(data["product"], data["batch"])
        return data


class CycleCountEnterSerializer(serializers.Serializer):
    lines = CountedLineInputSerializer(many=True, max_length=MAX_LIST_INPUT, help_text=_(
        "What was counted on every line of the sheet (0 when none was found)."))
    extra = ExtraLineInputSerializer(many=True, required=False, default=list, max_length=MAX_LIST_INPUT,
                                     help_text=_("Products found that the sheet did not list."))


class CycleCountFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=CountState.choices)
    location = django_filters.NumberFilter(field_name="location_id")
    warehouse = django_filters.NumberFilter(field_name="location__warehouse_id")
    number = django_filters.CharFilter(field_name="number", lookup_expr="icontains")

    class Meta:
        model = CycleCount
        fields = ["state", "location", "warehouse", "number"]


@extend_schema_view(
    list=extend_schema(responses={200: CycleCountSerializer(many=True), **problems(400, 403, 404)}),
    retrieve=extend_schema(responses={200: CycleCountSerializer, **problems(403, 404)}),
)
class CycleCountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Count sheets, newest first, with their lines: made for a location, counted by the
    warehouse, confirmed by a second person (the differences become adjustments)."""

    api_scope = "stock"
    queryset = CycleCount.objects.none()
    serializer_class = CycleCountSerializer
    permission_classes = [ViewThenServiceChecks]
    filterset_class = CycleCountFilter
    ordering_fields = ["created_at", "counted_at", "number"]

    def get_queryset(self) -> QuerySet[CycleCount]:
        return selectors.count_list().prefetch_related("lines__product", "lines__batch")

    def _render(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        return Response(CycleCountSerializer(selectors.count_detail(pk), context=self.get_serializer_context()).data,
                        status=code)

    @extend_schema(request=CycleCountCreateSerializer,
                   responses={201: CycleCountSerializer, **problems(400, 403, 409)})
    def create(self, request: Request) -> Response:
        """A count sheet for a location (409 while another count of it is in progress).
        Needs `inventory.count_stock`."""
        serializer = CycleCountCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        count = services.count_create(by=request.user, **serializer.validated_data)
        return self._render(count.pk, status.HTTP_201_CREATED)

    @extend_schema(request=CycleCountEnterSerializer,
                   responses={200: CycleCountSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def counts(self, request: Request, pk: str) -> Response:
        """Enter what was counted: every line of the sheet needs a quantity (entering again
        replaces the figures until confirmed). Needs `inventory.count_stock`."""
        serializer = CycleCountEnterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        position = {row["id"]: index for index, row in enumerate(data["lines"])}
        try:
            services.count_enter(count_id=path_id(pk), by=request.user,
                                 counted={row["id"]: row["counted"] for row in data["lines"]},
                                 extra=data["extra"])
        except ValidationFailed as exc:
            exc.errors = _count_errors(exc.errors, position)
            raise
        return self._render(path_id(pk))

    @extend_schema(request=None, responses={200: CycleCountSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        """A second person confirms the count: each difference is posted as an adjustment.
        403 for the person who counted; 400 when a shortage would leave less than is
        reserved. Needs `inventory.confirm_count`."""
        services.count_confirm(count_id=path_id(pk), by=request.user)
        return self._render(path_id(pk))

    @extend_schema(request=None, responses={200: CycleCountSerializer, **problems(403, 404, 409)})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Drop a count not confirmed yet. Needs `inventory.count_stock`."""
        services.count_cancel(count_id=path_id(pk), by=request.user)
        return self._render(path_id(pk))


def _count_errors(errors: dict[str, list[str]], position: dict[int, int]) -> dict[str, list[str]]:
    """The service names a sheet line `line_<id>`; the API names the entry of `lines` that
    gave it (`lines.0.counted`), or `lines` for a line the input left out."""
    renamed: dict[str, list[str]] = {}
    for name, messages in errors.items():
        if name.startswith("line_") and name[5:].isdecimal():
            line_id = int(name[5:])
            if line_id in position:
                name = f"lines.{position[line_id]}.counted"
            else:
                name = "lines"
                messages = [_("Line %(id)s: %(message)s") % {"id": line_id, "message": message}
                            for message in messages]
        renamed.setdefault(name, []).extend(str(message) for message in messages)
    return renamed
