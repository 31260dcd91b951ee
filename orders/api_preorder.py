"""Pre-order API (DESIGN.md §2 stages 1–2): inquiries with their needs and notes,
quotations with revisions and internal sign-offs, contracts with a legal review, and
downloads of the files attached to an order.

Every write parses its input, calls one service and answers with the fresh
representation; the services check roles (403), visibility (404) and state (409).
Callers without `orders.view_prices` never receive a price field.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, parsers, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from customers.models import Contact, Customer
from inventory.models import QTY_DIGITS, QTY_PLACES, Product
from oms.errors import PROBLEM_CONTENT_TYPE, NotFound, PermissionDenied, ValidationFailed
from oms.money import Currency, PaymentTerms
from oms.permissions import ModelRolePermission

from . import selectors, services
from .api import CustomerRefSerializer, OrderDetailSerializer
from .models import (
    Attachment,
    Channel,
    Contract,
    ContractClause,
    ContractState,
    Quotation,
    QuotationLine,
    QuotationSignoff,
    QuotationState,
    SalesOrder,
    SignoffArea,
)

QUOTATION_PRICE_FIELDS = ("subtotal", "discount_amount", "total_amount")
LINE_PRICE_FIELDS = ("unit_price", "discount_percent", "line_total", "margin_percent")
FACT_PRICE_FIELDS = ("margin_percent", "minimum_margin_percent", "manager_discount_threshold")
FACT_LINE_PRICE_FIELDS = ("margin_percent", "margin_below_minimum", "discount_above_threshold")


def _money(**kwargs: Any) -> serializers.DecimalField:
    # Output-only price fields are optional in the schema: they are left out for callers
    # who may not see prices.
    return serializers.DecimalField(max_digits=14, decimal_places=2, required=False, **kwargs)


def _strip(data: dict, names: tuple[str, ...]) -> dict:
    for name in names:
        data.pop(name, None)
    return data


# --- problem details in the schema -----------------------------------------------------------

class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, the body of every error answer."""

    type = serializers.URLField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(help_text=_("Stable, machine-readable reason, e.g. `quotation_state`."))
    instance = serializers.CharField(required=False)
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text=_("Messages by field; nested fields are joined with dots, e.g. `lines.0.quantity`."))
    state = serializers.CharField(required=False, help_text=_("The current state, on a 409."))


_PROBLEM_DESCRIPTIONS = {
    400: _("Invalid input: `errors` lists the messages by field."),
    401: _("Not authenticated."),
    403: _("The caller's role does not allow this."),
    404: _("No such object, or the caller may not see it."),
    409: _("Not possible in the current state."),
}


def problems(*codes: int) -> dict:
    """`extend_schema` responses for the given error statuses (401 is always possible)."""
    return {(code, PROBLEM_CONTENT_TYPE): OpenApiResponse(ProblemSerializer, description=_PROBLEM_DESCRIPTIONS[code])
            for code in sorted({401, *codes})}


class FileRenderer(renderers.BaseRenderer):
    """Lets a client ask for a file (`Accept: application/pdf`, `image/png` …); errors
    are still rendered as JSON problem documents."""

    media_type = "*/*"
    format = "file"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if isinstance(data, bytes):
            return data
        return renderers.JSONRenderer().render(data)


FILE_RENDERERS = [renderers.JSONRenderer, FileRenderer]


def _file_response(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


class ServiceChecksRole(ModelRolePermission):
    """For actions whose service checks the role itself: the caller needs only to be able
    to see the kind of object (so the service can answer 403, 404 or 409 precisely)."""

    perms_map = {
        method: ["%(app_label)s.view_%(model_name)s"] for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
    } | {"OPTIONS": []}


# --- shared pieces -----------------------------------------------------------------------------

class ProductInputMixin(serializers.Serializer):
    """A product given by id or by SKU (either one; both must then agree)."""

    sku_field = "sku"

    def _resolve_product(self, data: dict) -> dict:
        by_sku = data.pop(self.sku_field, None)
        if by_sku is not None:
            if data.get("product") is not None and data["product"] != by_sku:
                raise serializers.ValidationError({self.sku_field: [_("The SKU is not that of the product given.")]})
            data["product"] = by_sku
        return data


def _sku_field() -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="sku", queryset=Product.objects.all(), required=False, allow_null=True, default=None,
        error_messages={"does_not_exist": _("No product with SKU “{value}”.")})


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "kind", "filename", "content_type", "size", "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, attachment: Attachment) -> str:
        return reverse("attachment-download", kwargs={"pk": attachment.pk}, request=self.context.get("request"))


def _visible_attachments(user: Any, attachments: list[Attachment]) -> list[Attachment]:
    # All these files belong to one order, so visibility depends only on the kind: ask
    # the selector once per kind rather than once per file.
    verdicts: dict[str, bool] = {}
    visible = []
    for attachment in attachments:
        if attachment.kind not in verdicts:
            verdicts[attachment.kind] = selectors.attachment_visible_to(user, attachment)
        if verdicts[attachment.kind]:
            visible.append(attachment)
    return visible


# --- inquiries, needs and notes --------------------------------------------------------------

class NeedInputSerializer(ProductInputMixin):
    sku_field = "product_sku"

    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all(), required=False, allow_null=True,
                                                 default=None)
    product_sku = _sku_field()
    requirement = serializers.CharField(max_length=500, required=False, allow_blank=True, default="",
                                        help_text=_("What the customer asked for, in their words."))
    quantity = serializers.DecimalField(max_digits=QTY_DIGITS, decimal_places=QTY_PLACES)
    requested_date = serializers.DateField(required=False, allow_null=True, default=None)
    expectations = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, data: dict) -> dict:
        return self._resolve_product(data)


def _needs(data: list[dict]) -> list[services.NeedInput]:
    return [services.NeedInput(**need) for need in data]


class InquiryCreateSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.all(), required=False, allow_null=True,
                                                 default=None)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
    requested_date = serializers.DateField(required=False, allow_null=True, default=None)
    customer_reference = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000,
                                 help_text=_("The first conversation note, if any."))
    needs = NeedInputSerializer(many=True)


class NeedsInputSerializer(serializers.Serializer):
    needs = NeedInputSerializer(many=True)


class NoteInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)


def _render_order(view: viewsets.GenericViewSet, order_id: int, code: int) -> Response:
    order = selectors.order_detail(view.request.user).get(pk=order_id)
    return Response(OrderDetailSerializer(order, context=view.get_serializer_context()).data, status=code)


class InquiryViewSet(viewsets.GenericViewSet):
    """Open an inquiry: a new order in `inquiry` with the customer's needs."""

    queryset = SalesOrder.objects.none()
    serializer_class = InquiryCreateSerializer

    @extend_schema(operation_id="inquiries_create", request=InquiryCreateSerializer,
                   responses={201: OrderDetailSerializer, **problems(400, 403)})
    def create(self, request: Request) -> Response:
        serializer = InquiryCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order = services.inquiry_create(by=request.user, needs=_needs(data.pop("needs")), **data)
        return _render_order(self, order.pk, status.HTTP_201_CREATED)


class OrderPreorderViewSet(viewsets.GenericViewSet):
    """The inquiry steps of an order (`/orders/{id}/notes/`, `/orders/{id}/needs/`); the
    rest of the order resource is `orders.api.OrderViewSet`."""

    queryset = SalesOrder.objects.none()
    permission_classes = [ServiceChecksRole]
    lookup_value_regex = "[0-9]+"

    @extend_schema(operation_id="orders_notes_create", request=NoteInputSerializer,
                   responses={201: OrderDetailSerializer, **problems(400, 403, 404)})
    @action(detail=True, methods=["post"], serializer_class=NoteInputSerializer)
    def notes(self, request: Request, pk: str) -> Response:
        """Add a dated, signed conversation note (notes are never edited)."""
        serializer = NoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.order_add_note(order_id=int(pk), by=request.user, body=serializer.validated_data["body"])
        return _render_order(self, int(pk), status.HTTP_201_CREATED)

    @extend_schema(operation_id="orders_needs_update", request=NeedsInputSerializer,
                   responses={200: OrderDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["put"], serializer_class=NeedsInputSerializer)
    def needs(self, request: Request, pk: str) -> Response:
        """Replace the needs of an order that is still an inquiry."""
        serializer = NeedsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.inquiry_update_needs(order_id=int(pk), by=request.user,
                                      needs=_needs(serializer.validated_data["needs"]))
        return _render_order(self, int(pk), status.HTTP_200_OK)


# --- quotations: representation --------------------------------------------------------------

class ScheduleLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    unit_price = _money()
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    line_total = _money()

    class Meta:
        model = QuotationLine
        fields = ["line_no", "product", "sku", "product_name", "description", "quantity", "unit_price",
                  "discount_percent", "line_total"]
        read_only_fields = ["line_no", "product", "description", "quantity"]


class QuotationLineSerializer(ScheduleLineSerializer):
    supply_type = serializers.CharField(source="product.supply_type", read_only=True)
    margin_percent = serializers.DecimalField(max_digits=None, decimal_places=1, required=False, allow_null=True,
                                              help_text=_("Margin of the discounted price over standard cost."))

    class Meta(ScheduleLineSerializer.Meta):
        fields = [*ScheduleLineSerializer.Meta.fields, "supply_type", "margin_percent"]


class QuotationSignoffSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", default=None, read_only=True)

    class Meta:
        model = QuotationSignoff
        fields = ["round", "area", "decision", "comment", "by", "decided_at"]
        read_only_fields = fields


class QuotationRevisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Quotation
        fields = ["id", "revision", "state"]
        read_only_fields = fields


class ReviewFactLineSerializer(serializers.Serializer):
    line_no = serializers.IntegerField()
    sku = serializers.CharField()
    supply_type = serializers.CharField()
    product_lead_time_days = serializers.IntegerField()
    lead_time_feasible = serializers.BooleanField()
    margin_percent = serializers.DecimalField(max_digits=None, decimal_places=1, required=False, allow_null=True)
    margin_below_minimum = serializers.BooleanField(required=False)
    discount_above_threshold = serializers.BooleanField(required=False)


class ReviewFactsSerializer(serializers.Serializer):
    """What the reviewers judge. Margins and discount thresholds only with `view_prices`."""

    lines = ReviewFactLineSerializer(many=True)
    lead_time_feasible = serializers.BooleanField()
    payment_terms_differ = serializers.BooleanField()
    customer_payment_terms = serializers.CharField()
    margin_percent = serializers.DecimalField(max_digits=None, decimal_places=1, required=False, allow_null=True)
    minimum_margin_percent = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    manager_discount_threshold = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)


class QuotationSerializer(serializers.ModelSerializer):
    order_number = serializers.CharField(source="order.number", read_only=True)
    customer = CustomerRefSerializer(source="order.customer", read_only=True)
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)
    subtotal = _money()
    discount_amount = _money()
    total_amount = _money()

    class Meta:
        model = Quotation
        fields = ["id", "number", "revision", "state", "order", "order_number", "customer", "currency",
                  "payment_terms", "lead_time_days", "valid_until", "subtotal", "discount_amount", "total_amount",
                  "created_by", "created_at", "updated_at", "sent_at"]
        read_only_fields = ["id", "number", "revision", "state", "order", "currency", "payment_terms",
                            "lead_time_days", "valid_until", "created_at", "updated_at", "sent_at"]

    def to_representation(self, instance: Quotation) -> dict:
        data = super().to_representation(instance)
        if not selectors.can_see_prices(self.context["request"].user):
            _strip(data, QUOTATION_PRICE_FIELDS)
            for line in data.get("lines", ()):
                _strip(line, LINE_PRICE_FIELDS)
        return data


class QuotationDetailSerializer(QuotationSerializer):
    order_state = serializers.CharField(source="order.state", read_only=True)
    sent_by = serializers.CharField(source="sent_by.username", default=None, read_only=True)
    lines = QuotationLineSerializer(many=True, read_only=True)
    signoffs = QuotationSignoffSerializer(many=True, read_only=True, help_text=_("Every review round, oldest first."))
    review_facts = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()
    revisions = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()

    class Meta(QuotationSerializer.Meta):
        fields = [*QuotationSerializer.Meta.fields, "order_state", "warranty_terms", "notes", "review_round",
                  "approved_at", "sent_by", "sent_to", "decided_at", "decision_note", "lines", "signoffs",
                  "review_facts", "available_actions", "revisions", "pdf_url", "attachments"]
        read_only_fields = [*QuotationSerializer.Meta.read_only_fields, "warranty_terms", "notes", "review_round",
                            "approved_at", "sent_to", "decided_at", "decision_note"]

    def _user(self) -> Any:
        return self.context["request"].user

    def _revisions(self, quotation: Quotation) -> list[Quotation]:
        if not hasattr(quotation, "_revisions"):
            quotation._revisions = selectors.quotation_revisions(quotation)
        return quotation._revisions

    @extend_schema_field(ReviewFactsSerializer)
    def get_review_facts(self, quotation: Quotation) -> dict:
        data = ReviewFactsSerializer(selectors.quotation_review_facts(quotation)).data
        if not selectors.can_see_prices(self._user()):
            _strip(data, FACT_PRICE_FIELDS)
            for line in data["lines"]:
                _strip(line, FACT_LINE_PRICE_FIELDS)
        return data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_available_actions(self, quotation: Quotation) -> list[str]:
        actions = selectors.quotation_actions(quotation, self._user())
        if self._revisions(quotation)[0].pk != quotation.pk:  # the selector assumes the latest revision
            actions = [name for name in actions if name not in ("revise", "create_contract")]
        return actions

    @extend_schema_field(QuotationRevisionSerializer(many=True))
    def get_revisions(self, quotation: Quotation) -> list[dict]:
        return QuotationRevisionSerializer(self._revisions(quotation), many=True).data

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_pdf_url(self, quotation: Quotation) -> str | None:
        if not selectors.can_see_prices(self._user()):
            return None
        return reverse("quotation-pdf", kwargs={"pk": quotation.pk}, request=self.context["request"])

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, quotation: Quotation) -> list[dict]:
        visible = _visible_attachments(self._user(), list(quotation.attachments.all()))
        return AttachmentSerializer(visible, many=True, context=self.context).data


# --- quotations: input -----------------------------------------------------------------------

class QuotationLineInputSerializer(ProductInputMixin):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all(), required=False, allow_null=True,
                                                 default=None)
    sku = _sku_field()
    quantity = serializers.DecimalField(max_digits=QTY_DIGITS, decimal_places=QTY_PLACES)
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True,
                                          default=None, help_text=_("Omit for the product's list price."))
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, default=0)
    description = serializers.CharField(max_length=250, required=False, allow_blank=True, default="")

    def validate(self, data: dict) -> dict:
        data = self._resolve_product(data)
        if data.get("product") is None:
            raise serializers.ValidationError({"product": [_("Give the product's id or its SKU.")]})
        return data


class QuotationTermsSerializer(serializers.Serializer):
    """Terms of a quotation; those left out keep their value (or the default)."""

    payment_terms = serializers.ChoiceField(choices=PaymentTerms.choices, required=False)
    currency = serializers.ChoiceField(choices=Currency.choices, required=False)
    lead_time_days = serializers.IntegerField(min_value=0, max_value=3650, required=False)
    valid_until = serializers.DateField(required=False)
    warranty_terms = serializers.CharField(required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True, help_text=_("Notes to the customer."))
    lines = QuotationLineInputSerializer(many=True, required=False,
                                         help_text=_("When given, these replace every line."))

    def service_kwargs(self) -> dict:
        data = dict(self.validated_data)
        if "lines" in data:
            data["lines"] = [services.LineInput(**line) for line in data["lines"]]
        return data


class QuotationCreateSerializer(QuotationTermsSerializer):
    order = serializers.IntegerField(min_value=1, help_text=_("The inquiry to quote."))
    lines = QuotationLineInputSerializer(many=True, required=False,
                                         help_text=_("Omit to quote the inquiry's needs at list price."))


class SignoffInputSerializer(serializers.Serializer):
    area = serializers.ChoiceField(choices=SignoffArea.choices)
    decision = serializers.ChoiceField(choices=[("approve", _("Approve")), ("request_changes", _("Request changes"))])
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000,
                                    help_text=_("Required when requesting changes."))


class SendInputSerializer(serializers.Serializer):
    to_email = serializers.EmailField(required=False, allow_blank=True, default="",
                                      help_text=_("Defaults to the order contact's e-mail."))


class DecisionInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000,
                                 help_text=_("The customer's answer, as given."))


class QuotationFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=QuotationState.choices)
    order = django_filters.NumberFilter(field_name="order_id")
    customer = django_filters.NumberFilter(field_name="order__customer_id")
    number = django_filters.CharFilter(field_name="number", lookup_expr="icontains")

    class Meta:
        model = Quotation
        fields = ["state", "order", "customer", "number"]


@extend_schema_view(
    list=extend_schema(operation_id="quotations_list", responses={200: QuotationSerializer(many=True),
                                                                  **problems(400, 403, 404)}),
    retrieve=extend_schema(operation_id="quotations_retrieve",
                           responses={200: QuotationDetailSerializer, **problems(403, 404)}),
)
class QuotationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Quotation revisions. A draft is edited; anything later is revised."""

    queryset = Quotation.objects.none()
    filterset_class = QuotationFilter
    ordering_fields = ["created_at", "updated_at", "valid_until", "number"]
    ordering = ["-created_at", "-id"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Quotation]:
        user = self.request.user
        if self.action == "list":
            return selectors.quotation_list(user)
        return selectors.quotation_detail(user).prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.select_related("order").order_by("uploaded_at", "id")))

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return QuotationSerializer if self.action == "list" else QuotationDetailSerializer

    def get_permissions(self) -> list:
        if self.action in ("list", "retrieve", "create", "partial_update", "pdf"):
            return [ModelRolePermission()]
        return [ServiceChecksRole()]

    def _render(self, quotation_id: int, code: int = status.HTTP_200_OK) -> Response:
        quotation = self.get_queryset().get(pk=quotation_id)
        return Response(QuotationDetailSerializer(quotation, context=self.get_serializer_context()).data, status=code)

    def _input(self, serializer_class: type[serializers.Serializer]) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(operation_id="quotations_create", request=QuotationCreateSerializer,
                   responses={201: QuotationDetailSerializer, **problems(400, 403, 404, 409)})
    def create(self, request: Request) -> Response:
        """Draft rev 1 of an inquiry's quotation."""
        serializer = QuotationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.service_kwargs()
        quotation = services.quotation_create(order_id=data.pop("order"), by=request.user, **data)
        return self._render(quotation.pk, status.HTTP_201_CREATED)

    @extend_schema(operation_id="quotations_partial_update", request=QuotationTermsSerializer,
                   responses={200: QuotationDetailSerializer, **problems(400, 403, 404, 409)})
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change a draft's terms and/or replace its lines."""
        serializer = QuotationTermsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.quotation_update(quotation_id=int(pk), by=request.user, **serializer.service_kwargs())
        return self._render(int(pk))

    @extend_schema(operation_id="quotations_submit_review", request=None,
                   responses={200: QuotationDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], url_path="submit-review")
    def submit_review(self, request: Request, pk: str) -> Response:
        """Send a draft to internal review (approved at once if no sign-off is required)."""
        services.quotation_submit_review(quotation_id=int(pk), by=request.user)
        return self._render(int(pk))

    @extend_schema(operation_id="quotations_signoff", request=SignoffInputSerializer,
                   responses={200: QuotationDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], serializer_class=SignoffInputSerializer)
    def signoff(self, request: Request, pk: str) -> Response:
        """Approve or request changes for one area of the current review round."""
        data = self._input(SignoffInputSerializer)
        services.quotation_signoff(quotation_id=int(pk), by=request.user, area=data["area"],
                                   approve=data["decision"] == "approve", comment=data["comment"])
        return self._render(int(pk))

    @extend_schema(operation_id="quotations_send", request=SendInputSerializer,
                   responses={200: QuotationDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], serializer_class=SendInputSerializer)
    def send(self, request: Request, pk: str) -> Response:
        """Send an approved quotation: its PDF is attached to the order and e-mailed."""
        data = self._input(SendInputSerializer)
        services.quotation_send(quotation_id=int(pk), by=request.user, to_email=data["to_email"])
        return self._render(int(pk))

    @extend_schema(operation_id="quotations_accept", request=DecisionInputSerializer,
                   responses={200: QuotationDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], serializer_class=DecisionInputSerializer)
    def accept(self, request: Request, pk: str) -> Response:
        """Record that the customer accepted (refused once expired or superseded)."""
        data = self._input(DecisionInputSerializer)
        services.quotation_record_decision(quotation_id=int(pk), by=request.user, accepted=True, note=data["note"])
        return self._render(int(pk))

    @extend_schema(operation_id="quotations_decline", request=DecisionInputSerializer,
                   responses={200: QuotationDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], serializer_class=DecisionInputSerializer)
    def decline(self, request: Request, pk: str) -> Response:
        """Record that the customer declined."""
        data = self._input(DecisionInputSerializer)
        services.quotation_record_decision(quotation_id=int(pk), by=request.user, accepted=False, note=data["note"])
        return self._render(int(pk))

    @extend_schema(operation_id="quotations_revise", request=None,
                   responses={201: QuotationDetailSerializer, **problems(403, 404, 409)})
    @action(detail=True, methods=["post"])
    def revise(self, request: Request, pk: str) -> Response:
        """Start the next revision (a draft copy); a live older revision becomes `superseded`."""
        new = services.quotation_revise(quotation_id=int(pk), by=request.user)
        return self._render(new.pk, status.HTTP_201_CREATED)

    @extend_schema(operation_id="quotations_pdf", responses={(200, "application/pdf"): OpenApiTypes.BINARY,
                                                             **problems(403, 404)})
    @action(detail=True, methods=["get"], renderer_classes=FILE_RENDERERS)
    def pdf(self, request: Request, pk: str) -> HttpResponse:
        """The quotation as PDF, generated now (any state). A price document: needs `view_prices`."""
        from .documents import render_quotation_pdf

        quotation = self.get_object()
        if not selectors.can_see_prices(request.user):
            raise PermissionDenied(_("The quotation document shows prices, which your role may not see."))
        return _file_response(render_quotation_pdf(quotation), "application/pdf",
                              f"{quotation.number}-rev{quotation.revision}.pdf")


# --- contracts -------------------------------------------------------------------------------

class ContractClauseSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContractClause
        fields = ["position", "key", "title", "body"]
        read_only_fields = fields


class QuotationRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Quotation
        fields = ["id", "number", "revision"]
        read_only_fields = fields


class ContractSerializer(serializers.ModelSerializer):
    order_number = serializers.CharField(source="order.number", read_only=True)
    customer = CustomerRefSerializer(source="order.customer", read_only=True)
    quotation = QuotationRefSerializer(read_only=True)

    class Meta:
        model = Contract
        fields = ["id", "number", "state", "order", "order_number", "customer", "quotation", "language",
                  "delivery_date", "signed_on", "created_at", "updated_at"]
        read_only_fields = fields


class ContractDetailSerializer(ContractSerializer):
    currency = serializers.CharField(source="quotation.currency", read_only=True)
    payment_terms = serializers.CharField(source="quotation.payment_terms", read_only=True)
    lead_time_days = serializers.IntegerField(source="quotation.lead_time_days", read_only=True)
    warranty_terms = serializers.CharField(source="quotation.warranty_terms", read_only=True)
    total_amount = _money(source="quotation.total_amount")
    lines = ScheduleLineSerializer(source="quotation.lines", many=True, read_only=True,
                                   help_text=_("The schedule of the quotation the contract is drawn from."))
    clauses = ContractClauseSerializer(many=True, read_only=True)
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)
    reviewed_by = serializers.CharField(source="reviewed_by.username", default=None, read_only=True)
    signed_copy = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()

    class Meta(ContractSerializer.Meta):
        fields = [*ContractSerializer.Meta.fields, "currency", "payment_terms", "lead_time_days", "warranty_terms",
                  "total_amount", "lines", "clauses", "review_comment", "reviewed_by", "reviewed_at", "created_by",
                  "signed_copy", "available_actions", "pdf_url"]
        read_only_fields = [*ContractSerializer.Meta.read_only_fields, "review_comment", "reviewed_at"]

    def _user(self) -> Any:
        return self.context["request"].user

    def to_representation(self, instance: Contract) -> dict:
        data = super().to_representation(instance)
        if not selectors.can_see_prices(self._user()):
            data.pop("total_amount", None)
            for line in data["lines"]:
                _strip(line, LINE_PRICE_FIELDS)
        return data

    @extend_schema_field(AttachmentSerializer(allow_null=True))
    def get_signed_copy(self, contract: Contract) -> dict | None:
        copy = contract.signed_copy
        if copy is None or not selectors.attachment_visible_to(self._user(), copy):
            return None
        return AttachmentSerializer(copy, context=self.context).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_available_actions(self, contract: Contract) -> list[str]:
        return selectors.contract_actions(contract, self._user())

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_pdf_url(self, contract: Contract) -> str | None:
        if not selectors.can_see_prices(self._user()):
            return None
        return reverse("contract-pdf", kwargs={"pk": contract.pk}, request=self.context["request"])


class ContractCreateSerializer(serializers.Serializer):
    quotation = serializers.IntegerField(min_value=1, help_text=_("The accepted quotation."))
    delivery_date = serializers.DateField(required=False, allow_null=True, default=None,
                                          help_text=_("Defaults to today plus the quoted lead time."))


class ClauseInputSerializer(serializers.Serializer):
    position = serializers.IntegerField(min_value=1)
    body = serializers.CharField()


class ContractUpdateSerializer(serializers.Serializer):
    delivery_date = serializers.DateField(required=False)
    clauses = ClauseInputSerializer(many=True, required=False, help_text=_("New texts of clauses, by position."))

    def validate_clauses(self, clauses: list[dict]) -> list[dict]:
        positions = [clause["position"] for clause in clauses]
        if len(set(positions)) != len(positions):
            raise serializers.ValidationError(_("Give each clause position once."))
        return clauses


class ContractReviewInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[("approve", _("Approve")), ("return", _("Return for changes"))])
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000,
                                    help_text=_("Required when returning the contract."))


class UploadField(serializers.FileField):
    """A PDF, PNG or JPEG, recognised by its content (the services check it again)."""

    def to_internal_value(self, data: Any) -> Any:
        upload = super().to_internal_value(data)
        try:
            services.sniff_upload(upload, field=self.field_name)
        except ValidationFailed as exc:
            raise serializers.ValidationError(exc.errors[self.field_name]) from None
        upload.seek(0)
        return upload


class SignedCopyInputSerializer(serializers.Serializer):
    file = UploadField(help_text=_("The signed contract: PDF, PNG or JPEG."))


class ContractSignDateSerializer(serializers.Serializer):
    signed_on = serializers.DateField()


class ContractSignInputSerializer(ContractSignDateSerializer):
    file = UploadField(required=False, allow_null=True, default=None,
                       help_text=_("The signed copy, if not attached before."))


class ContractFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=ContractState.choices)
    order = django_filters.NumberFilter(field_name="order_id")
    customer = django_filters.NumberFilter(field_name="order__customer_id")
    quotation = django_filters.NumberFilter(field_name="quotation_id")

    class Meta:
        model = Contract
        fields = ["state", "order", "customer", "quotation"]


UPLOAD_PARSERS = [parsers.MultiPartParser, parsers.FormParser]


@extend_schema_view(
    list=extend_schema(operation_id="contracts_list", responses={200: ContractSerializer(many=True),
                                                                 **problems(400, 403, 404)}),
    retrieve=extend_schema(operation_id="contracts_retrieve",
                           responses={200: ContractDetailSerializer, **problems(403, 404)}),
)
class ContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Contracts drawn from accepted quotations: drafted, reviewed by legal, signed."""

    queryset = Contract.objects.none()
    filterset_class = ContractFilter
    ordering_fields = ["created_at", "updated_at", "delivery_date", "number"]
    ordering = ["-created_at", "-id"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Contract]:
        user = self.request.user
        if self.action == "list":
            return (selectors.contracts_visible_to(user).select_related("order__customer", "quotation")
                    .order_by("-created_at", "-id"))
        return selectors.contract_detail(user)

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return ContractSerializer if self.action == "list" else ContractDetailSerializer

    def get_permissions(self) -> list:
        if self.action in ("list", "retrieve", "create", "partial_update", "pdf"):
            return [ModelRolePermission()]
        return [ServiceChecksRole()]

    def _render(self, contract_id: int, code: int = status.HTTP_200_OK) -> Response:
        contract = self.get_queryset().get(pk=contract_id)
        return Response(ContractDetailSerializer(contract, context=self.get_serializer_context()).data, status=code)

    def _input(self, serializer_class: type[serializers.Serializer]) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(operation_id="contracts_create", request=ContractCreateSerializer,
                   responses={201: ContractDetailSerializer, **problems(400, 403, 404, 409)})
    def create(self, request: Request) -> Response:
        """Draft the contract of an accepted quotation from the customer's clause template."""
        data = self._input(ContractCreateSerializer)
        contract = services.contract_create(quotation_id=data["quotation"], by=request.user,
                                            delivery_date=data["delivery_date"])
        return self._render(contract.pk, status.HTTP_201_CREATED)

    @extend_schema(operation_id="contracts_partial_update", request=ContractUpdateSerializer,
                   responses={200: ContractDetailSerializer, **problems(400, 403, 404, 409)})
    def partial_update(self, request: Request, pk: str) -> Response:
        """Edit a draft: the delivery date and clause texts (by position)."""
        data = self._input(ContractUpdateSerializer)
        clauses = {clause["position"]: clause["body"] for clause in data.get("clauses", [])}
        services.contract_update(contract_id=int(pk), by=request.user, clauses=clauses,
                                 delivery_date=data.get("delivery_date"))
        return self._render(int(pk))

    @extend_schema(operation_id="contracts_submit_review", request=None,
                   responses={200: ContractDetailSerializer, **problems(403, 404, 409)})
    @action(detail=True, methods=["post"], url_path="submit-review")
    def submit_review(self, request: Request, pk: str) -> Response:
        """Send a draft to the legal review."""
        services.contract_submit_review(contract_id=int(pk), by=request.user)
        return self._render(int(pk))

    @extend_schema(operation_id="contracts_review", request=ContractReviewInputSerializer,
                   responses={200: ContractDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], serializer_class=ContractReviewInputSerializer)
    def review(self, request: Request, pk: str) -> Response:
        """Legal review: approve for signing, or return to the drafter with a comment."""
        data = self._input(ContractReviewInputSerializer)
        services.contract_review(contract_id=int(pk), by=request.user, approve=data["decision"] == "approve",
                                 comment=data["comment"])
        return self._render(int(pk))

    @extend_schema(operation_id="contracts_signed_copy", request={"multipart/form-data": SignedCopyInputSerializer},
                   responses={200: ContractDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], url_path="signed-copy", parser_classes=UPLOAD_PARSERS,
            serializer_class=SignedCopyInputSerializer)
    def signed_copy(self, request: Request, pk: str) -> Response:
        """Attach the signed copy of a contract approved for signing."""
        data = self._input(SignedCopyInputSerializer)
        services.contract_attach_signed_copy(contract_id=int(pk), by=request.user, upload=data["file"])
        return self._render(int(pk))

    @extend_schema(operation_id="contracts_sign",
                   request={"application/json": ContractSignDateSerializer,
                            "multipart/form-data": ContractSignInputSerializer},
                   responses={200: ContractDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], parser_classes=[parsers.JSONParser, *UPLOAD_PARSERS],
            serializer_class=ContractSignInputSerializer)
    def sign(self, request: Request, pk: str) -> Response:
        """Record the signature: the order takes the agreed lines and becomes `contracted`."""
        data = self._input(ContractSignInputSerializer)
        services.contract_sign(contract_id=int(pk), by=request.user, signed_on=data["signed_on"], upload=data["file"])
        return self._render(int(pk))

    @extend_schema(operation_id="contracts_pdf", responses={(200, "application/pdf"): OpenApiTypes.BINARY,
                                                            **problems(403, 404)})
    @action(detail=True, methods=["get"], renderer_classes=FILE_RENDERERS)
    def pdf(self, request: Request, pk: str) -> HttpResponse:
        """The contract as PDF, generated now. Shows prices: needs `view_prices`."""
        from .documents import render_contract_pdf

        contract = self.get_object()
        if not selectors.can_see_prices(request.user):
            raise PermissionDenied(_("The contract document shows prices, which your role may not see."))
        return _file_response(render_contract_pdf(contract), "application/pdf", f"{contract.number}.pdf")


# --- attachments -------------------------------------------------------------------------------

class AttachmentViewSet(viewsets.GenericViewSet):
    """Files on orders, served only to those who may see them (404 otherwise)."""

    queryset = Attachment.objects.none()
    permission_classes = [IsAuthenticated]  # visibility is the selector's decision
    lookup_value_regex = "[0-9]+"

    @extend_schema(operation_id="attachments_download",
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **problems(404)})
    @action(detail=True, methods=["get"], renderer_classes=FILE_RENDERERS)
    def download(self, request: Request, pk: str) -> FileResponse:
        """The file as stored (PDF, PNG or JPEG), as a download."""
        attachment = Attachment.objects.select_related("order").filter(pk=int(pk)).first()
        if attachment is None or not selectors.attachment_visible_to(request.user, attachment):
            raise NotFound(_("File not found."))
        return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename,
                            content_type=attachment.content_type)
