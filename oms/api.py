"""Shared API pieces: service-backed writes and the problem details in the schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from .errors import PROBLEM_CONTENT_TYPE


class ServiceWriteMixin:
    """Create and update through services: the serializer validates, the service writes.

    Set `create_service(by=…, **fields)` and `update_service(<instance_kwarg>=obj, by=…, **fields)`.
    """

    create_service: Callable[..., Any]
    update_service: Callable[..., Any]
    instance_kwarg: str

    def _render_saved(self, obj: Any, code: int) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=obj.pk)).data, status=code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = type(self).create_service(by=request.user, **serializer.validated_data)
        return self._render_saved(obj, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        type(self).update_service(**{self.instance_kwarg: instance}, by=request.user, **serializer.validated_data)
        return self._render_saved(instance, status.HTTP_200_OK)


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
    required_scope = serializers.CharField(
        required=False, help_text=_("The scope the API token lacks, on a 403 `insufficient_scope`."))
    checks_result = serializers.CharField(
        required=False, help_text=_("The order's automatic checks result, on a 409 `checks_not_cleared`."))


_PROBLEM_DESCRIPTIONS = {
    400: _("Invalid input: `errors` lists the messages by field."),
    401: _("Not authenticated."),
    403: _("The caller's role does not allow this (`permission_denied`), or the API token lacks the scope "
           "(`insufficient_scope`, naming it in `required_scope`)."),
    404: _("No such object, or the caller may not see it."),
    409: _("Not possible in the current state."),
}


def problems(*codes: int) -> dict:
    """`extend_schema` responses for the given error statuses (401 is always possible)."""
    return {(code, PROBLEM_CONTENT_TYPE): OpenApiResponse(ProblemSerializer, description=_PROBLEM_DESCRIPTIONS[code])
            for code in sorted({401, *codes})}
