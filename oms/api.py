"""Shared API pieces."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response


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
