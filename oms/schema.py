"""The answers every operation can give, added to the OpenAPI schema in one place.

Views document their own successes and the errors particular to them (`oms.api.problems`);
`standard_problems_hook` then adds, where an operation can give them and the view did not
say already, the errors that come from the framework around it: 400 for invalid
parameters or body, 401 and 403 from authentication and role permissions, 404 for an id in
the path or a page past the end, 415 for a body in a media type not accepted, 429 from the
rate limits. It also adds OpenAPI links from a created order to its detail and transitions.
`ApiAutoSchema` makes the generated bodies and fields say precisely what the API sends
and takes.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.permissions import AllowAny
from rest_framework.settings import api_settings

from .errors import PROBLEM_CONTENT_TYPE

METHODS = ("get", "put", "post", "patch", "delete")


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, saying precisely what the API sends and takes:

    - The API speaks JSON. An operation whose view keeps DRF's default parsers documents an
      `application/json` body only: the form encodings those parsers also read serve the
      browsable API, and cannot say `null`, a nested object or a boolean unambiguously.
      Views that take uploads set their own `parser_classes` and document what they set.
    - A read-only field with `default=None` answers null when its source is missing (a
      quotation's `sent_by` before it is sent): it is documented nullable.
    - An e-mail address or URL that may be blank is documented as such (`""` is not an
      e-mail address).
    - Decimals are strings in answers (exact); requests may send a string or a JSON number,
      as DRF reads both.
    """

    def map_parsers(self) -> list[Any]:
        media_types = super().map_parsers()
        default = list(self.view.parser_classes) == list(api_settings.DEFAULT_PARSER_CLASSES)
        if default and "application/json" in media_types:
            return ["application/json"]
        return media_types

    def _get_serializer_field_meta(self, field: Any, direction: str) -> dict:
        meta = super()._get_serializer_field_meta(field, direction)
        if getattr(field, "read_only", False) and getattr(field, "default", empty) is None:
            meta["nullable"] = True
        return meta

    def _map_serializer_field(self, field: Any, direction: str, bypass_extensions: bool = False) -> Any:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction == "request" and isinstance(field, serializers.DecimalField) and isinstance(schema, dict) \
                and schema.get("format") == "decimal":
            number: dict[str, Any] = {"type": "number"}
            if field.min_value is not None:
                number["minimum"] = float(field.min_value)
            if field.max_value is not None:
                number["maximum"] = float(field.max_value)
            outer = {"readOnly", "writeOnly", "nullable", "deprecated", "description", "title", "default"}
            text = {key: schema.pop(key) for key in list(schema) if key not in outer}
            schema["oneOf"] = [text, number]
        return schema

    def _insert_field_validators(self, field: Any, schema: dict) -> None:
        super()._insert_field_validators(field, schema)
        # drf-spectacular offers "" besides the format when a field allows blanks; a read-only
        # field no longer says so (DRF drops `allow_blank`), its model field does
        if schema.get("format") in ("email", "uri") and "oneOf" not in schema and _may_be_blank(field):
            outer = {"readOnly", "writeOnly", "nullable", "deprecated", "description", "title"}
            inner = {key: schema.pop(key) for key in list(schema) if key not in outer}
            schema["oneOf"] = [inner, {"type": "string", "maxLength": 0}]


def _may_be_blank(field: Any) -> bool:
    """Whether a text field may hold "": it says so, or (read-only fields do not) its model field does."""
    if getattr(field, "allow_blank", False):
        return True
    model = getattr(getattr(getattr(field, "parent", None), "Meta", None), "model", None)
    if model is None or not isinstance(getattr(field, "source", None), str):
        return False
    try:
        return model._meta.get_field(field.source).blank
    except FieldDoesNotExist:
        return False


def _descriptions() -> dict[int, str]:
    from .api import _PROBLEM_DESCRIPTIONS

    return {
        **{code: str(text) for code, text in _PROBLEM_DESCRIPTIONS.items()},
        415: _("The body's media type is not one of those the operation accepts."),
        429: _("Too many requests: wait the `Retry-After` seconds, then retry."),
    }


def _shape(path: str) -> str:
    """The path without its parameter names: the schema says `{id}` where the URL says `{pk}`."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def _views_by_operation(generator: Any) -> dict[tuple[str, str], Any]:
    """(path shape, method) → the view class that answers it."""
    views = {}
    for path, _regex, method, callback in generator.endpoints or []:
        view_class = getattr(callback, "cls", None)
        if view_class is not None:
            views[_shape(path), method.lower()] = view_class
    return views


def _needs_authentication(view_class: Any) -> bool:
    permissions = list(getattr(view_class, "permission_classes", []) or [])
    return bool(permissions) and not all(issubclass(p, AllowAny) for p in permissions)


def _statuses(operation: dict, view_class: Any) -> list[int]:
    parameters = operation.get("parameters", [])
    in_path = any(p.get("in") == "path" for p in parameters)
    has_input = bool(operation.get("requestBody")) or any(p.get("in") in ("query", "header") for p in parameters)
    paginated = any(p.get("in") == "query" and p.get("name") == "page" for p in parameters)
    codes = []
    if has_input:
        codes.append(400)
    if view_class is None or _needs_authentication(view_class):
        codes += [401, 403]
    if in_path or paginated:
        codes.append(404)
    if operation.get("requestBody"):
        codes.append(415)
    if view_class is not None and getattr(view_class, "throttle_classes", None):
        codes.append(429)
    return codes


def _links() -> dict[tuple[str, str], dict[str, dict]]:
    """OpenAPI links, by (operation id, status): where an answer leads next."""
    order_id = {"id": "$response.body#/id"}
    detail = {"operationId": "orders_retrieve", "parameters": order_id,
              "description": _("The order, with the `available_transitions` the caller may run now.")}
    transition = {"operationId": "orders_transitions_create", "parameters": order_id,
                  "description": _("Run one of the order's `available_transitions` (its `name` in the path).")}
    return {
        ("orders_create", "201"): {"GetOrder": detail, "RunOrderTransition": transition},
        ("orders_retrieve", "200"): {"RunOrderTransition": transition},
        ("orders_transitions_create", "200"): {"GetOrder": detail, "RunOrderTransition": transition},
    }


def standard_problems_hook(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: document the framework's error answers on every
    operation (see the module docstring; what a view documents itself is kept), and link a
    created order to its detail and its transitions."""
    descriptions = _descriptions()
    content = {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    retry_after = {"Retry-After": {"schema": {"type": "integer"},
                                   "description": _("Seconds to wait before the next request.")}}
    views = _views_by_operation(generator)
    operation_ids = set()
    for path, operations in result.get("paths", {}).items():
        for method in METHODS:
            operation = operations.get(method)
            if operation is None:
                continue
            operation_ids.add(operation.get("operationId"))
            responses = operation.setdefault("responses", {})
            for code in _statuses(operation, views.get((_shape(path), method))):
                if str(code) not in responses:
                    responses[str(code)] = {"description": descriptions[code], "content": copy.deepcopy(content)}
            if "429" in responses:
                responses["429"].setdefault("headers", copy.deepcopy(retry_after))
    links = _links()
    for operations in result.get("paths", {}).values():
        for method in METHODS:
            operation = operations.get(method) or {}
            for status, response in operation.get("responses", {}).items():
                wanted = links.get((operation.get("operationId"), status), {})
                found = {name: link for name, link in wanted.items() if link["operationId"] in operation_ids}
                if found:
                    response.setdefault("links", {}).update(copy.deepcopy(found))
    return result
