"""Shared helpers of the pre-order pages: refusals, the visible order, PDF and file responses, downloads."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from oms.errors import ApplicationError

from .. import selectors
from ..models import (
    Attachment,
    SalesOrder,
)

PAGE_SIZE = 25


def raise_404(exc: ApplicationError) -> None:
    if exc.status == 404:
        raise Http404(exc.message) from None


def refused(request: HttpRequest, exc: ApplicationError, target: str, pk: int) -> HttpResponse:
    """A refusal without fields to mark (permission, state): say why, go back."""
    raise_404(exc)
    messages.error(request, exc.message if not exc.errors else " ".join(
        " ".join(msgs) for msgs in exc.errors.values()))
    return redirect(target, pk=pk)


def visible_order(request: HttpRequest, pk: int) -> SalesOrder:
    try:
        return selectors.order_list(request.user).select_related("contact").get(pk=pk)
    except SalesOrder.DoesNotExist:
        raise Http404(_("Order not found.")) from None



def pdf_response(content: bytes, filename: str, *, inline: bool) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    return response


def check_may_see_documents(request: HttpRequest) -> None:
    from django.core.exceptions import PermissionDenied

    if not selectors.can_see_prices(request.user):
        raise PermissionDenied


# --- files ---------------------------------------------------------------------------------------

def file_response(attachment: Attachment) -> FileResponse:
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def attachment_download_page(request: HttpRequest, pk: int) -> FileResponse:
    try:
        attachment = Attachment.objects.select_related("order").get(pk=pk)
    except Attachment.DoesNotExist:
        raise Http404(_("File not found.")) from None
    if not selectors.attachment_visible_to(request.user, attachment):
        raise Http404(_("File not found."))
    return file_response(attachment)


def plain_decimal(value: Decimal) -> Decimal:
    """12.000 → 12 and 2.500 → 2.5 for inputs (never 1E+2)."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def with_added_row(data: Any, prefix: str) -> Any:
    """The no-JavaScript "add row" button: the same input, one more (empty) row."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    with contextlib.suppress(ValueError):
        data[key] = str(min(int(data.get(key, "0")) + 1, 200))
    return data
