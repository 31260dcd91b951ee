"""E-mails about shipments: tracking details to the customer, delivery exceptions to the
order's owner."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from oms.money import plain

from .models import Shipment


def _shipment(shipment_id: int) -> Shipment:
    return (Shipment.objects.select_related("order__customer__owner", "order__contact", "order__entered_by",
                                            "carrier_service__carrier")
            .prefetch_related("lines__order_line__product").get(pk=shipment_id))


def tracking_email(shipment_id: int) -> bool:
    """The customer's contact learns the carrier, tracking number and expected delivery,
    once, in the customer's language."""
    claimed = Shipment.objects.filter(pk=shipment_id, tracking_emailed_at__isnull=True).exclude(
        tracking_number="").update(tracking_emailed_at=timezone.now())
    if not claimed:
        return False
    shipment = _shipment(shipment_id)
    order = shipment.order
    contact = order.contact or order.customer.contacts.exclude(email="").first()
    if contact is None or not contact.email:
        return False
    carrier = shipment.carrier_service.carrier
    with translation.override(order.customer.language):
        subject = _("Your order %(order)s has shipped: %(carrier)s %(tracking)s") % {
            "order": order.number, "carrier": carrier.name, "tracking": shipment.tracking_number}
        rows = "\n".join(f"- {line.order_line.product.sku} {line.order_line.product.name}: {plain(line.quantity)}"
                         for line in shipment.lines.all())
        url = carrier.tracking_url(shipment.tracking_number)
        body = _(
            "Dear %(contact)s,\n\nshipment %(shipment)s of your order %(reference)s (our order %(order)s) left our "
            "warehouse on %(date)s with %(carrier)s (%(service)s).\n\nTracking number: %(tracking)s\n%(url)s"
            "Expected delivery: %(expected)s\n\n%(lines)s\n\nKind regards,\n%(company)s"
        ) % {"contact": contact.name, "shipment": shipment.number, "reference": order.customer_reference or "—",
             "order": order.number, "date": shipment.ship_date.isoformat(), "carrier": carrier.name,
             "service": shipment.carrier_service.name, "tracking": shipment.tracking_number,
             "url": _("Follow it at %(url)s\n") % {"url": url} if url else "",
             "expected": shipment.expected_delivery.isoformat() if shipment.expected_delivery else "—",
             "lines": rows, "company": settings.OMS_COMPANY_NAME}
    try:
        EmailMessage(subject, body, to=[contact.email]).send()
    except Exception:
        Shipment.objects.filter(pk=shipment_id).update(tracking_emailed_at=None)
        raise
    return True


def exception_email(shipment_id: int) -> bool:
    """The order's owner (the customer's sales owner, else who entered it) learns about a
    delivery exception."""
    shipment = _shipment(shipment_id)
    order = shipment.order
    owner = order.customer.owner or order.entered_by
    if owner is None or not owner.email or not shipment.exception_kind:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Delivery exception on shipment %(shipment)s (order %(order)s)") % {
            "shipment": shipment.number, "order": order.number}
        body = _("Shipment %(shipment)s of order %(order)s for %(customer)s: %(kind)s.\n\n%(note)s\n\n"
                 "Carrier: %(carrier)s, tracking number %(tracking)s.") % {
            "shipment": shipment.number, "order": order.number, "customer": order.customer.name,
            "kind": shipment.get_exception_kind_display(), "note": shipment.exception_note or "—",
            "carrier": shipment.carrier_service.carrier.name if shipment.carrier_service else "—",
            "tracking": shipment.tracking_number or "—"}
    EmailMessage(subject, body, to=[owner.email]).send()
    return True
