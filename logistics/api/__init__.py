"""The shipping API (DESIGN.md §7): shipments with their packages, verified items, carrier
choice, tracking events, documents and proof of delivery; carriers (read only)."""

from __future__ import annotations

from typing import Any


def register_routes(router: Any) -> None:
    """Register the shipping resources on the API router."""
