"""Pieces the pre-order endpoints share: problem details in the schema, file answers,
the permission of service-checked actions, product input, price hiding and attachments."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import mixins, renderers, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.reverse import reverse

from inventory.models import Product
from oms.api import problems  # noqa: F401 (re-exported for the pre-order endpoints)
from oms.errors import NotFound
from oms.permissions import ModelRolePermission

from ..models import Attachment, QuotationLine

LINE_PRICE_FIELDS = ("unit_price", "discount_percent", "line_total", "margin_percent")
MIN_QUANTITY = Decimal("0.001")


def money_field(**kwargs: Any) -> serializers.DecimalField:
    # Output-only price fields are optional in the schema: they are left out for callers
    # who may not see prices.
    return serializers.DecimalField(max_digits=14, decimal_places=2, required=False, **kwargs)


def strip(data: dict, names: tuple[str, ...]) -> dict:
    for name in names:
        data.pop(name, None)
    return data


# --- errors, files and permissions --------------------------------------------------------

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


def path_id(pk: str) -> int:
    """The id in the path; anything but ASCII digits ("²" is a digit too) names no object."""
    if not (pk.isascii() and pk.isdigit()):
        raise NotFound()
    return int(pk)


FILE_PARAMETERS = [OpenApiParameter("format", exclude=True)]


def file_response(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


class ServiceChecksRole(ModelRolePermission):
    """For actions whose service checks the role itself: the caller needs only to be able
    to see the kind of object (so the service can answer 403, 404 or 409 precisely)."""

    perms_map = {
        method: ["%(app_label)s.view_%(model_name)s"] for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
    } | {"OPTIONS": []}


class DocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Shared shape of the quotation and contract endpoints: a short list representation,
    a detail one that every write answers with, and actions whose service checks the role."""

    list_serializer_class: type[serializers.Serializer]
    detail_serializer_class: type[serializers.Serializer]
    #: Actions guarded by the model permissions; the others let the service decide (403/404/409).
    model_permission_actions = ("list", "retrieve", "create", "partial_update", "pdf")

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return self.list_serializer_class if self.action == "list" else self.detail_serializer_class

    def get_permissions(self) -> list:
        if self.action in self.model_permission_actions:
            return [ModelRolePermission()]
        return [ServiceChecksRole()]

    def _render(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        document = self.get_queryset().get(pk=pk)
        return Response(self.detail_serializer_class(document, context=self.get_serializer_context()).data,
                        status=code)

    def _input(self, serializer_class: type[serializers.Serializer]) -> dict:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


# --- input and attachments -------------------------------------------------------------------

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


def sku_input_field() -> serializers.SlugRelatedField:
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



# --- lines -------------------------------------------------------------------------------------

class ScheduleLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    unit_price = money_field()
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    line_total = money_field()

    class Meta:
        model = QuotationLine
        fields = ["line_no", "product", "sku", "product_name", "description", "quantity", "unit_price",
                  "discount_percent", "line_total"]
        read_only_fields = ["line_no", "product", "description", "quantity"]
