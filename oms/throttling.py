"""Rate limits per API client (DESIGN.md §7, §9).

Each client may make `ApiClient.rate_limit` requests a minute, over all its tokens; one
more is refused with 429 and `Retry-After`. The history lives in the default cache
(Redis when REDIS_URL is set), so every web node counts the same requests; while the cache
is unreachable, requests are let through (oms/cache_outage.py). Browser sessions are not
limited here.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from .cache_outage import CACHE_ERRORS
from .models import ApiClient, ApiToken

logger = logging.getLogger(__name__)


class ClientRateThrottle(SimpleRateThrottle):
    scope = "api_client"

    def get_rate(self) -> str | None:
        return None  # set per request, from the client

    @classmethod
    def cache_key_for(cls, client: ApiClient | int) -> str:
        client_id = client if isinstance(client, int) else client.pk
        return cls.cache_format % {"scope": cls.scope, "ident": client_id}

    def allow_request(self, request: Request, view: Any) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        self.rate = f"{token.client.rate_limit}/min"
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as exc:
            logger.error("API rate limit not enforced, the cache is unreachable: %r", exc)
            return True

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_key_for(request.auth.client_id)

    def wait(self) -> int:
        """Seconds until enough of the last minute's requests have aged out to allow one
        more. (DRF's estimate spreads the wait out and gives none at all when the limit was
        lowered below the requests already counted; `Retry-After` must always be there.)"""
        blocking = self.history[min(self.num_requests, len(self.history)) - 1]
        return max(1, math.ceil(self.duration - (self.now - blocking)))
