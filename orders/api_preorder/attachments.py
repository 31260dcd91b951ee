"""Downloads of the files on an order, for those who may see them."""

from __future__ import annotations

from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request

from oms.errors import NotFound
from oms.permissions import ScopePermission

from .. import selectors
from ..models import Attachment
from .common import FILE_PARAMETERS, FILE_RENDERERS, path_id, problems


class AttachmentViewSet(viewsets.GenericViewSet):
    """Files on orders, served only to those who may see them (404 otherwise)."""

    api_scope = "orders"
    queryset = Attachment.objects.none()
    permission_classes = [ScopePermission]  # visibility is the selector's decision

    @extend_schema(operation_id="attachments_download", parameters=FILE_PARAMETERS,
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **problems(404)})
    @action(detail=True, methods=["get"], renderer_classes=FILE_RENDERERS)
    def download(self, request: Request, pk: str) -> FileResponse:
        """The file as stored (PDF, PNG or JPEG), as a download."""
        attachment = Attachment.objects.select_related("order").filter(pk=path_id(pk)).first()
        if attachment is None or not selectors.attachment_visible_to(request.user, attachment):
            raise NotFound(_("File not found."))
        return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename,
                            content_type=attachment.content_type)
