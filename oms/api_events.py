"""The event feed: every business event since a cursor, for integrations that pull (or
catch up after their webhook endpoint was down)."""

from __future__ import annotations

from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from .api import problems
from .api_webhooks import MayReadEvents
from .models import EventType, OutboxEvent
from .outbox import FEED_SETTLE_SECONDS, events_after
from .permissions import ScopePermission
from .webhooks import envelope

MAX_LIMIT = 500


class EventSerializer(serializers.Serializer):
    """A feed entry: the webhook body plus the event's cursor."""

    cursor = serializers.IntegerField(help_text=_("The event's position: pass it as `after` to read on from it."))
    id = serializers.UUIDField(help_text=_("The event id, as in the webhook header `OMS-Event-Id`."))
    type = serializers.ChoiceField(choices=EventType.choices)
    occurred_at = serializers.DateTimeField()
    data = serializers.JSONField(help_text=_(
        "`order.state_changed`: `{order: {id, number, state}, from, to, event}` (`event`: the step); "
        "`order.promise_date_changed`: `{order, lines: [{line_no, sku, promise_date}]}`; `shipment.shipped` and "
        "`shipment.delivered`: `{shipment: {id, number, state, tracking_number, carrier}, order}`; "
        "`invoice.issued`: `{order, amount, currency}`."))

    def to_representation(self, instance: OutboxEvent) -> dict[str, Any]:
        return {"cursor": instance.pk, **envelope(instance)}


class EventFeedSerializer(serializers.Serializer):
    results = EventSerializer(many=True)
    next_cursor = serializers.IntegerField(help_text=_("Pass as `after` for the next page."))
    has_more = serializers.BooleanField(help_text=_("More events are ready now: ask again at once."))


class EventFeedQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(required=False, default=0, min_value=0, max_value=2**63 - 1, help_text=_(
        "The cursor: events after this one (`next_cursor` of the previous page; 0 from the start)."))
    limit = serializers.IntegerField(required=False, default=100, min_value=1, max_value=MAX_LIMIT,
                                     help_text=_("At most this many events (1–500)."))
    type = serializers.ChoiceField(choices=EventType.choices, required=False, help_text=_(
        "Only events of this type."))


FEED_EXAMPLE = OpenApiExample("A page of the feed", response_only=True, value={
    "results": [{"cursor": 1041, "id": "5b0c1f8e-3f4b-4a53-9d8e-2c1f0a7e9b11", "type": "order.state_changed",
                 "occurred_at": "2026-11-27T10:15:02.120000+08:00",
                 "data": {"order": {"id": 77, "number": "SO-2026-000077", "state": "approved"},
                          "from": "submitted", "to": "approved", "event": "approve"}}],
    "next_cursor": 1041, "has_more": False})


class FeedSchema(AutoSchema):
    def _is_list_view(self, serializer: Any = None) -> bool:
        return False  # one object (a page with its cursor), though the action is `list`


class EventFeedViewSet(viewsets.GenericViewSet):
    api_scope = "events"
    schema = FeedSchema()
    permission_classes = [ScopePermission, MayReadEvents]
    serializer_class = EventSerializer
    filter_backends: list = []
    pagination_class = None
    queryset = OutboxEvent.objects.none()

    @extend_schema(
        operation_id="events_list", summary=_("The event feed"),
        parameters=[EventFeedQuerySerializer], responses={200: EventFeedSerializer, **problems(400, 403)},
        examples=[FEED_EXAMPLE],
        description=format_lazy(_(
            "Every business event in the order it was recorded — the same events the webhooks send. Keep the "
            "last `next_cursor` and ask with `after=<it>`: while `has_more` is true, more events are ready. "
            "Nothing is skipped: events of a change still being saved hold the feed back for up to {settle} "
            "seconds. Events are kept, so a client whose webhook endpoint was down catches up here."),
            settle=FEED_SETTLE_SECONDS),
    )
    def list(self, request: Request) -> Response:
        query = EventFeedQuerySerializer(data=request.query_params.dict())  # `?type=` is refused, not ignored
        query.is_valid(raise_exception=True)
        data = query.validated_data
        page = events_after(data["after"], limit=data["limit"], type=data.get("type"))
        return Response({"results": EventSerializer(page.events, many=True).data, "next_cursor": page.next_cursor,
                         "has_more": page.has_more})
