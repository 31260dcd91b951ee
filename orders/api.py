"""Orders API: list, detail, create from every channel (optionally straight to
`submitted`), revision of drafts and rejected orders, and transitions. The review and
intake actions on an order (checks, written confirmation, CSV import, approval queue)
are in `orders.api_intake`."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from customers.models import Address, Contact, Customer
from inventory.api import problems as transition_problems
from inventory.models import Product, SupplyException
from inventory.selectors import open_exceptions_for_orders
from oms.api import problems
from oms.money import Currency, PaymentTerms
from oms.permissions import ScopePermission

from . import selectors, services
from .models import (
    Channel,
    CheckKind,
    Contract,
    InquiryLine,
    OrderEvent,
    OrderNote,
    OrderState,
    Quotation,
    ReviewCheck,
    SalesOrder,
    SalesOrderLine,
)
from .priority import MAX_BOOST
from .transitions import TRANSITIONS

PRICE_FIELDS = ("total_amount", "amount_paid")
LINE_PRICE_FIELDS = ("unit_price", "discount_percent", "line_total")


class OrderLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    line_total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = SalesOrderLine
        fields = ["line_no", "product", "sku", "product_name", "description", "quantity", "unit_price",
                  "discount_percent", "line_total", "reserved_quantity", "backorder_quantity", "shipped_quantity",
                  "promise_date"]
        read_only_fields = fields


#: Timeline payload keys that carry money: left out for callers who may not see prices.
EVENT_MONEY_KEYS = ("total", "amount", "outstanding")


class OrderEventSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", default=None, read_only=True)

    class Meta:
        model = OrderEvent
        fields = ["at", "kind", "by", "from_state", "to_state", "reason", "payload"]
        read_only_fields = fields

    def to_representation(self, instance: OrderEvent) -> dict:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not selectors.can_see_prices(request.user) and data.get("payload"):
            data["payload"] = {k: v for k, v in data["payload"].items() if k not in EVENT_MONEY_KEYS}
        return data


class CustomerRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "code", "name"]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    customer = CustomerRefSerializer(read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)
    delivery_address_text = serializers.CharField(source="delivery_address", default=None, read_only=True)
    entered_by = serializers.CharField(source="entered_by.username", default=None, read_only=True)
    available_transitions = serializers.SerializerMethodField()
    awaiting_confirmation = serializers.BooleanField(
        read_only=True, help_text=_("A verbal order whose written confirmation has not arrived: it cannot ship."))

    class Meta:
        model = SalesOrder
        fields = ["id", "number", "state", "available_transitions", "priority", "urgent", "priority_boost",
                  "customer", "contact", "channel", "customer_reference", "external_ref", "requested_date",
                  "delivery_address",
                  "delivery_address_text", "payment_terms", "currency", "total_amount", "amount_paid", "lines",
                  "notes", "entered_by", "checks_result", "checks_run", "checks_done_at", "awaiting_confirmation",
                  "confirmation_due", "confirmed_at", "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_available_transitions(self, order: SalesOrder) -> list[str]:
        return selectors.available_transitions(order, self.context["request"].user)

    def to_representation(self, instance: SalesOrder) -> dict:
        data = super().to_representation(instance)
        if not selectors.can_see_prices(self.context["request"].user):
            for name in PRICE_FIELDS:
                data.pop(name, None)
            for line in data["lines"]:
                for name in LINE_PRICE_FIELDS:
                    line.pop(name, None)
        return data


class OrderNeedSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", default=None, read_only=True)
    product_name = serializers.CharField(source="product.name", default=None, read_only=True)

    class Meta:
        model = InquiryLine
        fields = ["line_no", "product", "sku", "product_name", "requirement", "quantity", "requested_date",
                  "expectations"]
        read_only_fields = fields


class OrderNoteSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", default=None, read_only=True)

    class Meta:
        model = OrderNote
        fields = ["id", "body", "by", "at"]
        read_only_fields = fields


class OrderQuotationRefSerializer(serializers.ModelSerializer):
    total = serializers.DecimalField(source="total_amount", max_digits=14, decimal_places=2, required=False)

    class Meta:
        model = Quotation
        fields = ["id", "number", "revision", "state", "currency", "total", "valid_until"]
        read_only_fields = ["id", "number", "revision", "state", "currency", "valid_until"]


class OrderContractRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contract
        fields = ["id", "number", "state"]
        read_only_fields = fields


class ReviewCheckSerializer(serializers.ModelSerializer):
    overridden_by = serializers.CharField(source="overridden_by.username", default=None, allow_null=True,
                                          read_only=True)
    # Optional in the schema: left out of the credit check for callers without `customers.view_credit`.
    details = serializers.JSONField(required=False, help_text=_(
        "What the check found: credit figures (exposure, limit, headroom, over_by), or per line the sources "
        "and promise date."))
    seen = serializers.JSONField(required=False, help_text=_("The data the check saw when it ran."))

    class Meta:
        model = ReviewCheck
        fields = ["id", "run", "kind", "result", "summary", "details", "seen", "checked_at", "overridden_by",
                  "overridden_at", "override_reason"]
        read_only_fields = ["id", "run", "kind", "result", "summary", "checked_at", "overridden_at",
                            "override_reason"]


CREDIT_CHECK_PRIVATE_FIELDS = ("details", "seen")


class ContractDifferenceSerializer(serializers.Serializer):
    sku = serializers.CharField()
    kind = serializers.ChoiceField(choices=[("added", _("Product not in the contract")),
                                            ("dropped", _("Contract product not ordered")),
                                            ("quantity", _("Quantity differs")),
                                            ("price", _("Net unit price differs"))])
    contract = serializers.CharField(required=False, help_text=_("The contract's quantity or net unit price."))
    order = serializers.CharField(required=False, help_text=_("The order's quantity or net unit price."))


class OrderReviewSerializer(OrderSerializer):
    """The order with what its review needs: the checks of the latest run and how it
    differs from its signed contract. Credit figures only for `customers.view_credit`,
    price differences only for `orders.view_prices`."""

    checks = serializers.SerializerMethodField()
    contract_differences = serializers.SerializerMethodField()

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "checks", "contract_differences"]
        read_only_fields = fields

    @cached_property
    def _check_serializer(self) -> ReviewCheckSerializer:
        # one for all the orders of a list: DRF builds a model serializer's fields anew for
        # each serializer made, which cost more than the checks themselves
        return ReviewCheckSerializer()

    @extend_schema_field(ReviewCheckSerializer(many=True))
    def get_checks(self, order: SalesOrder) -> list[dict]:
        selectors.prefetch_review_data([order])  # no query when the queryset prefetched it
        data = [self._check_serializer.to_representation(check) for check in selectors.latest_checks(order)]
        if not self.context["request"].user.has_perm("customers.view_credit"):
            for check in data:
                if check["kind"] == CheckKind.CREDIT:
                    for name in CREDIT_CHECK_PRIVATE_FIELDS:
                        check.pop(name, None)
                    # the findings (and an override's reason) quote amounts and the limit
                    check["summary"] = str(_("Credit figures are shown to finance only.")) if check["summary"] else ""
                    if check.get("override_reason"):
                        check["override_reason"] = str(_("Credit figures are shown to finance only."))
        return data

    @extend_schema_field(ContractDifferenceSerializer(many=True))
    def get_contract_differences(self, order: SalesOrder) -> list[dict]:
        selectors.prefetch_review_data([order])
        differences = selectors.contract_differences(order)
        if not selectors.can_see_prices(self.context["request"].user):
            differences = [d for d in differences if d["kind"] != "price"]
        return differences


class OrderSupplyExceptionSerializer(serializers.ModelSerializer):
    # a plain string: the choice set is documented once, on the supply exceptions endpoint
    kind = serializers.CharField(read_only=True, help_text=_(
        "machine_breakdown, material_shortage, quality_issue, supplier_delay or other."))
    document_number = serializers.CharField(source="document.number", read_only=True,
                                            help_text=_("The work or purchase order it was recorded on."))

    class Meta:
        model = SupplyException
        fields = ["id", "kind", "document_number", "note", "new_date", "raised_at"]
        read_only_fields = fields


class OrderDetailSerializer(OrderReviewSerializer):
    """The order with its review data, timeline and pre-order documents: needs,
    conversation notes, quotation revisions (newest first) and contracts. `notes` stays
    the order's own text. `open_exceptions`: what delays its supply now."""

    events = OrderEventSerializer(many=True, read_only=True)
    needs = serializers.SerializerMethodField()
    conversation_notes = serializers.SerializerMethodField()
    quotations = serializers.SerializerMethodField()
    contracts = serializers.SerializerMethodField()
    open_exceptions = serializers.SerializerMethodField()

    class Meta(OrderReviewSerializer.Meta):
        fields = [*OrderReviewSerializer.Meta.fields, "events", "needs", "conversation_notes", "quotations",
                  "contracts", "open_exceptions"]
        read_only_fields = fields

    @extend_schema_field(OrderSupplyExceptionSerializer(many=True))
    def get_open_exceptions(self, order: SalesOrder) -> list[dict]:
        exceptions = getattr(order, "known_open_exceptions", None)
        if exceptions is None:
            exceptions = open_exceptions_for_orders([order.pk]).order_by("raised_at", "id")
        return OrderSupplyExceptionSerializer(exceptions, many=True).data

    def _documents(self, order: SalesOrder) -> dict:
        # one fixed set of queries per order, shared by the four fields below
        if not hasattr(order, "_preorder_documents"):
            order._preorder_documents = selectors.order_preorder_documents(order)
        return order._preorder_documents

    @extend_schema_field(OrderNeedSerializer(many=True))
    def get_needs(self, order: SalesOrder) -> list[dict]:
        return OrderNeedSerializer(self._documents(order)["needs"], many=True).data

    @extend_schema_field(OrderNoteSerializer(many=True))
    def get_conversation_notes(self, order: SalesOrder) -> list[dict]:
        return OrderNoteSerializer(self._documents(order)["notes"], many=True).data

    @extend_schema_field(OrderQuotationRefSerializer(many=True))
    def get_quotations(self, order: SalesOrder) -> list[dict]:
        data = OrderQuotationRefSerializer(self._documents(order)["quotations"], many=True).data
        if not selectors.can_see_prices(self.context["request"].user):
            for quotation in data:
                quotation.pop("total", None)
        return data

    @extend_schema_field(OrderContractRefSerializer(many=True))
    def get_contracts(self, order: SalesOrder) -> list[dict]:
        return OrderContractRefSerializer(self._documents(order)["contracts"], many=True).data


#: Where `LinesBySkuMixin` leaves the products of an input's lines, in the serializer context.
_PRODUCTS_BY_SKU = "products_by_sku"


class SkuField(serializers.SlugRelatedField):
    """A product given by its SKU. Takes it from the products `LinesBySkuMixin` read for
    all the lines at once; an SKU not among them is looked up (and refused) as usual."""

    def to_internal_value(self, data: Any) -> Product:
        known = self.context.get(_PRODUCTS_BY_SKU)
        if known is not None and isinstance(data, str) and data in known:
            return known[data]
        return super().to_internal_value(data)


class LinesBySkuMixin:
    """For a serializer with `lines` of `OrderLineInputSerializer`: reads the products of
    every line in one query before validating, so the query count of an order create or
    revision does not grow with its lines."""

    def to_internal_value(self, data: Any) -> Any:
        lines = data.get("lines") if hasattr(data, "get") else None
        if isinstance(lines, list):
            skus = {line.get("sku") for line in lines if isinstance(line, dict) and isinstance(line.get("sku"), str)}
            self.context[_PRODUCTS_BY_SKU] = Product.objects.in_bulk(list(skus), field_name="sku")
        return super().to_internal_value(data)


class OrderLineInputSerializer(serializers.Serializer):
    sku = SkuField(slug_field="sku", queryset=Product.objects.all(),
                   error_messages={"does_not_exist": _("No product with SKU “{value}”.")})
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3, min_value=Decimal("0.001"))
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False,
                                          allow_null=True, default=None)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100,
                                                required=False, default=0)
    description = serializers.CharField(max_length=250, required=False, allow_blank=True, default="")


class OrderCreateSerializer(LinesBySkuMixin, serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.all(), required=False, allow_null=True,
                                                 help_text=_("Defaults to the customer's primary contact."))
    delivery_address = serializers.PrimaryKeyRelatedField(
        queryset=Address.objects.all(), required=False, allow_null=True,
        help_text=_("Defaults to the customer's default shipping address."))
    channel = serializers.ChoiceField(
        choices=Channel.choices, default=Channel.API,
        help_text=_("How the order arrived. `email` and `fax` orders need the scanned `document`, so they are "
                    "sent as multipart/form-data."))
    requested_date = serializers.DateField(required=False, allow_null=True)
    payment_terms = serializers.ChoiceField(choices=PaymentTerms.choices, required=False,
                                            help_text=_("Defaults to the customer's payment terms."))
    currency = serializers.ChoiceField(choices=Currency.choices, required=False)
    customer_reference = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    external_ref = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="",
        help_text=_("Your system's id for this order, unique per customer and channel: a second order with the "
                    "same one is refused with 409 `duplicate_external_ref`, whose `existing_order` and "
                    "`existing_number` name the order created before."))
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    confirmation_due = serializers.DateField(
        required=False, allow_null=True, default=None,
        help_text=_("Phone (verbal) orders only: when the customer's written confirmation is due (default: in "
                    "two days). Until it arrives the order cannot ship."))
    submit = serializers.BooleanField(
        default=False, help_text=_("Create the order directly in the `submitted` state (for orders already agreed). "
                                   "An incomplete order is refused with 409 `order_incomplete`, `errors` naming "
                                   "every missing field."))
    lines = OrderLineInputSerializer(
        many=True, allow_empty=True,
        help_text=_("A line without `unit_price` gets the customer's contract price (and discount), else the list "
                    "price."))


@extend_schema_field(OrderCreateSerializer)
class JSONPartField(serializers.Field):
    """An order given as JSON inside a multipart form: a text field, or a part with
    `Content-Type: application/json`."""

    default_error_messages = {"invalid": _("Give the order as a JSON object.")}

    def to_internal_value(self, data: Any) -> dict:
        if hasattr(data, "read"):
            data = data.read()
        try:
            value = json.loads(data)
        except (TypeError, ValueError):
            self.fail("invalid")
        if not isinstance(value, dict):
            self.fail("invalid")
        return value

    def to_representation(self, value: Any) -> Any:
        return value


class OrderCreateDocumentSerializer(serializers.Serializer):
    """An order that arrives as a document (`channel` `email` or `fax`): the order's
    fields as JSON in `payload`, and the scan in `document`. Field errors are named as
    in the JSON body (`lines.0.sku`), `document` for the scan."""

    payload = JSONPartField(help_text=_("The order, exactly as the JSON body of a plain create."))
    document = serializers.FileField(required=False, allow_null=True, default=None,
                                     help_text=_("The scanned order: PDF, PNG or JPEG."))


class OrderUpdateSerializer(LinesBySkuMixin, serializers.Serializer):
    """Only the fields given change; `lines`, when given, replace all the lines."""

    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.all(), required=False, allow_null=True)
    delivery_address = serializers.PrimaryKeyRelatedField(queryset=Address.objects.all(), required=False,
                                                          allow_null=True)
    requested_date = serializers.DateField(required=False, allow_null=True)
    payment_terms = serializers.ChoiceField(choices=PaymentTerms.choices, required=False)
    customer_reference = serializers.CharField(max_length=64, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    lines = OrderLineInputSerializer(many=True, required=False, help_text=_(
        "All the lines of the order, replacing the current ones. A line without `unit_price` gets the contract "
        "price, else the list price."))


def line_inputs(lines: list[dict]) -> list[services.LineInput]:
    return [services.LineInput(product=line["sku"], quantity=line["quantity"], unit_price=line["unit_price"],
                               discount_percent=line["discount_percent"], description=line["description"])
            for line in lines]


class TransitionInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class PriorityInputSerializer(serializers.Serializer):
    # Checked by the service (400 when blank), after the caller's permission (403).
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000,
                                   help_text=_("Required: why the priority changes (on the order's timeline)."))
    boost = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=-MAX_BOOST,
                                     max_value=MAX_BOOST, help_text=_(
                                         "Points added to (or taken from) the computed priority; omit to keep."))
    urgent = serializers.BooleanField(required=False, allow_null=True, default=None,
                                      help_text=_("Mark or unmark the order urgent; omit to keep."))


class OrderFilter(django_filters.FilterSet):
    # a column of the order itself: no duplicates to remove (a DISTINCT over every column
    # made PostgreSQL sort the whole match, and count it again)
    state = django_filters.MultipleChoiceFilter(choices=OrderState.choices, distinct=False)
    customer = django_filters.NumberFilter(field_name="customer_id")
    customer_code = django_filters.CharFilter(field_name="customer__code")
    number = django_filters.CharFilter(field_name="number", lookup_expr="icontains")
    sku = django_filters.CharFilter(method="filter_sku", label=_("SKU on any line"))
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    requested_after = django_filters.DateFilter(field_name="requested_date", lookup_expr="gte")
    requested_before = django_filters.DateFilter(field_name="requested_date", lookup_expr="lte")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte",
                                                     label=_("Changed at or after (for polling integrations)"))

    class Meta:
        model = SalesOrder
        fields = ["state", "customer", "customer_code", "channel", "number", "sku", "external_ref"]

    def filter_sku(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        ids = SalesOrderLine.objects.filter(product__sku=value).values("order_id")
        return queryset.filter(pk__in=ids)


def order_response(view: viewsets.GenericViewSet, order_id: int, code: int = status.HTTP_200_OK) -> Response:
    """The fresh detail representation of an order, the answer of every write on it.

    A write can take the order out of the caller's sight (the warehouse ships it, and
    sees shipped orders no more): the caller still gets the order as the write left it."""
    order = selectors.order_detail(view.request.user).filter(pk=order_id).first()
    if order is None:
        order = SalesOrder.objects.select_related("customer", "entered_by", "delivery_address", "contact").get(
            pk=order_id)
        prefetch_related_objects([order], Prefetch("lines", queryset=SalesOrderLine.objects.select_related("product")
                                                   .order_by("line_no")),
                                 Prefetch("events", queryset=OrderEvent.objects.select_related("by")
                                          .order_by("at", "id")))
    return Response(OrderDetailSerializer(order, context=view.get_serializer_context()).data, status=code)


#: Request bodies that carry a form (the order then comes as JSON in `payload`).
FORM_MEDIA_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


@extend_schema_view(
    list=extend_schema(operation_id="orders_list", responses={200: OrderSerializer(many=True),
                                                              **problems(400, 403, 404)}),
    retrieve=extend_schema(operation_id="orders_retrieve", responses={200: OrderDetailSerializer,
                                                                      **problems(403, 404)}),
)
class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   viewsets.GenericViewSet):
    """Sales orders. Each order lists the transitions the caller may run now."""

    api_scope = "orders"
    queryset = SalesOrder.objects.none()
    filterset_class = OrderFilter
    ordering = ["-created_at", "-id"]

    @property
    def ordering_fields(self) -> list[str]:
        # sorting by value would reveal it to roles that may not see prices
        fields = ["created_at", "requested_date", "number", "total_amount", "updated_at"]
        request = getattr(self, "request", None)
        if request is not None and not selectors.can_see_prices(request.user):
            fields.remove("total_amount")
        return fields

    def get_queryset(self) -> QuerySet[SalesOrder]:
        if self.action == "create":  # read only for its model, by the permission check
            return SalesOrder.objects.none()
        if self.action == "retrieve":
            return selectors.order_detail(self.request.user)
        if self.action in ("transition", "partial_update", "priority"):  # only resolve the id; the answer is re-read
            return selectors.orders_visible_to(self.request.user)
        return selectors.order_list_with_lines(self.request.user)

    def get_serializer_class(self):
        if self.action == "create":
            return OrderCreateSerializer
        if self.action == "partial_update":
            return OrderUpdateSerializer
        if self.action == "retrieve":
            return OrderDetailSerializer
        return OrderSerializer

    def get_permissions(self):
        if self.action in ("transition", "priority"):
            return [ScopePermission()]  # the service checks the step's own permission
        return super().get_permissions()

    def _render(self, order_id: int, code: int = status.HTTP_200_OK) -> Response:
        return order_response(self, order_id, code)

    @extend_schema(
        operation_id="orders_create",
        request={"application/json": OrderCreateSerializer, "multipart/form-data": OrderCreateDocumentSerializer},
        responses={201: OrderDetailSerializer, **problems(400, 403, 409)},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        """Enter an order from any channel, as a draft (`inquiry`) or with `submit: true`
        straight to `submitted` (the automatic checks then start).

        Send JSON, or — for orders that arrive as a document (`email`, `fax`; required
        there) — multipart/form-data with the order as JSON in `payload` and the scan in
        `document`. A `phone` order waits for the customer's written confirmation
        (`confirmation_due`, `POST /orders/{id}/confirmation/`) and cannot ship before.
        400: invalid fields, all listed in `errors`; 409 `order_incomplete`: submitting
        an order that lacks any of contact, lines, delivery address, requested date or
        payment terms, all listed in `errors`; 409 `duplicate_external_ref`: the customer
        already has an order from this channel with this `external_ref` (`existing_order`,
        `existing_number`). Nothing is written on an error."""
        data, document = request.data, None
        if request.content_type.split(";")[0].strip().lower() in FORM_MEDIA_TYPES:
            form = OrderCreateDocumentSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            data, document = form.validated_data["payload"], form.validated_data["document"]
        serializer = OrderCreateSerializer(data=data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        lines = line_inputs(fields.pop("lines"))
        order = services.order_create(by=request.user, lines=lines, document=document, **fields)
        # answered from what the create wrote, as a read of the detail would give it
        data = OrderDetailSerializer(selectors.as_just_created(order), context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(operation_id="orders_partial_update", request={"application/json": OrderUpdateSerializer},
                   responses={200: OrderDetailSerializer, **problems(400, 403, 404, 409)})
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        """Revise a draft (`inquiry`) or a `rejected` order: the fields given and, with
        `lines`, all its lines. 409 `order_not_editable` in any other state. A rejected
        order is then resubmitted with the `submit` transition (the checks run again)."""
        order = self.get_object()
        serializer = OrderUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        lines = fields.pop("lines", None)
        services.order_update(order_id=order.pk, by=request.user,
                              lines=None if lines is None else line_inputs(lines), **fields)
        return self._render(order.pk)

    @extend_schema(
        operation_id="orders_transitions_create",
        request=TransitionInputSerializer,
        responses={200: OrderDetailSerializer, **transition_problems(400, 403, 404, 409)},
        parameters=[OpenApiParameter("name", str, OpenApiParameter.PATH,
                                     enum=list(TRANSITIONS))],
    )
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]+)")
    def transition(self, request: Request, pk: str | None = None, name: str = "") -> Response:
        """Run a transition of the order's state machine. 409 when not possible in the
        current state or a condition is unmet (`order_incomplete`, `checks_not_cleared`,
        `awaiting_written_confirmation` …), with the order's `state` and the
        `allowed_transitions` the caller may run now; 403 when the caller's role may not run it
        (`four_eyes_rule`: the person who entered an order does not approve it)."""
        order = self.get_object()
        serializer = TransitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.order_transition(order_id=order.pk, name=name, by=request.user,
                                  reason=serializer.validated_data["reason"])
        return self._render(order.pk)

    @extend_schema(operation_id="orders_priority_create", request=PriorityInputSerializer,
                   responses={200: OrderDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def priority(self, request: Request, pk: str | None = None) -> Response:
        """Change the order's priority: the `urgent` flag and/or the planner's `boost`,
        always with a `reason` (recorded on the timeline as `reprioritised`). Waiting lines
        are re-ranked: stock and incoming supply follow the new priority. 403 without
        `orders.prioritise_order`; 409 `priority_not_applicable` once the order no longer
        waits (shipped, closed, cancelled …)."""
        order = self.get_object()
        serializer = PriorityInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.order_reprioritise(order_id=order.pk, by=request.user, **serializer.validated_data)
        return self._render(order.pk)
