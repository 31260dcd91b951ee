"""Where the time of one order create goes: `POST /api/v1/orders/` (5 lines, an
Idempotency-Key, `submit`) through the whole Django stack in this process, profiled.

Builds a scratch database (bench_profile_<name of DATABASE_URL's database>, beside
pytest's test_<name>), seeds it as bench/run.py does (bench/seed.py), sends --warm-up
requests, then --requests more under cProfile, and prints: the time per request split
into SQL (time inside the database cursor, round trips included) and the rest (Python),
the queries per request, and the functions with the most cumulative and own time. Drops
the scratch database. The Celery enqueue after the commit goes to REDIS_URL's broker (no
worker needs to run).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oms REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python bench/profile_intake.py --requests 200
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warm-up", type=int, default=20)
    parser.add_argument("--top", type=int, default=35, help="functions listed (default 35)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        print("This profile needs PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
        return 2
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.DEBUG = False
    connection.settings_dict["TEST"]["NAME"] = f"bench_profile_{connection.settings_dict['NAME']}"  # beside pytest's
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        return profile(args)
    finally:
        connection.close()
        connection.creation.destroy_test_db(name, verbosity=0)


def profile(args: argparse.Namespace) -> int:
    from django.db import connection
    from django.test import Client

    from bench.seed import order_body, seed_data

    seeded = seed_data(customers=50, skus=200)
    rng = random.Random(2026)
    client = Client(HTTP_AUTHORIZATION=f"Token {seeded['token']}")
    sql = {"seconds": 0.0, "queries": 0}

    def timed(execute, statement, params, many, context):
        begun = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            sql["seconds"] += time.perf_counter() - begun
            sql["queries"] += 1

    def post() -> float:
        body = json.dumps(order_body(rng.choice(seeded["customers"]), seeded["skus"], rng))
        begun = time.perf_counter()
        response = client.post("/api/v1/orders/", body, content_type="application/json",
                               HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
        elapsed = time.perf_counter() - begun
        if response.status_code != 201:
            raise RuntimeError(f"{response.status_code}: {response.content[:300]!r}")
        return elapsed

    for _ in range(args.warm_up):
        post()
    timings = []
    with connection.execute_wrapper(timed):
        for _ in range(args.requests):
            timings.append(post())
    total = sum(timings)
    print(f"{args.requests} order creates (5 lines, Idempotency-Key, submit), in process, no network:")
    print(f"  per request: median {statistics.median(timings) * 1000:.1f} ms, mean {total / len(timings) * 1000:.1f} "
          f"ms; SQL {sql['seconds'] / len(timings) * 1000:.1f} ms ({sql['queries'] / len(timings):.0f} queries), "
          f"the rest (Python) {(total - sql['seconds']) / len(timings) * 1000:.1f} ms")

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.requests):
        post()
    profiler.disable()
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(args.top)
        print(f"\n--- by {order} time ---")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
