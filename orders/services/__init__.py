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
    LineInput,
    next_document_number,
    order_record_payment,
    order_transition,
)
from .fulfilment import PRIORITISED_STATES, order_reprioritise, orders_priority_refresh  # noqa: F401
from .inquiries import NeedInput, inquiry_create, inquiry_update_needs, order_add_note  # noqa: F401
from .intake import (  # noqa: F401
    ImportReport,
    RowError,
    order_confirm_in_writing,
    order_create,
    order_update,
    orders_import_csv,
    verbal_orders_remind,
)
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
from .review import (  # noqa: F401
    EXPOSURE_STATES,
    order_override_check,
    order_request_checks,
    order_run_checks,
    orders_awaiting_checks,
)
