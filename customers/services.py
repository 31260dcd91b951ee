from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from oms.errors import PermissionDenied
from oms.services import require_perm, save_validated, service_transaction

from .models import Customer


def customer_create(*, by: Any, **fields: Any) -> Customer:
    """Create a customer. Sales staff become the owner of the customers they create."""
    require_perm(by, "customers.add_customer", _("You are not allowed to create customers."))
    if "owner" not in fields and not by.has_perm("customers.view_all_customers"):
        fields["owner"] = by
    if not by.has_perm("customers.view_credit"):
        fields.pop("credit_limit", None)
        fields.pop("prepayment_required", None)
    with service_transaction():
        return save_validated(Customer(), **fields)


def customer_update(*, customer: Customer, by: Any, **fields: Any) -> Customer:
    require_perm(by, "customers.change_customer", _("You are not allowed to change customers."))
    credit_fields = {"credit_limit", "prepayment_required"} & fields.keys()
    if credit_fields and not by.has_perm("customers.view_credit"):
        raise PermissionDenied(_("You are not allowed to change the credit limit or the prepayment flag."))
    with service_transaction():
        return save_validated(customer, **fields)
