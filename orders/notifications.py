"""E-mails about orders, each in its reader's language. Called from Celery tasks, after
the commit of the change they report; each is safe to run twice."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from oms.money import plain

from .models import Attachment, Quotation


def quotation_email(quotation_id: int, attachment_id: int) -> bool:
    """Send a sent quotation's PDF to the address it was sent to, once.

    The quotation is claimed by a conditional update of `emailed_at`; if the mail server
    fails, the claim is released so a retry sends it. Returns whether a mail went out."""
    claimed = Quotation.objects.filter(pk=quotation_id, emailed_at__isnull=True).update(emailed_at=timezone.now())
    if not claimed:
        return False
    quotation = Quotation.objects.select_related("order__customer", "sent_by").get(pk=quotation_id)
    attachment = Attachment.objects.get(pk=attachment_id)
    customer = quotation.order.customer
    with translation.override(customer.language):
        subject = _("Quotation %(number)s rev %(revision)s from %(company)s") % {
            "number": quotation.number, "revision": quotation.revision, "company": settings.OMS_COMPANY_NAME}
        body = _(
            "Dear %(customer)s,\n\nplease find attached our quotation %(number)s (revision %(revision)s), "
            "valid until %(valid_until)s.\n\nKind regards,\n%(sender)s\n%(company)s"
        ) % {
            "customer": customer.name, "number": quotation.number, "revision": quotation.revision,
            "valid_until": quotation.valid_until.isoformat(),
            "sender": quotation.sent_by.get_full_name() or quotation.sent_by.get_username() if quotation.sent_by
            else "", "company": settings.OMS_COMPANY_NAME,
        }
    message = EmailMessage(subject, body, to=[quotation.sent_to])
    with attachment.file.open("rb") as handle:
        message.attach(attachment.filename, handle.read(), attachment.content_type)
    try:
        message.send()
    except Exception:
        Quotation.objects.filter(pk=quotation_id).update(emailed_at=None)
        raise
    return True


def quotation_expiry_reminder(quotation_id: int) -> bool:
    """Remind the quotation's owner (the customer's sales owner, else who drafted it)."""
    quotation = Quotation.objects.select_related("order__customer__owner", "created_by").get(pk=quotation_id)
    owner = quotation.order.customer.owner or quotation.created_by
    if owner is None or not owner.email:
        return False
    days = (quotation.valid_until - timezone.localdate()).days
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Quotation %(number)s rev %(revision)s expires in %(days)s days") % {
            "number": quotation.number, "revision": quotation.revision, "days": days}
        body = _("The quotation %(number)s rev %(revision)s for %(customer)s is valid until %(valid_until)s "
                 "and the customer has not answered yet.") % {
            "number": quotation.number, "revision": quotation.revision, "customer": quotation.order.customer.name,
            "valid_until": quotation.valid_until.isoformat()}
    EmailMessage(subject, body, to=[owner.email]).send()
    return True


def order_confirmation(order_id: int) -> bool:
    """Confirm an approved order to the customer's contact, once, in the customer's language."""
    from .models import SalesOrder

    # any state after approval: the planner may release the order before the mail goes
    claimed = (SalesOrder.objects.filter(pk=order_id, approval_emailed_at__isnull=True)
               .exclude(state__in=["inquiry", "quoted", "contracted", "submitted", "on_hold", "rejected", "cancelled"])
               .update(approval_emailed_at=timezone.now()))
    if not claimed:
        return False
    order = SalesOrder.objects.select_related("customer", "contact").get(pk=order_id)
    if order.contact is None or not order.contact.email:
        return False
    lines = list(order.lines.select_related("product").order_by("line_no"))
    with translation.override(order.customer.language):
        subject = _("Order confirmation %(number)s") % {"number": order.number}
        rows = "\n".join(
            _("%(line)s. %(sku)s %(name)s: %(quantity)s, promised for %(date)s") % {
                "line": line.line_no, "sku": line.product.sku, "name": line.product.name,
                "quantity": plain(line.quantity),
                "date": line.promise_date.isoformat() if line.promise_date else _("to be confirmed")}
            for line in lines)
        body = _(
            "Dear %(contact)s,\n\nwe confirm your order %(reference)s as our order %(number)s, total "
            "%(currency)s %(total)s:\n\n%(lines)s\n\nKind regards,\n%(company)s"
        ) % {"contact": order.contact.name, "reference": order.customer_reference or "—", "number": order.number,
             "currency": order.currency, "total": f"{order.total_amount:,.2f}", "lines": rows,
             "company": settings.OMS_COMPANY_NAME}
    try:
        EmailMessage(subject, body, to=[order.contact.email]).send()
    except Exception:
        SalesOrder.objects.filter(pk=order_id).update(approval_emailed_at=None)
        raise
    return True


def promise_dates_changed(order_id: int, reason: str) -> bool:
    """Tell the order's owner (the customer's sales owner, else who entered it) the
    order's current promise dates after some moved, and why."""
    from .models import SalesOrder

    order = SalesOrder.objects.select_related("customer__owner", "entered_by").get(pk=order_id)
    owner = order.customer.owner or order.entered_by
    if owner is None or not owner.email:
        return False
    lines = list(order.lines.select_related("product").order_by("line_no"))
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("New promise dates for order %(number)s") % {"number": order.number}
        rows = "\n".join(
            _("%(line)s. %(sku)s: %(quantity)s, promised for %(date)s") % {
                "line": line.line_no, "sku": line.product.sku, "quantity": plain(line.quantity),
                "date": line.promise_date.isoformat() if line.promise_date else _("to be confirmed")}
            for line in lines)
        body = _("The promise dates of order %(number)s for %(customer)s changed.\n\nWhy: %(reason)s\n\n"
                 "%(lines)s") % {"number": order.number, "customer": order.customer.name,
                                 "reason": reason or "—", "lines": rows}
    EmailMessage(subject, body, to=[owner.email]).send()
    return True
