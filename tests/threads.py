"""Running jobs at the same moment on real threads, for the tests of the places that lock."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def run_at_once(jobs: list[Callable[[], object]], *, timeout: float = 120) -> list[Exception]:
    """Start every job on its own thread, release them together, wait for all; the
    exceptions they raised, in no particular order. A thread still running after
    `timeout` seconds fails the test (a hang is as bad as a deadlock)."""
    barrier, raised = threading.Barrier(len(jobs)), []

    def run(job):
        try:
            barrier.wait(timeout=30)
            job()
        except Exception as exc:
            raised.append(exc)
        finally:
            connection.close()  # each thread has its own database connection

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return raised
