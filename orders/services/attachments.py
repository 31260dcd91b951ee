"""Files on an order: generated documents and uploaded scans, checked by content."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from oms.errors import ValidationFailed

from ..models import Attachment, Contract, Quotation, SalesOrder

#: What an upload may be, recognised by its first bytes (never by its name or declared type).
_SIGNATURES = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
]


def sniff_upload(upload: Any, *, field: str = "file") -> tuple[bytes, str]:
    """Read an uploaded file and return (content, content type) for a PDF, PNG or JPEG of
    at most OMS_MAX_UPLOAD_BYTES; anything else is refused with a field error."""
    if upload is None:
        raise ValidationFailed(errors={field: [_("Please choose a file.")]})
    limit = settings.OMS_MAX_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationFailed(errors={field: [
            _("The file is too large (at most %(mb)s MB).") % {"mb": limit // (1024 * 1024)}]})
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise ValidationFailed(errors={field: [
            _("The file is too large (at most %(mb)s MB).") % {"mb": limit // (1024 * 1024)}]})
    if not content:
        raise ValidationFailed(errors={field: [_("The file is empty.")]})
    for magic, content_type in _SIGNATURES:
        if content.startswith(magic):
            return content, content_type
    raise ValidationFailed(errors={field: [_("Only PDF, PNG or JPEG files can be attached.")]})


def attachment_store(*, order: SalesOrder, kind: str, content: bytes, content_type: str, filename: str,
                     by: Any = None, quotation: Quotation | None = None,
                     contract: Contract | None = None, shipment: Any = None) -> Attachment:
    """Save a file on an order. Runs in the caller's transaction; the file is written to
    storage first, so a rollback can leave an unreferenced file but never a dangling row."""
    attachment = Attachment(
        order=order, kind=kind, filename=filename[:200] or kind, content_type=content_type, size=len(content),
        sha256=hashlib.sha256(content).hexdigest(), quotation=quotation, contract=contract, shipment=shipment,
        uploaded_by=by if (by is not None and by.is_authenticated) else None,
    )
    attachment.file.save("upload", ContentFile(content), save=False)
    attachment.save()
    return attachment
