"""Template rules that no single page test would notice."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

# `{{ x.pk }}` is localised like any number (USE_THOUSAND_SEPARATOR), so id 1002 prints
# "1,002": a form value or data attribute built that way breaks once ids pass 999.
_RAW_ID = re.compile(r"\{\{\s*[\w.]+\.(?:pk|id)\s*\}\}")


def test_ids_in_templates_are_never_localised():
    offenders = []
    for template in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), 1):
            if _RAW_ID.search(line):
                offenders.append(f"{template.relative_to(settings.BASE_DIR)}:{number}")
    assert offenders == [], "print ids with |unlocalize (or in {% url %}): " + ", ".join(offenders)


def test_pages_answer_unicode_digits_in_ids_without_an_error(users, django_db_setup, db):
    """"¹".isdigit() is true but int("¹") fails: ids typed in a query are checked with isdecimal()."""
    from django.test import Client

    from tests.factories import WarehouseFactory

    client = Client()
    client.force_login(users["warehouse"])
    warehouse = WarehouseFactory()
    for url in (f"/shipping/pick/{warehouse.pk}/?shipment=%C2%B9", "/inventory/transfers/new/?product=%C2%B9"):
        assert client.get(url).status_code == 200, url
