"""Integration plumbing shared by every app (DESIGN.md §7): API clients with hashed, scoped
tokens; idempotency keys; the outbox of business events with its webhook subscriptions
and deliveries."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ApiScope(models.TextChoices):
    """What a token may do. Each API view names the area it belongs to; reads need
    `<area>:read`, writes `<area>:write` (a write scope includes its read)."""

    CATALOGUE_READ = "catalogue:read", _("Read products and warehouses")
    CATALOGUE_WRITE = "catalogue:write", _("Create and change products")
    CUSTOMERS_READ = "customers:read", _("Read customers")
    CUSTOMERS_WRITE = "customers:write", _("Create and change customers")
    ORDERS_READ = "orders:read", _("Read orders, quotations and contracts")
    ORDERS_WRITE = "orders:write", _("Create orders and run their steps")
    STOCK_READ = "stock:read", _("Read stock and the ledger")
    STOCK_WRITE = "stock:write", _("Receive, adjust, transfer and count stock")
    SUPPLY_READ = "supply:read", _("Read purchase and work orders")
    SUPPLY_WRITE = "supply:write", _("Plan purchase and work orders")
    SHIPMENTS_READ = "shipments:read", _("Read shipments and carriers")
    SHIPMENTS_WRITE = "shipments:write", _("Plan, pack and ship shipments")
    TRACKING_WRITE = "tracking:write", _("Record tracking events and proof of delivery")
    EVENTS_READ = "events:read", _("Read the event feed")


class ApiClient(models.Model):
    """An integration (an e-shop, an ERP, an EDI gateway, a carrier). It acts as its
    `user`, an `integration` user whose role permissions apply; its tokens narrow them
    to scopes."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("acts as user"), on_delete=models.PROTECT,
                                related_name="api_client")
    is_active = models.BooleanField(_("active"), default=True)
    rate_limit = models.PositiveIntegerField(
        _("requests per minute"), default=600,
        help_text=_("More requests than this in a minute are refused with 429 and Retry-After."))
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=Q(rate_limit__gte=1), name="api_client_rate_limit_positive")]

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A secret an API client authenticates with (`Authorization: Token <key>`). Only the
    key's SHA-256 is stored; the key is shown once, when the token is created."""

    client = models.ForeignKey(ApiClient, verbose_name=_("client"), on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(_("name"), max_length=120, blank=True)
    prefix = models.CharField(_("key prefix"), max_length=8, editable=False,
                              help_text=_("The first characters of the key, to recognise it."))
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["client_id", "-created_at"]

    def __str__(self) -> str:
        return f"{self.client} · {self.prefix}…"


class IdempotencyKey(models.Model):
    """A client's `Idempotency-Key` and the first answer to it, claimed in the same
    transaction as the work (oms/idempotency.py). Purged after 24 hours."""

    client = models.ForeignKey(ApiClient, verbose_name=_("client"), on_delete=models.CASCADE,
                               related_name="idempotency_keys")
    key = models.CharField(_("key"), max_length=255)
    method = models.CharField(_("method"), max_length=8)
    path = models.CharField(_("path"), max_length=500)
    request_hash = models.CharField(_("request hash"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True)
    response_headers = models.JSONField(_("response headers"), default=dict)
    response_body = models.BinaryField(_("response body"), default=bytes)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="unique_idempotency_key_per_client")]

    def __str__(self) -> str:
        return f"{self.client_id}:{self.key}"


class EventType(models.TextChoices):
    ORDER_STATE_CHANGED = "order.state_changed", _("Order state changed")
    ORDER_PROMISE_DATE_CHANGED = "order.promise_date_changed", _("Promise date changed")
    SHIPMENT_SHIPPED = "shipment.shipped", _("Shipment shipped")
    SHIPMENT_DELIVERED = "shipment.delivered", _("Shipment delivered")
    INVOICE_ISSUED = "invoice.issued", _("Invoice issued")


class OutboxEvent(models.Model):
    """A business event, written in the same transaction as the change it reports. The
    id orders the feed (GET /api/v1/events/?after=<id>); webhooks deliver it."""

    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=40, choices=EventType.choices, db_index=True)
    aggregate_type = models.CharField(_("about"), max_length=40)
    aggregate_id = models.BigIntegerField(_("about id"))
    payload = models.JSONField(_("payload"), default=dict)
    occurred_at = models.DateTimeField(_("occurred"), auto_now_add=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["id"]
        indexes = [models.Index(fields=["aggregate_type", "aggregate_id"], name="outbox_aggregate_idx")]

    def __str__(self) -> str:
        return f"{self.pk} {self.type}"


class WebhookSubscription(models.Model):
    """Where a client wants events POSTed, signed with its secret (HMAC-SHA256)."""

    client = models.ForeignKey(ApiClient, verbose_name=_("client"), on_delete=models.CASCADE,
                               related_name="webhooks")
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=64)
    event_types = models.JSONField(_("events"), default=list, blank=True,
                                   help_text=_("Empty for every event."))
    is_active = models.BooleanField(_("active"), default=True)
    #: the dispatcher's lease: one worker delivers a subscription's events at a time, in order
    leased_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["client_id", "id"]

    def __str__(self) -> str:
        return f"{self.client} → {self.url}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    DEAD = "dead", _("Dead letter")


class WebhookDelivery(models.Model):
    """One event for one subscription: retried with backoff for 24 hours, then a dead
    letter that staff can replay."""

    subscription = models.ForeignKey(WebhookSubscription, verbose_name=_("subscription"), on_delete=models.CASCADE,
                                     related_name="deliveries")
    event = models.ForeignKey(OutboxEvent, verbose_name=_("event"), on_delete=models.CASCADE,
                              related_name="deliveries")
    state = models.CharField(_("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    first_attempt_at = models.DateTimeField(_("first attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["subscription_id", "event_id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="unique_delivery_per_subscription"),
            models.CheckConstraint(condition=Q(state__in=DeliveryState.values), name="webhook_delivery_state_known"),
        ]
        indexes = [models.Index(fields=["subscription", "state", "event"], name="delivery_queue_idx")]

    def __str__(self) -> str:
        return f"{self.subscription_id}/{self.event_id} {self.state}"
