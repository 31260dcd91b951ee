"""Contracts: drafted from an accepted quotation, reviewed by legal, signed with the signed copy."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import parsers, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from oms.errors import PermissionDenied, ValidationFailed

from .. import selectors, services
from ..api import CustomerRefSerializer
from ..models import Contract, ContractClause, ContractState, Quotation
from .common import (
    FILE_PARAMETERS,
    FILE_RENDERERS,
    LINE_PRICE_FIELDS,
    AttachmentSerializer,
    DocumentViewSet,
    ScheduleLineSerializer,
    file_response,
    money_field,
    path_id,
    problems,
    strip,
)


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
    total_amount = money_field(source="quotation.total_amount")
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
                strip(line, LINE_PRICE_FIELDS)
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
class ContractViewSet(DocumentViewSet):
    """Contracts drawn from accepted quotations: drafted, reviewed by legal, signed."""

    api_scope = "orders"
    queryset = Contract.objects.none()
    list_serializer_class = ContractSerializer
    detail_serializer_class = ContractDetailSerializer
    filterset_class = ContractFilter
    ordering_fields = ["created_at", "updated_at", "delivery_date", "number"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[Contract]:
        user = self.request.user
        if self.action == "list":
            return (selectors.contracts_visible_to(user).select_related("order__customer", "quotation")
                    .order_by("-created_at", "-id"))
        return selectors.contract_detail(user)

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
        services.contract_update(contract_id=path_id(pk), by=request.user, clauses=clauses,
                                 delivery_date=data.get("delivery_date"))
        return self._render(path_id(pk))

    @extend_schema(operation_id="contracts_submit_review", request=None,
                   responses={200: ContractDetailSerializer, **problems(403, 404, 409)})
    @action(detail=True, methods=["post"], url_path="submit-review")
    def submit_review(self, request: Request, pk: str) -> Response:
        """Send a draft to the legal review."""
        services.contract_submit_review(contract_id=path_id(pk), by=request.user)
        return self._render(path_id(pk))

    @extend_schema(operation_id="contracts_review", request=ContractReviewInputSerializer,
                   responses={200: ContractDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], serializer_class=ContractReviewInputSerializer)
    def review(self, request: Request, pk: str) -> Response:
        """Legal review: approve for signing, or return to the drafter with a comment."""
        data = self._input(ContractReviewInputSerializer)
        services.contract_review(contract_id=path_id(pk), by=request.user, approve=data["decision"] == "approve",
                                 comment=data["comment"])
        return self._render(path_id(pk))

    @extend_schema(operation_id="contracts_signed_copy", request={"multipart/form-data": SignedCopyInputSerializer},
                   responses={200: ContractDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], url_path="signed-copy", parser_classes=UPLOAD_PARSERS,
            serializer_class=SignedCopyInputSerializer)
    def signed_copy(self, request: Request, pk: str) -> Response:
        """Attach the signed copy of a contract approved for signing."""
        data = self._input(SignedCopyInputSerializer)
        services.contract_attach_signed_copy(contract_id=path_id(pk), by=request.user, upload=data["file"])
        return self._render(path_id(pk))

    @extend_schema(operation_id="contracts_sign",
                   request={"application/json": ContractSignDateSerializer,
                            "multipart/form-data": ContractSignInputSerializer},
                   responses={200: ContractDetailSerializer, **problems(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], parser_classes=[parsers.JSONParser, *UPLOAD_PARSERS],
            serializer_class=ContractSignInputSerializer)
    def sign(self, request: Request, pk: str) -> Response:
        """Record the signature: the order takes the agreed lines and becomes `contracted`."""
        data = self._input(ContractSignInputSerializer)
        services.contract_sign(contract_id=path_id(pk), by=request.user, signed_on=data["signed_on"],
                               upload=data["file"])
        return self._render(path_id(pk))

    @extend_schema(operation_id="contracts_pdf", parameters=FILE_PARAMETERS,
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY, **problems(403, 404)})
    @action(detail=True, methods=["get"], renderer_classes=FILE_RENDERERS)
    def pdf(self, request: Request, pk: str) -> HttpResponse:
        """The contract as PDF, generated now. Shows prices: needs `view_prices`."""
        from ..documents import render_contract_pdf

        contract = self.get_object()
        if not selectors.can_see_prices(request.user):
            raise PermissionDenied(_("The contract document shows prices, which your role may not see."))
        return file_response(render_contract_pdf(contract), "application/pdf", f"{contract.number}.pdf")
