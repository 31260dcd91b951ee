"""Domain errors and their one rendering: RFC 9457 problem details.

Services raise `ApplicationError` subclasses and never import DRF. The API renders every
error — ours, DRF's and Django's — through `problem_exception_handler`; pages catch the
same errors and show their message.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_default_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"


class ApplicationError(Exception):
    """A business rule said no. `code` is stable and part of the API."""

    status: int = 400
    code: str = "invalid"
    default_message = _("The request could not be processed.")

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 errors: dict[str, list[str]] | None = None, extra: dict[str, Any] | None = None):
        self.message = str(message or self.default_message)
        if code:
            self.code = code
        self.errors = errors or {}
        self.extra = extra or {}
        super().__init__(self.message)


class ValidationFailed(ApplicationError):
    status = 400
    code = "validation_failed"
    default_message = _("Some fields are not valid.")


class NotFound(ApplicationError):
    status = 404
    code = "not_found"
    default_message = _("Not found.")


class PermissionDenied(ApplicationError):
    status = 403
    code = "permission_denied"
    default_message = _("You are not allowed to do this.")


class Conflict(ApplicationError):
    status = 409
    code = "conflict"
    default_message = _("This conflicts with the current state.")


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"
    default_message = _("This step is not possible in the order's current state.")


def problem(status_code: int, title: str, detail: str, *, code: str,
            errors: dict[str, Any] | None = None, instance: str | None = None,
            extra: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"https://oms.example/problems/{code}",
        "title": str(title),
        "status": status_code,
        "detail": str(detail),
        "code": code,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return body


_TITLES = {
    400: _("Bad request"),
    401: _("Authentication required"),
    403: _("Forbidden"),
    404: _("Not found"),
    405: _("Method not allowed"),
    406: _("Not acceptable"),
    409: _("Conflict"),
    415: _("Unsupported media type"),
    429: _("Too many requests"),
    500: _("Server error"),
}


def _title(status_code: int) -> str:
    return str(_TITLES.get(status_code, _("Error")))


def _flatten_drf_detail(detail: Any) -> dict[str, list[str]]:
    """DRF validation detail → {field: [messages]}; nested paths joined with dots."""
    out: dict[str, list[str]] = {}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(sub, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list):
            if all(not isinstance(v, dict | list) for v in value):
                out.setdefault(path or "non_field_errors", []).extend(str(v) for v in value)
            else:
                for index, sub in enumerate(value):
                    if sub:
                        walk(sub, f"{path}.{index}" if path else str(index))
        else:
            out.setdefault(path or "non_field_errors", []).append(str(value))

    walk(detail, "")
    return out


def _problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    response = Response(body, status=body["status"], headers=headers)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    instance = request.path if request is not None else None

    if isinstance(exc, ApplicationError):
        body = problem(exc.status, _title(exc.status), exc.message, code=exc.code,
                       errors=exc.errors, instance=instance, extra=exc.extra)
        return _problem_response(body)

    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        body = problem(400, _title(400), str(_("Some fields are not valid.")), code="validation_failed",
                       errors=errors, instance=instance)
        return _problem_response(body)

    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    response = drf_default_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handler answers, without a trace

    if isinstance(exc, drf_exceptions.ValidationError):
        body = problem(400, _title(400), str(_("Some fields are not valid.")), code="validation_failed",
                       errors=_flatten_drf_detail(exc.detail), instance=instance)
    else:
        detail = exc.detail if isinstance(exc, drf_exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        body = problem(response.status_code, _title(response.status_code), str(detail), code=str(code),
                       instance=instance)
    headers = {k: v for k, v in response.items() if k in ("WWW-Authenticate", "Retry-After", "Allow")}
    return _problem_response(body, headers=headers)


def _wants_problem(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def api_aware_404(request: HttpRequest, exception: Exception | None = None):
    from django.views.defaults import page_not_found

    if _wants_problem(request):
        body = problem(404, _title(404), str(_("Not found.")), code="not_found", instance=request.path)
        return JsonResponse(body, status=404, content_type=PROBLEM_CONTENT_TYPE)
    return page_not_found(request, exception, template_name="404.html")


def api_aware_500(request: HttpRequest):
    from django.views.defaults import server_error

    if _wants_problem(request):
        body = problem(500, _title(500), str(_("Something went wrong on our side.")), code="server_error",
                       instance=request.path)
        return JsonResponse(body, status=500, content_type=PROBLEM_CONTENT_TYPE)
    return server_error(request, template_name="500.html")
