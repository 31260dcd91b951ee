"""Admin for API clients and their tokens.

A client is added with its own integration user unless one is chosen. A token is added
from the tokens page (or the "Add a token" link on its client): its key is shown once,
in the message after saving; tokens are revoked, never edited or deleted, so the record
of who could call the API stays.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .api_clients import api_client_create, api_token_create, api_token_revoke, clean_scopes
from .errors import ApplicationError
from .models import ApiClient, ApiScope, ApiToken
from .services import joinable_transaction

TOKEN_COLUMNS = ["prefix", "name", "scope_list", "created_at", "last_used_at", "expires_at", "revoked_at"]


def _copy_saved(target: Any, saved: Any) -> None:
    """Make the admin's unsaved `target` the row a service saved (the admin logs and
    redirects with it)."""
    for field in type(saved)._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding, target._state.db = False, saved._state.db


def _scope_list(token: ApiToken) -> str:
    return ", ".join(token.scopes) or "—"


class ApiTokenInline(admin.TabularInline):
    model = ApiToken
    fields = TOKEN_COLUMNS
    readonly_fields = TOKEN_COLUMNS
    extra = 0
    can_delete = False
    show_change_link = True

    @admin.display(description=_("scopes"))
    def scope_list(self, obj: ApiToken) -> str:
        return _scope_list(obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ApiClientForm(forms.ModelForm):
    class Meta:
        model = ApiClient
        fields = ["name", "user", "is_active", "rate_limit", "notes"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.fields["user"].required = False
            self.fields["user"].help_text = _("Leave empty to create the client's own user in the "
                                              "“integration” group.")


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = ["name", "user", "is_active", "rate_limit", "active_tokens", "created_at"]
    list_filter = ["is_active"]
    list_select_related = ["user"]
    search_fields = ["name", "user__username"]
    autocomplete_fields = ["user"]
    readonly_fields = ["add_token", "created_at"]
    inlines = [ApiTokenInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiClient]:
        return super().get_queryset(request).annotate(active_token_count=Count(
            "tokens", filter=Q(tokens__revoked_at__isnull=True)
            & (Q(tokens__expires_at__isnull=True) | Q(tokens__expires_at__gt=timezone.now()))))

    @admin.display(description=_("active tokens"), ordering="active_token_count")
    def active_tokens(self, obj: ApiClient) -> int:
        return obj.active_token_count

    @admin.display(description=_("new token"))
    def add_token(self, obj: ApiClient) -> str:
        if obj.pk is None:
            return "—"
        url = f"{reverse('admin:oms_apitoken_add')}?{urlencode({'client': obj.pk})}"
        return format_html('<a href="{}">{}</a>', url, _("Add a token"))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = ["name", "user", "is_active", "rate_limit", "notes"]
        return [*fields, "add_token", "created_at"] if obj is not None else fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # the user a client acts as is chosen once
        return [*self.readonly_fields, "user"] if obj is not None else []

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> list:
        return self.inlines if obj is not None else []

    def save_model(self, request: HttpRequest, obj: ApiClient, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        with joinable_transaction():  # the admin saves in its own transaction: the service joins it
            client = api_client_create(name=obj.name, user=form.cleaned_data.get("user"), rate_limit=obj.rate_limit,
                                       notes=obj.notes, is_active=obj.is_active, by=request.user)
        _copy_saved(obj, client)


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(label=_("scopes"), choices=ApiScope.choices,
                                       widget=forms.CheckboxSelectMultiple,
                                       help_text=_("A write scope includes its read scope."))

    class Meta:
        model = ApiToken
        fields = ["client", "name", "scopes", "expires_at"]

    def clean_scopes(self) -> list[str]:
        try:
            return clean_scopes(self.cleaned_data.get("scopes") or [])
        except ApplicationError as error:
            raise forms.ValidationError(error.errors.get("scopes") or error.message) from None

    def clean_expires_at(self) -> Any:
        expires_at = self.cleaned_data.get("expires_at")
        if expires_at is not None and expires_at <= timezone.now():
            raise forms.ValidationError(_("The expiry must be in the future."))
        return expires_at


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenForm
    list_display = ["prefix", "client", "name", "scope_list", "created_at", "last_used_at", "expires_at",
                    "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "client"]
    list_select_related = ["client"]
    search_fields = ["prefix", "name", "client__name"]
    autocomplete_fields = ["client"]
    actions = ["revoke"]

    @admin.display(description=_("scopes"))
    def scope_list(self, obj: ApiToken) -> str:
        return _scope_list(obj)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return ["client", "name", "scopes", "expires_at"]
        return ["client", "name", "prefix", "scope_list", "created_at", "created_by", "expires_at", "last_used_at",
                "revoked_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return self.get_fields(request, obj) if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: the token's record stays

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> Any:
        no_save = {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **no_save})

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            return  # nothing of a token changes after it is made, but its revocation
        with joinable_transaction():  # the admin saves in its own transaction: the service joins it
            token, key = api_token_create(client=form.cleaned_data["client"], name=form.cleaned_data.get("name") or "",
                                          scopes=form.cleaned_data["scopes"],
                                          expires_at=form.cleaned_data.get("expires_at"), by=request.user)
        _copy_saved(obj, token)
        messages.warning(request, format_html(
            str(_("The key of this token is {key} — give it to the client now: only its hash is stored and it is not "
              "shown again.")), key=format_html("<code>{}</code>", key)))

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        ids = list(queryset.filter(revoked_at__isnull=True).values_list("pk", flat=True))
        for token_id in ids:
            api_token_revoke(token_id=token_id, by=request.user)
        self.message_user(request, ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", len(ids))
                          % {"count": len(ids)}, messages.SUCCESS)
