"""Write use-cases of the orders app, by stage. Views, API, admin, tasks and commands call these."""

from .attachments import attachment_store, sniff_upload  # noqa: F401
from .contracts import (  # noqa: F401
    contract_attach_signed_copy,
    contract_create,
    contract_review,
    contract_sign,
    contract_submit_review,
    contract_update,
)
from .core import (  # noqa: F401
    EXPOSURE_STATES,
    LineInput,
    next_document_number,
    order_create,
    order_record_payment,
    order_run_checks,
    order_transition,
    orders_awaiting_checks,
)
from .inquiries import NeedInput, inquiry_create, inquiry_update_needs, order_add_note  # noqa: F401
from .quotations import (  # noqa: F401
    quotation_create,
    quotation_record_decision,
    quotation_revise,
    quotation_send,
    quotation_signoff,
    quotation_submit_review,
    quotation_update,
    quotations_expire,
    quotations_remind_expiring,
    required_signoffs,
)
