"""What the shared cache raises when its server cannot be reached.

Rate limits (oms/throttling.py) and log-in lockouts (oms/login.py) are counted in the
default cache. While that is down (Redis stopped, a network cut) they are not enforced and
the outage is logged at each request: orders keep coming in and people can still log in,
where every request would otherwise fail with 500."""

from __future__ import annotations

from redis.exceptions import RedisError

#: Redis' connection and timeout errors; OSError for the file cache used without Redis.
CACHE_ERRORS: tuple[type[Exception], ...] = (RedisError, OSError)
