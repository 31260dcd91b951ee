"""Admin for the outbox: webhook subscriptions (the signing secret is shown once, when the
subscription is added), their deliveries with the dead letters and a Replay action, and the
events themselves (read only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import EventType, OutboxEvent, WebhookDelivery, WebhookSubscription

# oms.webhooks (and oms.errors, which imports DRF) load when first used: at admin discovery
# DRF's settings would import the API authentication, which imports oms.errors half-loaded.


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(label=_("events"), choices=EventType.choices, required=False,
                                            widget=forms.CheckboxSelectMultiple,
                                            help_text=_("None ticked: every event."))

    class Meta:
        model = WebhookSubscription
        fields = ["client", "url", "event_types", "is_active"]

    def clean_url(self) -> str:
        from .webhooks import webhook_url_errors

        url = self.cleaned_data["url"].strip()
        if errors := webhook_url_errors(url):
            raise forms.ValidationError(errors)
        return url

    def clean_event_types(self) -> list[str]:
        from .webhooks import event_types_errors

        event_types = list(self.cleaned_data.get("event_types") or [])
        if errors := event_types_errors(event_types):
            raise forms.ValidationError(errors)
        return event_types


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ["client", "url", "event_types", "is_active", "pending", "dead", "created_at"]
    list_filter = ["is_active", "client"]
    list_select_related = ["client"]
    search_fields = ["url", "client__name"]
    readonly_fields = ["secret_hint", "leased_until", "created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookSubscription]:
        return super().get_queryset(request).annotate(
            pending_count=Count("deliveries", filter=Q(deliveries__state="pending")),
            dead_count=Count("deliveries", filter=Q(deliveries__state="dead")))

    @admin.display(description=_("pending"), ordering="pending_count")
    def pending(self, obj: WebhookSubscription) -> int:
        return obj.pending_count

    @admin.display(description=_("dead letters"), ordering="dead_count")
    def dead(self, obj: WebhookSubscription) -> int:
        return obj.dead_count

    @admin.display(description=_("signing secret"))
    def secret_hint(self, obj: WebhookSubscription) -> str:
        return f"{obj.secret[:6]}…" if obj.secret else "—"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*self.readonly_fields, "client"] if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = ["client", "url", "event_types", "is_active"]
        return [*fields, "secret_hint", "leased_until", "created_at"] if obj is not None else fields

    def save_model(self, request: HttpRequest, obj: WebhookSubscription, form: Any, change: bool) -> None:
        from .webhooks import new_signing_secret

        if not change:
            obj.secret = new_signing_secret()
        super().save_model(request, obj, form, change)
        if not change:
            messages.warning(request, _("The signing secret of this webhook is %(secret)s — give it to the client "
                                        "now: it is not shown again.") % {"secret": obj.secret})


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "subscription", "event", "event_type", "state", "attempts", "first_attempt_at",
                    "last_attempt_at", "next_attempt_at", "last_status", "last_error", "delivered_at"]
    list_filter = ["state", "event__type", "subscription__client"]
    list_select_related = ["subscription__client", "event"]
    search_fields = ["subscription__url", "subscription__client__name"]
    actions = ["replay"]
    readonly_fields = ["subscription", "event", "state", "attempts", "next_attempt_at", "first_attempt_at",
                       "last_attempt_at", "last_status", "last_error", "delivered_at"]

    @admin.display(description=_("type"), ordering="event__type")
    def event_type(self, obj: WebhookDelivery) -> str:
        return obj.event.get_type_display()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Replay the selected deliveries"), permissions=["change"])
    def replay(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        from .errors import ApplicationError
        from .webhooks import webhook_deliveries_replay

        try:
            replayed = webhook_deliveries_replay(list(queryset.values_list("pk", flat=True)), request.user)
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        self.message_user(request, ngettext("%(count)d delivery will be sent again.",
                                            "%(count)d deliveries will be sent again.", len(replayed))
                          % {"count": len(replayed)}, messages.SUCCESS)


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["id", "type", "aggregate_type", "aggregate_id", "occurred_at", "event_id"]
    list_filter = ["type", "aggregate_type"]
    search_fields = ["event_id"]
    readonly_fields = ["event_id", "type", "aggregate_type", "aggregate_id", "payload", "occurred_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
