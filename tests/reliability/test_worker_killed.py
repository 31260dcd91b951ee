"""A Celery worker killed with `kill -9` while it runs the checks of a batch of orders loses
none and runs none twice: every order ends with exactly one set of check results.

- The whole worker (main and pool process) killed in the middle of a check: that check is
  not lost — the broker still holds it, unacknowledged (`acks_late`), and gives it to the
  restarted worker; the killed check's open transaction ends with its database connection,
  leaving nothing behind; checks asked for again (a sweep, a retry) of orders already
  checked are no-ops (the task is idempotent).
- Only the pool process running a check killed: the worker gives the check back at once
  (`task_reject_on_worker_lost`) and a new pool process runs it; no restart, no sweep.

Each runs gunicorn, a real worker and a Redis server of its own on 127.0.0.1. The test holds
the lock of the ninth order, so the worker is surely in the middle of that check (its
transaction open, waiting) when it is killed."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

from orders.locks import lock_order
from orders.tasks import order_checks_run
from tests.processes import eventually, wait_until

from .support import (
    CHECKS_QUEUE,
    UNACKED,
    assert_checked_exactly_once,
    checked,
    held_checks,
    queued_checks,
    send_to,
)

BATCH = 24
DEADLINE = 60


def submit_batch(web, intake, count: int = BATCH) -> list[int]:
    """Orders submitted through the API; their checks wait in the broker (no worker yet)."""
    ids = []
    for _ in range(count):
        status, body = web.request("POST", "/api/v1/orders/", token=intake.token, body=intake.order())
        assert status == 201, body
        assert body["state"] == "submitted"
        ids.append(body["id"])
    return ids


@contextmanager
def order_held(order_id: int) -> Iterator[None]:
    """Hold the order's row lock, as another write to it would: its check waits for it in
    the middle of its transaction (the worker holding the check's message) until we let go."""
    with transaction.atomic():
        lock_order(order_id)
        yield


def waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0] > 0


def test_a_worker_killed_mid_batch_loses_no_check_and_runs_none_twice(own_redis, processes, intake):
    broker = own_redis.client()
    web = processes.web(redis_url=own_redis.url())
    ids = submit_batch(web, intake)
    assert sorted(queued_checks(broker)) == sorted(ids)

    # The checks run in submission order; the worker is killed in the middle of the ninth.
    target = ids[8]
    with order_held(target):
        worker = processes.worker(redis_url=own_redis.url(), pool="prefork", concurrency=1)
        wait_until(waiting_for_a_lock, timeout=DEADLINE, what="the worker to reach the ninth check")
        worker.kill()  # kill -9, its pool process included

    done, queued, held = checked(ids), set(queued_checks(broker)), set(held_checks(broker))
    assert done == set(ids[:8])
    assert held == {target}, "the check under way when the worker died is kept for another worker (acks_late)"
    assert queued == set(ids[9:])

    # Checks asked for again for orders already checked, as a late sweep or a retry would.
    for order_id in sorted(done):
        send_to(own_redis.url(), order_checks_run, order_id)

    # The restarted worker gets back what the killed one held (here after 2 seconds instead
    # of Redis' default hour) and works through the queue.
    processes.worker(redis_url=own_redis.url(), visibility_timeout=2)
    wait_until(lambda: checked(ids) == set(ids) and not broker.llen(CHECKS_QUEUE) and not broker.hlen(UNACKED),
               timeout=DEADLINE, what="every order to be checked")
    assert_checked_exactly_once(ids)


def test_a_killed_pool_process_gives_its_check_back_at_once(own_redis, processes, intake):
    broker = own_redis.client()
    web = processes.web(redis_url=own_redis.url())
    ids = submit_batch(web, intake)
    worker = processes.worker(redis_url=own_redis.url(), pool="prefork", concurrency=1)

    target = ids[8]
    with order_held(target):
        [child] = wait_until(worker.children, timeout=DEADLINE, what="the pool process")
        wait_until(waiting_for_a_lock, timeout=DEADLINE, what="the worker to reach the ninth check")
        os.kill(child, signal.SIGKILL)
        assert eventually(lambda: "WorkerLostError(" in worker.log(), timeout=DEADLINE)
        assert checked(ids) == set(ids[:8])

    # The main process lives on, gives the check back and starts a new pool process.
    wait_until(lambda: checked(ids) == set(ids) and not broker.llen(CHECKS_QUEUE) and not broker.hlen(UNACKED),
               timeout=DEADLINE, what="every order to be checked")
    assert worker.alive() and child not in worker.children()
    assert_checked_exactly_once(ids)
