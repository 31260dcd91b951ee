"""Quotations: revisions, internal sign-offs, sending, the customer's decision, the PDF."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from inventory.models import QTY_DIGITS, QTY_PLACES, Product
from oms.errors import PermissionDenied
from oms.money import Currency, PaymentTerms

from .. import selectors, services
from ..api import CustomerRefSerializer
from ..models import Attachment, Quotation, QuotationSignoff, QuotationState, SignoffArea
from .common import (
    FILE_PARAMETERS,
    FILE_RENDERERS,
    LINE_PRICE_FIELDS,
    MIN_QUANTITY,
    AttachmentSerializer,
    DocumentViewSet,
    ProductInputMixin,
    ScheduleLineSerializer,
    file_response,
    money_field,
    path_id,
    problems,
    sku_input_field,
    strip,
)

QUOTATION_PRICE_FIELDS = ("subtotal", "discount_amount", "total_amount")
FACT_PRICE_FIELDS = ("margin_percent", "minimum_margin_percent", "manager_discount_threshold")
FACT_LINE_PRICE_FIELDS = ("margin_percent", "margin_below_minimum", "discount_above_threshold")


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
    subtotal = money_field()
    discount_amount = money_field()
    total_amount = money_field()

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
            strip(data, QUOTATION_PRICE_FIELDS)
            for line in data.get("lines", ()):
                strip(line, LINE_PRICE_FIELDS)
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
            strip(data, FACT_PRICE_FIELDS)
            for line in data["lines"]:
                strip(line, FACT_LINE_PRICE_FIELDS)
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
        visible = selectors.attachments_visible_to(self._user(), list(quotation.attachments.all()))
        return AttachmentSerializer(visible, many=True, context=self.context).data


# --- quotations: input -----------------------------------------------------------------------

class QuotationLineInputSerializer(ProductInputMixin):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all(), required=False, allow_null=True,
                                                 default=None)
    sku = sku_input_field()
    quantity = serializers.DecimalField(max_digits=QTY_DIGITS, decimal_places=QTY_PLACES, min_value=MIN_QUANTITY)
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False,
                                          allow_null=True, default=None,
                                          help_text=_("Omit for the product's list price."))
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100,
                                                required=False, default=0)
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
class QuotationViewSet(DocumentViewSet):
    """Quotation revisions. A draft is edited; anything later is revised."""

    api_scope = "orders"
    queryset = Quotation.objects.none()
    list_serializer_class = QuotationSerializer
    detail_serializer_class = QuotationDetailSerializer
    filterset_class = QuotationFilter
    ordering_fields = ["created_at", "updated_at", "valid_until", "number"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[Quotation]:
        user = self.request.user
        if self.action == "list":
            return selectors.quotation_list(user)
        return selectors.quotation_detail(user).prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.select_related("order").order_by("uploaded_at", "id")))

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
        services.quotation_update(quotation_id=path_id(pk), by=request.user, **serializer.service_kwargs())
        return self._render(path_id(pk))

    @extend_schema(operation_id="quotations_submit_review", request=None,
                   responses={200: QuotationDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], url_path="submit-review")
    def submit_review(self, request: Request, pk: str) -> Response:
        """Send a draft to internal review (approved at once if no sign-off is required)."""
        services.quotation_submit_review(quotation_id=path_id(pk), by=request.user)
        return self._render(path_id(pk))

    @extend_schema(operation_id="quotations_signoff", request=SignoffInputSerializer,
                   responses={200: QuotationDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], serializer_class=SignoffInputSerializer)
    def signoff(self, request: Request, pk: str) -> Response:
        """Approve or request changes for one area of the current review round."""
        data = self._input(SignoffInputSerializer)
        services.quotation_signoff(quotation_id=path_id(pk), by=request.user, area=data["area"],
                                   approve=data["decision"] == "approve", comment=data["comment"])
        return self._render(path_id(pk))

    @extend_schema(operation_id="quotations_send", request=SendInputSerializer,
                   responses={200: QuotationDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], serializer_class=SendInputSerializer)
    def send(self, request: Request, pk: str) -> Response:
        """Send an approved quotation: its PDF is attached to the order and e-mailed."""
        data = self._input(SendInputSerializer)
        services.quotation_send(quotation_id=path_id(pk), by=request.user, to_email=data["to_email"])
        return self._render(path_id(pk))

    @extend_schema(operation_id="quotations_accept", request=DecisionInputSerializer,
                   responses={200: QuotationDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], serializer_class=DecisionInputSerializer)
    def accept(self, request: Request, pk: str) -> Response:
        """Record that the customer accepted (refused once expired or superseded)."""
        data = self._input(DecisionInputSerializer)
        services.quotation_record_decision(quotation_id=path_id(pk), by=request.user, accepted=True, note=data["note"])
        return self._render(path_id(pk))

    @extend_schema(operation_id="quotations_decline", request=DecisionInputSerializer,
                   responses={200: QuotationDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], serializer_class=DecisionInputSerializer)
    def decline(self, request: Request, pk: str) -> Response:
        """Record that the customer declined."""
        data = self._input(DecisionInputSerializer)
        services.quotation_record_decision(quotation_id=path_id(pk), by=request.user, accepted=False, note=data["note"])
        return self._render(path_id(pk))

    @extend_schema(operation_id="quotations_revise", request=None,
                   responses={201: QuotationDetailSerializer, **problems(403, 404, 409)})
    @action(detail=True, methods=["post"])
    def revise(self, request: Request, pk: str) -> Response:
        """Start the next revision (a draft copy); a live older revision becomes `superseded`."""
        new = services.quotation_revise(quotation_id=path_id(pk), by=request.user)
        return self._render(new.pk, status.HTTP_201_CREATED)

    @extend_schema(operation_id="quotations_pdf", parameters=FILE_PARAMETERS,
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY, **problems(403, 404)})
    @action(detail=True, methods=["get"], renderer_classes=FILE_RENDERERS)
    def pdf(self, request: Request, pk: str) -> HttpResponse:
        """The quotation as PDF, generated now (any state). A price document: needs `view_prices`."""
        from ..documents import render_quotation_pdf

        quotation = self.get_object()
        if not selectors.can_see_prices(request.user):
            raise PermissionDenied(_("The quotation document shows prices, which your role may not see."))
        return file_response(render_quotation_pdf(quotation), "application/pdf",
                              f"{quotation.number}-rev{quotation.revision}.pdf")
