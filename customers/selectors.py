from typing import Any

from django.db.models import QuerySet

from .models import Customer


def customers_visible_to(user: Any) -> QuerySet[Customer]:
    """Sales staff see the customers they own; roles with `view_all_customers` see all."""
    qs = Customer.objects.all()
    if not user.is_authenticated or not user.has_perm("customers.view_customer"):
        return qs.none()
    if user.has_perm("customers.view_all_customers"):
        return qs
    return qs.filter(owner=user)


def customer_is_visible_to(user: Any, customer: Customer) -> bool:
    """`customers_visible_to(user)` holds `customer`, decided from what is loaded: no query."""
    if not user.is_authenticated or not user.has_perm("customers.view_customer"):
        return False
    return user.has_perm("customers.view_all_customers") or customer.owner_id == user.pk


def customer_detail_queryset(user: Any) -> QuerySet[Customer]:
    return customers_visible_to(user).select_related("owner").prefetch_related("contacts", "addresses")
