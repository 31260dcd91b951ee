"""Pre-order API (DESIGN.md §2 stages 1–2): inquiries with their needs and notes,
quotations with revisions and internal sign-offs, contracts with a legal review, and
downloads of the files attached to an order.

Every write parses its input, calls one service and answers with the fresh
representation; the services check roles (403), visibility (404) and state (409).
Callers without `orders.view_prices` never receive a price field.
"""

from .attachments import AttachmentViewSet
from .contracts import ContractViewSet
from .inquiries import InquiryViewSet, OrderPreorderViewSet
from .quotations import QuotationViewSet

__all__ = ["AttachmentViewSet", "ContractViewSet", "InquiryViewSet", "OrderPreorderViewSet", "QuotationViewSet"]
