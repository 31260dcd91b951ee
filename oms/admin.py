"""Admin of the shared integration models. Each area registers its own in its own module."""

from . import (
    admin_clients,  # noqa: F401 (registers the API clients and tokens admin)
    admin_webhooks,  # noqa: F401 (registers the outbox and webhooks admin)
)
