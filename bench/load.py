"""HTTP load for bench/run.py: --clients threads, each with its own keep-alive connection,
POST as fast as answers come back for --warm-up + --duration seconds; the requests that
complete within the measured window (after the warm-up, before the deadline) are counted. Prints one JSON object:
completed requests per second, p50/p95/p99 latency (ms), errors by kind.

Modes: `intake` sends `POST /api/v1/orders/` (5 lines of distinct SKUs, a fresh
Idempotency-Key, `submit: true`) with the seeded API token; `bare` sends
`POST /bench/bare-order/` (bench/bare_view.py). Standard library only (http.client).

    .venv/bin/python bench/load.py --port 8123 --mode intake --seed-file seed.json --clients 20 --duration 15
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import random
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.seed import order_body

PATHS = {"intake": "/api/v1/orders/", "bare": "/bench/bare-order/"}


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted values (0 when empty)."""
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=sorted(PATHS), required=True)
    parser.add_argument("--seed-file", required=True, help="the JSON bench/seed.py wrote")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=15.0, help="measured seconds")
    parser.add_argument("--warm-up", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a request may take")
    args = parser.parse_args()

    seed = json.loads(Path(args.seed_file).read_text())
    path = PATHS[args.mode]
    start = time.monotonic() + 0.2  # every thread starts together
    measure_from = start + args.warm_up
    deadline = measure_from + args.duration
    latencies: list[list[float]] = [[] for _ in range(args.clients)]
    errors: list[dict[str, int]] = [{} for _ in range(args.clients)]
    sent = [0] * args.clients
    completed = [0] * args.clients  # answered 201 at any time, warm-up included

    def client(index: int) -> None:
        rng = random.Random(index * 7919 + int(time.time()))
        connection = http.client.HTTPConnection(args.host, args.port, timeout=args.timeout)
        headers = {"Content-Type": "application/json", "Connection": "keep-alive"}
        if args.mode == "intake":
            headers["Authorization"] = f"Token {seed['token']}"
        while time.monotonic() < start:
            time.sleep(0.005)
        while True:
            begun = time.monotonic()
            if begun >= deadline:
                break
            if args.mode == "intake":
                body = json.dumps(order_body(rng.choice(seed["customers"]), seed["skus"], rng)).encode()
                headers["Idempotency-Key"] = str(uuid.uuid4())
            else:
                body = b"{}"
            kind = None
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status != 201:
                    kind = f"HTTP {response.status}"
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
            except (OSError, http.client.HTTPException) as exc:
                kind = type(exc).__name__
                connection.close()
            ended = time.monotonic()
            completed[index] += kind is None
            if measure_from <= ended <= deadline:  # completed in the measured window
                sent[index] += 1
                if kind is None:
                    latencies[index].append(ended - begun)
                else:
                    errors[index][kind] = errors[index].get(kind, 0) + 1
        connection.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=args.warm_up + args.duration + args.timeout + 10)
    ordered = sorted(value for values in latencies for value in values)
    merged: dict[str, int] = {}
    for kinds in errors:
        for kind, count in kinds.items():
            merged[kind] = merged.get(kind, 0) + count
    print(json.dumps({
        "mode": args.mode, "clients": args.clients, "duration": args.duration, "requests": sum(sent),
        "completed": sum(completed),
        "ok": len(ordered), "per_second": len(ordered) / args.duration,
        "p50_ms": percentile(ordered, 0.50) * 1000, "p95_ms": percentile(ordered, 0.95) * 1000,
        "p99_ms": percentile(ordered, 0.99) * 1000, "errors": sum(merged.values()), "error_kinds": merged,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
