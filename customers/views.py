"""Customer pages: the list (search, paginated) and one customer with its recent orders."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from orders import selectors as order_selectors

from .models import Customer
from .selectors import customer_detail_queryset, customers_visible_to

PAGE_SIZE = 25
RECENT_ORDERS = 10


@login_required
@permission_required("customers.view_customer", raise_exception=True)
def customer_list_page(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    customers = customers_visible_to(request.user).select_related("owner")
    if q:
        customers = customers.filter(Q(name__icontains=q) | Q(code__icontains=q))
    page = Paginator(customers.order_by("name", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "customers/customer_list.html", {
        "page": page, "q": q, "show_credit": request.user.has_perm("customers.view_credit"),
    })


@login_required
@permission_required("customers.view_customer", raise_exception=True)
def customer_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        customer = customer_detail_queryset(request.user).get(pk=pk)
    except Customer.DoesNotExist:
        raise Http404(_("Customer not found.")) from None
    orders = order_selectors.order_list(request.user).filter(customer=customer).order_by("-created_at", "-id")
    return render(request, "customers/customer_detail.html", {
        "customer": customer,
        "contacts": customer.contacts.all(),
        "addresses": customer.addresses.all(),
        "orders": orders[:RECENT_ORDERS],
        "show_credit": request.user.has_perm("customers.view_credit"),
        "show_prices": order_selectors.can_see_prices(request.user),
        "can_create_inquiry": request.user.has_perm("orders.add_salesorder") and customer.is_active,
    })
