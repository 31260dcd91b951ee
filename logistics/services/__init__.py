"""Write use-cases of shipping (DESIGN.md §2.6). Views, API, tasks and commands call these."""

from .documents import shipment_documents_render  # noqa: F401
from .orders import follow_shipments, order_target_state  # noqa: F401
from .packing import (  # noqa: F401
    package_measure,
    package_remove,
    shipment_pack,
    shipment_reopen,
    shipment_unverify,
    shipment_verify,
)
from .shipments import (  # noqa: F401
    cancel_shipments_for_order,
    shipment_cancel,
    shipment_create,
    shipment_start_picking,
    unplanned_quantities,
)
from .shipping import (  # noqa: F401
    shipment_carrier_options,
    shipment_choose_carrier,
    shipment_measures,
    shipment_ship,
)
from .tracking import (  # noqa: F401
    MANUAL_STATUSES,
    shipment_deliver,
    shipment_report_exception,
    shipment_resume,
    tracking_event_add,
    tracking_poll,
    tracking_poll_due,
    tracking_record,
)
