"""The shipment's PDF documents, attached to the order and the shipment."""

from __future__ import annotations

from typing import Any

from oms.services import service_transaction
from orders.models import Attachment
from orders.services.attachments import attachment_store

from ..locks import lock_shipment
from ..models import ShipmentState


def shipment_documents_render(*, shipment_id: int, by: Any = None) -> list[Attachment]:
    """Render the shipment's documents (logistics/documents.py) and attach them, replacing
    the versions rendered before (a packed shipment's are re-rendered when it ships, with
    the carrier and tracking number). Renders outside the transaction: laying out PDFs
    takes a while and holds no lock. Nothing for a cancelled or unpacked shipment."""
    from ..documents import shipment_documents
    from ..models import Shipment

    shipment = Shipment.objects.filter(pk=shipment_id).first()
    if shipment is None or shipment.state in (ShipmentState.PLANNED, ShipmentState.PICKING, ShipmentState.CANCELLED):
        return []
    rendered = shipment_documents(shipment)
    with service_transaction():
        order, shipment = lock_shipment(shipment_id)
        if shipment.state in (ShipmentState.PLANNED, ShipmentState.PICKING, ShipmentState.CANCELLED):
            return []  # reopened or cancelled meanwhile
        Attachment.objects.filter(shipment=shipment, kind__in={doc.kind for doc in rendered}).delete()
        return [attachment_store(order=order, kind=doc.kind, content=doc.content, content_type="application/pdf",
                                 filename=doc.filename, by=by, shipment=shipment) for doc in rendered]
