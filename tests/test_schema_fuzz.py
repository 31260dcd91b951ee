"""Schemathesis against the live schema (/api/v1/schema/), in process, as an authenticated user.

Every operation is called with data generated from the schema — its examples, boundary and
invalid values (the coverage phase) and a few random ones (fuzzing) — and every answer must
pass the checks below: no 500, only documented status codes, bodies that match their schema,
invalid input refused, and no operation that answers without authentication. The run is
derandomized, so CI sees the same requests every time; writes run inside the test's
transaction and are rolled back.
"""

from __future__ import annotations

import datetime

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.utils import timezone

from oms.services import joinable_transaction
from oms.wsgi import application

from .api import client_for
from .factories import CustomerFactory, ProductFactory, make_user, order_in_state, stock

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "ignored_auth",
]

CONFIG = {
    "seed": 7,
    "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large", "large_base_example"],
    "generation": {"mode": "all", "max-examples": 5, "deterministic": True, "allow-x00": True,
                   "database": "none"},
    # the coverage phase sends each operation its boundary and invalid values (most of the
    # requests); of the methods a path does not have it tries OPTIONS only (the rest are 405s)
    "phases": {"coverage": {"unexpected-methods": ["options"]}, "stateful": {"enabled": False}},
    "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
    "cache": {"enabled": False},
}


@pytest.fixture
def fuzz_auth(users) -> dict[str, str]:
    """The Authorization header of a user who holds every role, and a few rows (customers,
    products with stock, orders in several states, a shipment) for the requests to find."""
    everyone = make_user("manager", username="fuzz")
    everyone.groups.add(*[u.groups.get() for u in users.values()])
    products = [ProductFactory() for _ in range(3)]
    for product in products:
        stock(product, "500")
    requested = timezone.localdate() + datetime.timedelta(days=14)
    for customer, states in ((CustomerFactory(owner=users["sales"]), ("inquiry", "submitted", "approved")),
                             (CustomerFactory(owner=users["sales"]), ("in_fulfilment", "ready_to_ship"))):
        for state in states:
            order_in_state(state, users, customer=customer, lines=[(products[0], "2"), (products[1], "1")],
                           requested_date=requested)
    return {"Authorization": client_for(everyone)._credentials["HTTP_AUTHORIZATION"]}


@pytest.fixture
def api_schema(db, fuzz_auth, request):
    """The schema as the app serves it, loaded through the app in process."""
    # schemathesis 4.32's fixture loader renames the test node through `_nodeid`, which pytest 9.2
    # keeps as `_id`; without the attribute the loader fails before running anything
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
    # Django's handler closes the database connection when a request finishes, which would end
    # the test's transaction; Django's test client disconnects the same signal handlers
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/schema/", application,
                                             config=schemathesis.Config.from_dict(CONFIG))
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_api_conforms_to_its_schema(case, fuzz_auth):
    # The token goes as an explicit header, so `ignored_auth` also sends each operation's request
    # without it and with a wrong one, and expects 401 or 403 for both. Each request runs in a
    # savepoint (which the services join): a database error in one (a 500, reported) leaves the
    # test's transaction usable for the next.
    with joinable_transaction():
        case.call_and_validate(headers=fuzz_auth)
