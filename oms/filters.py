"""The API's filter backend: django-filter, strict about what a query parameter may hold.

django-filter leaves a filter out when its parameter is empty (`?requested_before=`) or a
yes/no it cannot read (`?is_active=maybe`), and reads an id as any decimal number. An
integration that sends those has a bug it should hear about, so here each is a 400 naming
the parameter in `errors`. The rules follow the schema: a `NumberFilter` in this API
filters by an id, documented and read as a whole number. A date-time whose UTC offset
PostgreSQL cannot store is refused too.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django_filters import filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from rest_framework.exceptions import ValidationError

_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,18}")
_BOOLEANS = ("true", "false")
#: PostgreSQL takes UTC offsets up to 15:59; Python's datetimes, and so the parsers, up to 23:59.
_MAX_OFFSET = datetime.timedelta(hours=15, minutes=59)


def _is_id_filter(filter_field: Any) -> bool:
    return isinstance(filter_field, filters.NumberFilter) and not isinstance(filter_field, filters.NumericRangeFilter)


def _error(filter_field: Any, raw: str) -> str | None:
    """Why `raw` is not a value for `filter_field`, or None when django-filter may judge it."""
    if raw == "":
        if isinstance(filter_field, filters.CharFilter):
            return None  # an empty text is a text
        return _("Give a value, or leave the parameter out.")
    if isinstance(filter_field, filters.BooleanFilter) and raw.lower() not in _BOOLEANS:
        return _("Give true or false.")
    if _is_id_filter(filter_field) and not _WHOLE_NUMBER.fullmatch(raw):
        return _("Give an id (a whole number).")
    if isinstance(filter_field, filters.DateTimeFilter):
        try:
            moment = parse_datetime(raw)
        except ValueError:
            moment = None  # django-filter says what is wrong with it
        offset = moment.utcoffset() if moment is not None else None
        if offset is not None and abs(offset) > _MAX_OFFSET:
            return _("Give a UTC offset from -15:59 to +15:59.")
    return None


class ApiFilterBackend(DjangoFilterBackend):
    """DjangoFilterBackend that refuses, with 400, a parameter of a filter given empty or with
    a value of the wrong kind (see the module docstring) instead of ignoring it."""

    def get_filterset(self, request: Any, queryset: Any, view: Any) -> Any:
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            errors: dict[str, list[str]] = {}
            for name, filter_field in filterset.filters.items():
                for raw in request.query_params.getlist(name):
                    message = _error(filter_field, raw)
                    if message:
                        errors.setdefault(name, []).append(message)
            if errors:
                raise ValidationError(errors)
        return filterset


class ApiFilterExtension(DjangoFilterExtension):
    """The schema of ApiFilterBackend's parameters: django-filter's, with ids as integers."""

    target_class = "oms.filters.ApiFilterBackend"
    priority = 1  # before DjangoFilterExtension, which matches this subclass too

    def resolve_filter_field(self, auto_schema: Any, model: Any, filterset_class: Any, field_name: str,
                             filter_field: Any) -> list[dict]:
        parameters = super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        if _is_id_filter(filter_field):
            for parameter in parameters:
                if parameter["schema"].get("type") == "number":
                    parameter["schema"] = {**parameter["schema"], "type": "integer"}
        return parameters
