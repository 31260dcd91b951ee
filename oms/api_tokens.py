"""What an API token key and its scopes mean, without touching the database: the stored
form of a key and which scopes cover which.

Kept free of DRF and of `oms.errors`: DRF's settings import the authentication and
permission classes that use these while `oms.errors` may still be loading.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def hash_key(key: str) -> str:
    """The stored form of a token key: its SHA-256, hex."""
    return hashlib.sha256(key.encode()).hexdigest()


def scopes_cover(granted: Iterable[str], required: str) -> bool:
    """Whether the scopes `granted` allow `required`; `<area>:write` includes `<area>:read`."""
    granted = set(granted)
    if required in granted:
        return True
    area, _sep, access = required.partition(":")
    return access == "read" and f"{area}:write" in granted
