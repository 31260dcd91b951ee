"""The start of a web process: load what requests need, then keep it out of the garbage
collector's way.

Django loads the URL configuration (every view module, DRF and the serializers), each
language's translation catalogue and each template on first use, so the first requests
of a process pay for them. `warm_up` loads them at start-up (oms/wsgi.py) and then calls
`gc.freeze()`: the objects alive at that point — hundreds of thousands, and they live as
long as the process — move to a generation the collector never walks. Without that, a full
collection walks them all; on the development machine that pause took 90–150 ms and hit
about one request in 10–17 on the busiest pages (bench/scale.py, 100,000 orders)."""

from __future__ import annotations

import gc
import logging
from pathlib import Path

from django.conf import settings
from django.template import TemplateSyntaxError
from django.template.loader import get_template
from django.urls import get_resolver
from django.utils.translation import trans_real

logger = logging.getLogger(__name__)


def _our_templates() -> list[str]:
    names = []
    for folder in settings.TEMPLATES[0]["DIRS"]:
        root = Path(folder)
        names += [str(path.relative_to(root)) for path in sorted(root.rglob("*.html"))]
    return names


def warm_up() -> None:
    """Load the URL configuration, the translations and our templates, then freeze what
    is alive for the garbage collector. Idempotent; safe to call again."""
    get_resolver().url_patterns  # noqa: B018 — imports every view module
    for code, _name in settings.LANGUAGES:
        trans_real.translation(code)
    for name in _our_templates():
        try:
            get_template(name)
        except TemplateSyntaxError:  # pragma: no cover — the template tests would fail first
            logger.exception("template %s does not compile", name)
    gc.collect()
    gc.freeze()
