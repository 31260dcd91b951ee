"""The webhooks API: an API client manages its own subscriptions, sees their deliveries
and replays dead letters. Staff use the admin for every client's."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from . import webhooks
from .api import problems
from .errors import NotFound
from .models import ApiClient, ApiToken, DeliveryState, EventType, WebhookDelivery, WebhookSubscription
from .pagination import PageNumberPagination
from .permissions import ScopePermission
from .roles import INTEGRATION, MANAGER, roles_of

WEBHOOKS_HELP = _(
    "Each event is POSTed as JSON `{\"id\": <event id>, \"type\": …, \"occurred_at\": …, \"data\": {…}}` "
    "with the headers `OMS-Event-Id`, `OMS-Event-Type`, `OMS-Timestamp` (Unix seconds) and "
    "`OMS-Signature: v1=<hex HMAC-SHA256 of \"<OMS-Timestamp>.<raw body>\", keyed with the subscription's "
    "secret>`. Check the signature with a constant-time comparison and refuse old timestamps (say, more than "
    "5 minutes) before trusting an event.\n\n"
    "Answer 2xx within 5 seconds. Redirects are not followed. Anything else is retried after 30 seconds, "
    "doubling up to 1 hour between attempts, for 24 hours from the first attempt; then the delivery becomes a "
    "dead letter (`GET …/deliveries/?state=dead`) that can be replayed. A subscription's events arrive in "
    "the order they happened: later events wait while an earlier one is retried. Delivery is at least once: "
    "drop events whose `OMS-Event-Id` you have already handled. Missed something? The event feed "
    "(`GET /api/v1/events/`) has every event.")


def api_client_of(request: Request) -> ApiClient | None:
    """The active API client whose token authenticated the request; None for sessions."""
    token = getattr(request, "auth", None)
    client = token.client if isinstance(token, ApiToken) else None
    return client if client is not None and client.is_active else None


class MayReadEvents(BasePermission):
    """Events are about every order: for integration users (API clients act as one),
    managers and staff."""

    message = _("Events are for integration users, managers and staff.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return bool(user.is_staff or {INTEGRATION, MANAGER} & set(roles_of(user)))


class IsApiClient(BasePermission):
    """Webhooks belong to an API client: people (session or staff) without one get 403."""

    message = _("Webhooks belong to an API client: call with the client's API token.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and api_client_of(request) is not None)


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices), help_text=_(
        "The events sent; empty for every event."))

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "event_types", "is_active", "created_at"]
        read_only_fields = fields


class WebhookSubscriptionCreatedSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(help_text=_(
        "The signing secret (64 hex characters). Shown only in this answer: store it now."))

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookSubscriptionInputSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500, help_text=_("Where events are POSTed: an http:// or https:// address."))
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices), required=False,
                                        default=list, max_length=len(EventType.values), help_text=_(
        "The events to send; empty or left out for every event."))
    is_active = serializers.BooleanField(required=False, default=True)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    cursor = serializers.IntegerField(source="event.pk", help_text=_("The event's position in the event feed."))
    event_id = serializers.UUIDField(source="event.event_id", help_text=_("The `OMS-Event-Id` sent."))
    type = serializers.ChoiceField(source="event.type", choices=EventType.choices)

    class Meta:
        model = WebhookDelivery
        fields = ["id", "cursor", "event_id", "type", "state", "attempts", "next_attempt_at", "first_attempt_at",
                  "last_attempt_at", "last_status", "last_error", "delivered_at"]
        read_only_fields = fields


class DeliveryQuerySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=DeliveryState.choices, required=False)


class ReplayInputSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), min_length=1,
                                max_length=500, help_text=_("Ids of this subscription's deliveries."))


class ReplayResultSerializer(serializers.Serializer):
    replayed = serializers.ListField(child=serializers.IntegerField(), help_text=_(
        "The deliveries sent again (dead letters and delivered ones); those still pending are left as they are."))


@extend_schema_view(
    list=extend_schema(operation_id="webhooks_list", summary=_("The client's webhook subscriptions"),
                       description=WEBHOOKS_HELP, responses={200: WebhookSubscriptionSerializer(many=True),
                                                             **problems(403)}),
    retrieve=extend_schema(operation_id="webhooks_retrieve", summary=_("A webhook subscription"),
                           responses={200: WebhookSubscriptionSerializer, **problems(403, 404)}),
    destroy=extend_schema(operation_id="webhooks_destroy", summary=_("Remove a webhook subscription"),
                          description=_("Its pending deliveries are dropped; the events stay in the event feed."),
                          responses={204: None, **problems(403, 404)}),
)
class WebhookViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin,
                     viewsets.GenericViewSet):
    """Outbound webhooks of the calling API client."""

    api_scope = "events"
    # there is no `events:write`: managing the client's own webhooks is part of reading its events
    api_scope_actions = {"create": "events:read", "destroy": "events:read", "replay": "events:read"}
    permission_classes = [ScopePermission, MayReadEvents, IsApiClient]
    serializer_class = WebhookSubscriptionSerializer
    filter_backends: list = []
    pagination_class = None
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[WebhookSubscription]:
        if getattr(self, "swagger_fake_view", False):
            return WebhookSubscription.objects.none()
        return WebhookSubscription.objects.filter(client=api_client_of(self.request)).order_by("id")

    def get_object(self) -> WebhookSubscription:
        subscription = self.get_queryset().filter(pk=int(self.kwargs["pk"])).first()
        if subscription is None:
            raise NotFound(_("Webhook not found."))
        return subscription

    @extend_schema(operation_id="webhooks_create", summary=_("Subscribe to events"),
                   description=WEBHOOKS_HELP, request=WebhookSubscriptionInputSerializer,
                   responses={201: WebhookSubscriptionCreatedSerializer, **problems(400, 403)},
                   examples=[OpenApiExample("Order and shipment events", request_only=True, value={
                       "url": "https://erp.example.com/oms-events",
                       "event_types": ["order.state_changed", "shipment.shipped"]})])
    def create(self, request: Request) -> Response:
        """Subscribe the client to events at `url`; the answer carries the signing secret,
        the only time it is shown."""
        serializer = WebhookSubscriptionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = webhooks.webhook_subscription_create(client=api_client_of(request), by=request.user,
                                                            **serializer.validated_data)
        return Response(WebhookSubscriptionCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        webhooks.webhook_subscription_delete(client=api_client_of(request), subscription_id=int(pk), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(operation_id="webhooks_deliveries_list", summary=_("The subscription's deliveries"),
                   parameters=[OpenApiParameter("state", str, enum=DeliveryState.values, description=_(
                       "Only deliveries in this state: `pending`, `delivered`, or `dead` for the dead letters.")),
                               OpenApiParameter("page", int, description=_("The page, from 1.")),
                               OpenApiParameter("page_size", int, description=_("Deliveries a page, 1 to 200 "
                                                                                "(default 50)."))],
                   responses={200: WebhookDeliverySerializer(many=True), **problems(400, 403, 404)})
    @action(detail=True, methods=["get"], pagination_class=PageNumberPagination)
    def deliveries(self, request: Request, pk: str) -> Response:
        """Deliveries in event order, with their attempts and the last answer or error:
        pending ones wait (for their next attempt, or behind an earlier event), dead ones
        failed for 24 hours and can be replayed."""
        subscription = self.get_object()
        query = DeliveryQuerySerializer(data=request.query_params.dict())  # `?state=` is refused, not ignored
        query.is_valid(raise_exception=True)
        deliveries = subscription.deliveries.select_related("event").order_by("event_id")
        if state := query.validated_data.get("state"):
            deliveries = deliveries.filter(state=state)
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(operation_id="webhooks_deliveries_replay", summary=_("Replay deliveries"),
                   request=ReplayInputSerializer,
                   responses={202: ReplayResultSerializer, **problems(400, 403, 404)})
    @action(detail=True, methods=["post"], url_path="deliveries/replay")
    def replay(self, request: Request, pk: str) -> Response:
        """Send dead letters (or delivered events) again, in event order after any earlier
        pending ones, with a fresh 24-hour retry window. 400 when an id is not one of this
        subscription's deliveries."""
        subscription = self.get_object()
        serializer = ReplayInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        replayed = webhooks.webhook_deliveries_replay(serializer.validated_data["ids"], request.user,
                                                      subscription=subscription)
        return Response({"replayed": replayed}, status=status.HTTP_202_ACCEPTED)
