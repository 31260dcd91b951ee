"""Fixtures of the fault tests: a Redis server of the test's own (which the test may stop),
the processes the test starts on it (stopped at the end, their logs shown on failure),
data to submit orders through the API, and a webhook receiver. Helpers: support.py."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from inventory.models import Product
from oms.api_clients import api_client_create, api_token_create
from oms.models import ApiScope
from tests.factories import CustomerFactory, ProductFactory, make_user, stock
from tests.processes import RedisServer, Started, Web, start_web, start_worker, tasks_to_the_broker
from tests.test_webhooks import receiver  # noqa: F401 — the webhook receiver stub, a fixture


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Processes:
    """Starts workers and web servers; the fixture stops whatever is left at the end."""

    log_dir: Path
    started: list[Started] = field(default_factory=list)

    def worker(self, **options) -> Started:
        worker = start_worker(self.log_dir, **options)
        self.started.append(worker)
        return worker

    def web(self, **options) -> Web:
        web = start_web(self.log_dir, **options)
        self.started.append(web.started)
        return web


@pytest.fixture
def processes(transactional_db, tmp_path: Path) -> Iterator[Processes]:
    """Processes on the test database (committed data: transactional_db); tasks the test
    itself sends go to a broker, not run in place."""
    running = Processes(tmp_path)
    try:
        with tasks_to_the_broker():
            yield running
    finally:
        for started in reversed(running.started):
            started.stop()
            print(f"--- {started.name} (pid {started.pid}) ---\n{started.log()[-4000:]}")  # shown on failure


@dataclass
class Intake:
    """An order desk clerk's API token and what they order."""

    token: str
    customer_id: int
    product: Product

    def order(self) -> dict:
        """The body of `POST /api/v1/orders/` for a complete order, submitted at once."""
        return {"customer": self.customer_id, "submit": True, "channel": "api",
                "requested_date": (timezone.localdate() + datetime.timedelta(days=14)).isoformat(),
                "lines": [{"sku": self.product.sku, "quantity": "2"}]}


@pytest.fixture
def intake(transactional_db) -> Intake:
    desk = make_user("order_desk")
    client = api_client_create(name=f"Order desk {desk.pk}", user=desk, rate_limit=10_000)
    _token, key = api_token_create(client=client, name="fault tests",
                                   scopes=[ApiScope.ORDERS_READ, ApiScope.ORDERS_WRITE])
    product = ProductFactory(list_price=Decimal("10"))
    stock(product, "100000")
    return Intake(key, CustomerFactory().pk, product)
