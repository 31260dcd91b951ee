"""The pick list as a PDF to print: the same rows as the pick-list page, grouped by
location, laid out like the other documents (orders.documents: WeasyPrint, nothing
fetched, CJK fonts, "Page x of y") in the reader's language."""

from __future__ import annotations

import datetime
import re

from django.utils.translation import gettext as _

from inventory.models import Warehouse
from orders.documents import render_document

from .selectors import PickList

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def pick_list_filename(warehouse: Warehouse, printed_at: datetime.datetime) -> str:
    code = _UNSAFE.sub("-", warehouse.code).strip("-.") or "warehouse"
    return f"pick-list-{code}-{printed_at:%Y%m%d-%H%M}.pdf"


def render_pick_list_pdf(picks: PickList, *, printed_at: datetime.datetime, total: int | None = None) -> bytes:
    """PDF bytes of `picks` (logistics.selectors.pick_list), in the active language."""
    warehouse = picks.warehouse
    label = _("Pick list %(warehouse)s") % {"warehouse": warehouse.code}
    return render_document("logistics/pick_list_pdf.html", {
        "document_label": label,
        "picks": picks,
        "warehouse": warehouse,
        "printed_at": printed_at,
        "total": total if total is not None else len(picks.shipments),
    })
