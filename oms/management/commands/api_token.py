"""Create, list and revoke API tokens from the shell.

    manage.py api_token create --client "Demo e-shop" --scopes orders:read,orders:write [--name N]
    manage.py api_token list [--client NAME]
    manage.py api_token revoke <prefix-or-id>

`create` prints the key once: only its hash is stored.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from oms.api_clients import api_client_create, api_token_create, api_token_revoke
from oms.errors import ApplicationError
from oms.models import ApiClient, ApiScope, ApiToken


def _when(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"


def _error(error: ApplicationError) -> CommandError:
    details = [f"{field}: {' '.join(messages)}" for field, messages in error.errors.items()]
    return CommandError("; ".join(details) or error.message)


class Command(BaseCommand):
    help = "Create, list and revoke API tokens (a new token's key is printed once)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        create = actions.add_parser("create", help="Create a token and print its key once.")
        create.add_argument("--client", required=True, help="The API client's name.")
        create.add_argument("--scopes", required=True,
                            help=f"Comma-separated scopes: {', '.join(ApiScope.values)}; or 'all'.")
        create.add_argument("--name", default="", help="What the token is for.")
        create.add_argument("--expires-in-days", type=int, default=None, help="Expire the token after N days.")
        create.add_argument("--create-client", action="store_true",
                            help="Create the client (with its own integration user) if it does not exist.")
        listing = actions.add_parser("list", help="List tokens (never their keys).")
        listing.add_argument("--client", default=None, help="Only this client's tokens.")
        revoke = actions.add_parser("revoke", help="Revoke a token.")
        revoke.add_argument("token", help="The token's id or key prefix.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except ApplicationError as error:
            raise _error(error) from None

    def _create(self, options: dict[str, Any]) -> None:
        client = ApiClient.objects.filter(name=options["client"]).first()
        if client is None:
            if not options["create_client"]:
                raise CommandError(f"No API client named {options['client']!r}; add it in the admin or pass "
                                   f"--create-client.")
            client = api_client_create(name=options["client"])
            self.stdout.write(f"Created API client {client.name!r}, acting as user {client.user.username!r}.")
        scopes = ApiScope.values if options["scopes"].strip() == "all" else options["scopes"].split(",")
        expires_at = None
        if options["expires_in_days"] is not None:
            if options["expires_in_days"] < 1:
                raise CommandError("--expires-in-days must be at least 1.")
            expires_at = timezone.now() + datetime.timedelta(days=options["expires_in_days"])
        token, key = api_token_create(client=client, name=options["name"], scopes=scopes, expires_at=expires_at)
        self.stdout.write(self.style.SUCCESS(
            f"Token {token.pk} ({token.prefix}…) for {client.name}: {', '.join(token.scopes)}."))
        self.stdout.write("Its key, shown only now (give it to the client; it is not stored):")
        self.stdout.write(key)

    def _list(self, options: dict[str, Any]) -> None:
        tokens = ApiToken.objects.select_related("client").order_by("client__name", "-created_at")
        if options["client"]:
            tokens = tokens.filter(client__name=options["client"])
        now = timezone.now()
        self.stdout.write("id\tprefix\tclient\tname\tscopes\tcreated\tlast used\texpires\tstatus")
        for token in tokens:
            if token.revoked_at:
                state = f"revoked {_when(token.revoked_at)}"
            elif token.expires_at and token.expires_at <= now:
                state = "expired"
            else:
                state = "active"
            self.stdout.write("\t".join([
                str(token.pk), token.prefix, token.client.name, token.name or "-", ",".join(token.scopes),
                _when(token.created_at), _when(token.last_used_at), _when(token.expires_at), state]))

    def _revoke(self, options: dict[str, Any]) -> None:
        ref = options["token"].strip()
        tokens = list(ApiToken.objects.filter(pk=int(ref)).select_related("client")) if ref.isdecimal() else []
        if not tokens:
            tokens = list(ApiToken.objects.filter(prefix=ref).select_related("client")[:5])
        if not tokens:
            raise CommandError(f"No API token with the id or prefix {ref!r}.")
        if len(tokens) > 1:
            listed = ", ".join(f"{t.pk} ({t.prefix}…, {t.client.name})" for t in tokens)
            raise CommandError(f"{ref!r} matches several tokens: {listed}. Give the id.")
        token = api_token_revoke(token_id=tokens[0].pk)
        self.stdout.write(self.style.SUCCESS(
            f"Token {token.pk} ({token.prefix}…) of {tokens[0].client.name} revoked at {_when(token.revoked_at)}."))
