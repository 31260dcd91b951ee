"""The busy lists are shaped so PostgreSQL can read them from indexes (migration 0010): a
search by number or customer, the approval queue and the fulfilment list in priority order.

With a few rows in the test database PostgreSQL would rather scan; sequential scans and
sorts are priced out here, so the plan shows whether an index *can* answer the query. A
query that no index fits (an OR across two tables, an ORDER BY that no index has) still
scans or sorts, and the test fails: at 100,000 orders that cost a second a page."""

from __future__ import annotations

import pytest
from django.db import connection

from orders import selectors
from tests.factories import CustomerFactory, make_order, order_in_state

pytestmark = pytest.mark.django_db


def plan(queryset, *, sorts: bool = True, bitmaps_only: bool = False) -> str:
    with connection.cursor() as cursor:  # for this test's transaction only
        cursor.execute("SET LOCAL enable_seqscan = off")
        if not sorts:
            cursor.execute("SET LOCAL enable_sort = off")
        if bitmaps_only:  # a bitmap scan needs a condition the index answers: no reading it whole
            cursor.execute("SET LOCAL enable_indexscan = off")
    return queryset.explain()


def test_a_search_reads_the_number_and_customer_indexes(users):
    acme = CustomerFactory(owner=users["sales"], name="Acme Gears")
    make_order(by=users["sales"], customer=acme)
    found = plan(selectors.order_search(users["manager"], q="acme"), bitmaps_only=True)
    assert "Bitmap Index Scan on order_number_trgm_idx" in found, found  # UPPER(number) LIKE '%ACME%'
    assert "Bitmap Index Scan on orders_salesorder_customer_id" in found, found  # OR customer_id = ANY(…)
    assert "Seq Scan on orders_salesorder" not in found, found


def test_the_approval_queue_reads_its_first_rows_off_the_review_index(users):
    order_in_state("submitted", users)
    found = plan(selectors.approval_queue(users["reviewer"])[:25], sorts=False)
    assert "order_review_priority_idx" in found and "Sort" not in found


def test_orders_in_fulfilment_by_priority_read_off_the_fulfilment_index(users):
    found = plan(selectors.order_search(users["planner"], state="in_fulfilment", sort="priority")[:25], sorts=False)
    assert "order_fulfilment_priority_idx" in found and "Sort" not in found
