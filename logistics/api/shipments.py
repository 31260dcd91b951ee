"""Shipments: the list and detail, planning from an order's reserved lines, the orders
waiting for a shipment and the pick list; the steps are in `packing` and `shipping`."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.api import LocationRefSerializer, WarehouseRefSerializer, problems, quantity_field
from inventory.models import Warehouse
from oms.errors import NotFound, PermissionDenied, ValidationFailed
from oms.permissions import ScopePermission
from orders.models import SalesOrderLine

from .. import selectors, services
from ..models import Shipment, ShipmentLine, ShipmentState
from ..selectors import PICK_LIMIT
from ..services.shipments import PLAN
from .packing import PackingActions
from .serializers import (
    ShipmentDetailSerializer,
    ShipmentOrderSerializer,
    ShipmentsCreatedSerializer,
    ShipmentSerializer,
    quantity_output,
)
from .shipping import ShippingActions

MAX_LIST_INPUT = 500


class ShipmentFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=ShipmentState.choices)
    warehouse = django_filters.NumberFilter(field_name="warehouse_id")
    warehouse_code = django_filters.CharFilter(field_name="warehouse__code", lookup_expr="iexact")
    order = django_filters.NumberFilter(field_name="order_id")
    order_number = django_filters.CharFilter(field_name="order__number", lookup_expr="iexact")
    customer = django_filters.NumberFilter(field_name="order__customer_id")
    carrier = django_filters.NumberFilter(field_name="carrier_service__carrier_id")
    carrier_code = django_filters.CharFilter(field_name="carrier_service__carrier__code", lookup_expr="iexact")
    carrier_service = django_filters.NumberFilter(field_name="carrier_service_id")
    sku = django_filters.CharFilter(method="filter_sku", label=_("SKU on any line"))
    number = django_filters.CharFilter(field_name="number", lookup_expr="icontains")
    search = django_filters.CharFilter(method="filter_search",
                                       label=_("Shipment, order or tracking number contains"))
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte",
                                                     label=_("Changed at or after (for polling integrations)"))
    shipped_after = django_filters.DateFilter(field_name="ship_date", lookup_expr="gte")
    shipped_before = django_filters.DateFilter(field_name="ship_date", lookup_expr="lte")

    class Meta:
        model = Shipment
        fields = ["state", "warehouse", "order", "carrier", "number"]

    def filter_sku(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(pk__in=ShipmentLine.objects.filter(order_line__product__sku__iexact=value.strip())
                               .values("shipment_id"))

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(order__number__icontains=value)
                               | Q(tracking_number__icontains=value))


# --- planning ------------------------------------------------------------------------------------

class ShipmentLineInputSerializer(serializers.Serializer):
    order_line = serializers.IntegerField(min_value=1, help_text=_("The id of a line of the order."))
    quantity = quantity_field(help_text=_("At most what the line holds reserved in the warehouse and no open "
                                          "shipment carries yet."))


class ShipmentCreateSerializer(serializers.Serializer):
    order = serializers.IntegerField(min_value=1, help_text=_("The sales order (in fulfilment) to ship."))
    warehouse = serializers.PrimaryKeyRelatedField(
        queryset=Warehouse.objects.all(), required=False, allow_null=True, default=None,
        help_text=_("Ship only from this warehouse. Needed with `lines` when their stock is reserved in "
                    "several warehouses."))
    # a ListSerializer built by hand: `many=True` would hand `allow_null` to each entry too
    lines = serializers.ListSerializer(
        child=ShipmentLineInputSerializer(), required=False, allow_null=True, default=None, max_length=MAX_LIST_INPUT,
        help_text=_("Ship these quantities (one shipment). Omitted: everything reserved and not on a shipment "
                    "yet, one shipment per warehouse holding it."))
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)

    def validate_lines(self, lines: list[dict] | None) -> list[dict] | None:
        if lines is None:
            return None
        seen: set[int] = set()
        for row in lines:
            if row["order_line"] in seen:
                raise serializers.ValidationError(_("Line %(id)s is given twice.") % {"id": row["order_line"]})
            seen.add(row["order_line"])
        return lines


CREATE_EXAMPLES = [
    OpenApiExample("Everything reserved", request_only=True, value={"order": 123}),
    OpenApiExample("Part of one line from one warehouse", request_only=True,
                   value={"order": 123, "warehouse": 2, "lines": [{"order_line": 456, "quantity": "5"}]}),
]


def _line_errors(errors: dict[str, list[str]], lines: list[dict], order_id: int) -> dict[str, list[str]]:
    """The service names an order line `quantities.<id>`; the API names the entry of
    `lines` that gave it (`lines.0.quantity`, or `lines.0.order_line` for a line that is
    not the order's)."""
    position = {row["order_line"]: index for index, row in enumerate(lines)}
    ours = set(SalesOrderLine.objects.filter(order_id=order_id).values_list("pk", flat=True))
    renamed: dict[str, list[str]] = {}
    for name, messages in errors.items():
        key = name.removeprefix("quantities.")
        if name == "quantities":
            name = "lines"
        elif key != name and key.isdigit() and int(key) in position:
            field = "quantity" if int(key) in ours else "order_line"
            name = f"lines.{position[int(key)]}.{field}"
        renamed.setdefault(name, []).extend(str(message) for message in messages)
    return renamed


# --- orders to ship and the pick list ------------------------------------------------------------

class OrderToShipSerializer(serializers.Serializer):
    order = ShipmentOrderSerializer()
    priority = serializers.IntegerField(source="order.priority")
    unplanned_quantity = quantity_output(help_text=_("Reserved units no shipment carries yet, all lines together."))


class PickRowSerializer(serializers.Serializer):
    shipment = serializers.IntegerField(source="shipment.pk")
    shipment_number = serializers.CharField(source="shipment.number")
    order_number = serializers.CharField(source="shipment.order.number")
    shipment_line = serializers.IntegerField(source="line.pk")
    line_no = serializers.IntegerField(source="line.order_line.line_no")
    sku = serializers.CharField(source="product.sku")
    product_name = serializers.CharField(source="product.name")
    batch = serializers.CharField(source="batch.code", default=None, allow_null=True)
    expires_on = serializers.DateField(source="batch.expires_on", default=None, allow_null=True)
    quantity = quantity_output()


class PickGroupSerializer(serializers.Serializer):
    location = LocationRefSerializer()
    rows = PickRowSerializer(many=True)


class PickListSerializer(serializers.Serializer):
    warehouse = WarehouseRefSerializer()
    shipments_shown = serializers.IntegerField(help_text=format_lazy(
        _("How many shipments the list covers: the most urgent, at most {limit}."), limit=PICK_LIMIT))
    shipments_waiting = serializers.IntegerField(help_text=_(
        "How many shipments wait to be picked (of those asked for); the others follow as these are packed."))
    groups = PickGroupSerializer(many=True, help_text=_("By location in code order; rows by SKU and batch."))
    shortages = PickRowSerializer(many=True, help_text=_("What no location holds (enough of)."))


class PickListQuerySerializer(serializers.Serializer):
    warehouse = serializers.PrimaryKeyRelatedField(queryset=Warehouse.objects.all())
    shipment = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False,
                                     max_length=MAX_LIST_INPUT)


# --- the resource --------------------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(operation_id="shipments_list", summary=_("List shipments"),
                       responses={200: ShipmentSerializer(many=True), **problems(400, 404)}),
    retrieve=extend_schema(operation_id="shipments_retrieve", summary=_("A shipment with its lines and packages"),
                           responses={200: ShipmentDetailSerializer, **problems(404)}),
)
class ShipmentViewSet(PackingActions, ShippingActions, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):
    """Shipments, newest first: the goods of one sales order leaving one warehouse
    together. Warehouse, logistics, planners, reviewers, managers and integrations see
    every shipment (`logistics.view_shipment`); sales the shipments of their orders.
    Each lists the steps the caller may run now (`available_steps`); every step answers
    the updated shipment. A step the caller's role may not run is 403, one not possible
    in the shipment's state 409 with `state` and `allowed_transitions`."""

    api_scope = "shipments"
    api_scope_actions = {"tracking_events": {"POST": "tracking:write"}, "exception": "tracking:write",
                         "resume": "tracking:write", "proof_of_delivery": {"POST": "tracking:write"}}
    queryset = Shipment.objects.none()
    permission_classes = [ScopePermission]  # who sees which shipment is the selector's decision
    filterset_class = ShipmentFilter
    ordering_fields = ["created_at", "updated_at", "number", "ship_date", "expected_delivery"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[Shipment]:
        if self.action == "list":
            return selectors.shipment_list(self.request.user)
        return selectors.shipment_detail(self.request.user)

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return ShipmentSerializer if self.action == "list" else ShipmentDetailSerializer

    @extend_schema(operation_id="shipments_create", summary=_("Plan shipments from an order"),
                   request=ShipmentCreateSerializer, examples=CREATE_EXAMPLES,
                   responses={201: ShipmentsCreatedSerializer, **problems(400, 403, 409)})
    def create(self, request: Request) -> Response:
        """Plan shipments from an order's reserved goods (`logistics.plan_shipment`).
        Without `lines`, everything reserved and not yet on an open shipment is planned,
        **one shipment per warehouse** holding it (only `warehouse`'s, if given); with
        `lines`, one shipment of those quantities. The answer is always
        `{"shipments": [...]}`, in warehouse order. 400 `nothing_to_ship` when every
        reserved unit is on a shipment already; 409 when the order is not in fulfilment."""
        serializer = ShipmentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        lines = data["lines"]
        quantities = None if lines is None else {row["order_line"]: row["quantity"] for row in lines}
        try:
            shipments = services.shipment_create(
                order_id=data["order"], by=request.user, quantities=quantities, notes=data["notes"],
                warehouse_id=data["warehouse"].pk if data["warehouse"] is not None else None)
        except NotFound as exc:  # the order in the body: a field error, not a missing resource
            raise ValidationFailed(errors={"order": [exc.message]}) from None
        except ValidationFailed as exc:
            if lines is not None:
                exc.errors = _line_errors(exc.errors, lines, data["order"])
            raise
        planned = list(selectors.shipment_detail(request.user).filter(pk__in=[s.pk for s in shipments])
                       .order_by("warehouse__code", "pk"))
        body = ShipmentsCreatedSerializer({"shipments": planned}, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(operation_id="shipments_orders_to_ship", summary=_("Orders waiting for a shipment"),
                   responses={200: OrderToShipSerializer(many=True), **problems(403)})
    @action(detail=False, methods=["get"], url_path="orders-to-ship", filter_backends=[], pagination_class=None)
    def orders_to_ship(self, request: Request) -> Response:
        """Orders the caller sees with reserved goods that no shipment carries yet, highest
        priority first (at most 100). For those who plan shipments."""
        if not request.user.has_perm(PLAN):
            raise PermissionDenied(_("You are not allowed to plan shipments."))
        rows = [{"order": order, "unplanned_quantity": quantity}
                for order, quantity in selectors.orders_to_ship(request.user)]
        return Response(OrderToShipSerializer(rows, many=True).data)

    @extend_schema(operation_id="shipments_pick_list", summary=_("The pick list of a warehouse"),
                   parameters=[PickListQuerySerializer],
                   responses={200: PickListSerializer, **problems(400, 403)})
    @action(detail=False, methods=["get"], url_path="pick-list", filter_backends=[], pagination_class=None)
    def pick_list(self, request: Request) -> Response:
        """What to pick in a warehouse for its planned and picking shipments (or the
        `shipment` ids given, repeated), with the batch and location to take each from:
        first-expired first, never an expired batch, grouped by location so the picker
        walks the aisles once. Like the pick-list page, it covers only the most urgent
        shipments (`shipments_shown`, highest order priority first); `shipments_waiting`
        says how many wait. For those who see every shipment."""
        if not request.user.has_perm("logistics.view_shipment"):
            raise PermissionDenied(_("You are not allowed to see the pick lists."))
        query = PickListQuerySerializer(data={"warehouse": request.query_params.get("warehouse"),
                                              "shipment": request.query_params.getlist("shipment")})
        query.is_valid(raise_exception=True)
        ids = query.validated_data.get("shipment") or None
        picks = selectors.pick_list(query.validated_data["warehouse"], shipment_ids=ids, limit=PICK_LIMIT)
        data = {"warehouse": picks.warehouse, "shortages": picks.shortages,
                "shipments_shown": len(picks.shipments), "shipments_waiting": picks.waiting,
                "groups": [{"location": location, "rows": rows} for location, rows in picks.groups]}
        return Response(PickListSerializer(data).data)

