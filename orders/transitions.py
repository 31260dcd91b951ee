"""What the pages and the API need to know about each order transition besides the FSM."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class TransitionSpec:
    name: str
    label: Promise
    done: Promise
    reason_required: bool = False
    style: str = "primary"  # primary | danger | neutral, for buttons
    #: The document whose step runs this transition ("quotation", "contract", "shipment"); such a
    #: transition is never run directly (not offered, refused by `order_transition`).
    document: str = ""


TRANSITIONS: dict[str, TransitionSpec] = {
    spec.name: spec
    for spec in [
        TransitionSpec("quote", _("Send quotation"), _("Order quoted"), document="quotation"),
        TransitionSpec("contract", _("Record signed contract"), _("Contract signed"), document="contract"),
        TransitionSpec("submit", _("Submit for review"), _("Submitted for review")),
        TransitionSpec("hold", _("Put on hold"), _("Placed on hold"), reason_required=True, style="neutral"),
        TransitionSpec("approve", _("Approve"), _("Approved")),
        TransitionSpec("reject", _("Reject"), _("Rejected"), reason_required=True, style="danger"),
        TransitionSpec("start_fulfilment", _("Release to fulfilment"), _("Released to fulfilment")),
        TransitionSpec("mark_ready", _("Mark ready to ship"), _("Ready to ship"), document="shipment"),
        TransitionSpec("unready", _("Back to fulfilment"), _("No shipment packed any more"), document="shipment"),
        TransitionSpec("ship_partial", _("Ship part (backorder the rest)"), _("Partially shipped"),
                       style="neutral", document="shipment"),
        TransitionSpec("ship", _("Ship"), _("Shipped"), document="shipment"),
        TransitionSpec("deliver", _("Confirm delivery"), _("Delivery confirmed"), document="shipment"),
        TransitionSpec("invoice", _("Invoice"), _("Invoiced")),
        TransitionSpec("close", _("Close"), _("Closed")),
        TransitionSpec("cancel", _("Cancel order"), _("Cancelled"), reason_required=True, style="danger"),
    ]
}


#: Timeline entries that are not transitions.
EVENT_LABELS: dict[str, Promise] = {
    "created": _("Order created"),
    "checks_passed": _("Automatic checks passed"),
    "payment": _("Payment recorded"),
    "needs_captured": _("Needs captured"),
    "note": _("Note added"),
    "quotation_created": _("Quotation drafted"),
    "quotation_revised": _("Quotation revised"),
    "quotation_review": _("Quotation submitted for internal review"),
    "quotation_signoff": _("Quotation signed off"),
    "quotation_changes_requested": _("Quotation sent back for changes"),
    "quotation_approved": _("Quotation approved internally"),
    "quotation_sent": _("Quotation sent to the customer"),
    "quotation_accepted": _("Customer accepted the quotation"),
    "quotation_declined": _("Customer declined the quotation"),
    "quotation_expired": _("Quotation expired"),
    "contract_created": _("Contract drafted"),
    "contract_review": _("Contract submitted for legal review"),
    "contract_returned": _("Contract returned with comments"),
    "contract_approved": _("Contract approved for signing"),
    "contract_cancelled": _("Contract cancelled"),
    "attachment": _("File attached"),
    "checks_requested": _("Checks asked to run again"),
    "checks_failed": _("Automatic checks failed"),
    "check_overridden": _("Failed check overridden"),
    "order_updated": _("Order revised"),
    "confirmed_in_writing": _("Written confirmation received"),
    "reprioritised": _("Priority changed"),
    "stock_allocated": _("Stock reserved for waiting lines"),
    "promise_date_changed": _("Promise dates changed"),
    "shipment_planned": _("Shipment planned"),
    "shipment_packed": _("Shipment packed"),
    "shipment_reopened": _("Shipment reopened for packing"),
    "shipment_shipped": _("Shipment shipped"),
    "shipment_delivered": _("Shipment delivered"),
    "shipment_exception": _("Delivery exception"),
    "shipment_resumed": _("Shipment back on its way"),
    "shipment_cancelled": _("Shipment cancelled"),
}


def event_label(kind: str) -> str:
    if kind in TRANSITIONS:
        return str(TRANSITIONS[kind].done)
    return str(EVENT_LABELS.get(kind, kind))
