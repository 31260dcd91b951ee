"""`make bench`: the real stack on this machine under load, reported as a markdown table.

1. Creates a scratch PostgreSQL database (BENCH_DATABASE_URL, default `oms_bench` on the
   local server; dropped at the end) and uses a Redis db of its own (BENCH_REDIS_URL,
   default db 14; it must be empty at the start and is emptied at the end), migrates,
   and seeds it (bench/seed.py: products with stock, customers, an API client and token)
   and captures the SQL of one order create (bench/order_sql.py).
2. Starts gunicorn (`--workers 2 --threads 4` by default, gthread, on 127.0.0.1 and a
   free port, with OMS_BENCH=1 so the bare view is mounted) and a Celery worker (all
   queues, concurrency 2: the checks run after each submit, as in production).
3. **Order intake**, from a separate load process (bench/load.py, 20 clients, keep-alive
   connections): `POST /api/v1/orders/` with 5 lines, an Idempotency-Key and `submit`,
   side by side with (a) pgbench running the captured statements in one transaction with
   as many clients, and (b) the bare view (bench/bare_view.py) running them in the same
   gunicorn. Each of --runs runs measures all three, in a rotating order, for --duration
   seconds after a --warm-up; after each intake segment the worker's backlog of checks is
   drained before anything else is measured. Ratios are taken within a run; the table
   shows medians over the runs, and every run below it.
4. **Reservations under contention**: bench/reservations.py (its own scratch database),
   --runs times: releases/s, reserved lines/s, p95, deadlocks (pg_stat_database delta)
   and oversold units.
5. **Scale**: bench/scale.py (100,000 orders), when it exists and --skip-scale is not given.

Everything it started is stopped, and the scratch database dropped, on success, failure
or Ctrl-C. Exit status 1 when a section could not run or a unit was oversold; a missed
speed target is reported in the table, not as a failure.

    make bench                                  # the full measurement (about 15 minutes)
    .venv/bin/python bench/run.py --smoke       # a short check that everything runs
    .venv/bin/python bench/run.py --runs 5 --duration 30 --skip-scale
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PY = sys.executable
sys.path.insert(0, str(ROOT))

from bench import order_sql  # noqa: E402 (after the path is set)

#: Marks a database as this runner's scratch database, which it may drop.
SCRATCH_COMMENT = "oms bench scratch database (bench/run.py); safe to drop"
TARGET_VS_PGBENCH = 0.2
TARGET_VS_BARE = 0.6
MODES = ("intake", "bare", "pgbench")
LABELS = {
    "intake": "intake: `POST /api/v1/orders/` (5 lines, Idempotency-Key, submit)",
    "bare": "(b) bare Django view, the same SQL in one transaction",
    "pgbench": "(a) pgbench, the same SQL in one transaction",
}


class Interrupted(Exception):
    """Ctrl-C (SIGINT) or SIGTERM."""


# --- small helpers -------------------------------------------------------------------------------------------

def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted values (0 when empty)."""
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def group_cpu_seconds(group: int) -> float:
    """CPU time (user + system) of the live processes in process group `group`, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[2]) == group:  # pgrp; utime and stime are fields 14 and 15 of the whole line
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def wait_for(condition, *, timeout: float, interval: float = 0.2, what: str) -> None:
    """Poll `condition` until it is true; RuntimeError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@dataclass
class Started:
    name: str
    process: subprocess.Popen
    log_path: Path


@dataclass
class Segment:
    per_second: float
    p50: float
    p95: float
    p99: float
    errors: int
    detail: dict = field(default_factory=dict)


# --- the runner ----------------------------------------------------------------------------------------------

class Runner:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.admin_url = with_database(args.database_url, "postgres")
        self.database = urlsplit(args.database_url).path.lstrip("/")
        self.database_created = False
        self.redis_used = False
        self.started: list[Started] = []
        self.workdir = Path(tempfile.mkdtemp(prefix="oms-bench-"))
        self.port = 0
        self.groups: dict[str, int] = {}  # gunicorn, celery → process group id (the pid started)
        self.seed: dict = {}
        self.env: dict[str, str] = {}
        self.failures: list[str] = []
        self.intake_runs: list[dict[str, Segment]] = []
        self.intake_extra: dict = {}
        self.deadlocks_before = 0
        self.reservations: list[dict] = []
        self.scale_output = ""
        self.scale_status: int | None = None

    # database and redis

    @contextlib.contextmanager
    def _cursor(self, url: str):
        """A cursor on `url` in autocommit mode; the connection is closed afterwards."""
        import psycopg2

        connection = psycopg2.connect(url)
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                yield cursor
        finally:
            connection.close()

    def _admin(self):
        return self._cursor(self.admin_url)

    def _scratch(self):
        return self._cursor(self.args.database_url)

    def create_database(self) -> None:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", self.database):
            raise RuntimeError(f"unexpected database name {self.database!r}")
        with self._admin() as cursor:
            cursor.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                           [self.database])
            row = cursor.fetchone()
            if row is not None:
                if row[0] != SCRATCH_COMMENT:
                    raise RuntimeError(f"database {self.database} exists and is not a bench scratch database; "
                                       "choose another BENCH_DATABASE_URL")
                log(f"dropping the scratch database {self.database} left by an earlier run")
                self._drop(cursor)
            cursor.execute(f'CREATE DATABASE "{self.database}"')
            self.database_created = True
            cursor.execute(f"COMMENT ON DATABASE \"{self.database}\" IS %s", [SCRATCH_COMMENT])

    def _drop(self, cursor) -> None:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = %s AND pid <> pg_backend_pid()", [self.database])
        cursor.execute(f'DROP DATABASE IF EXISTS "{self.database}"')

    def drop_database(self) -> None:
        if not self.database_created:
            return
        with self._admin() as cursor:
            self._drop(cursor)
        self.database_created = False

    def _redis(self):
        import redis

        return redis.Redis.from_url(self.args.redis_url)

    def claim_redis(self) -> None:
        client = self._redis()
        size = client.dbsize()
        if size and not self.args.flush_redis:
            raise RuntimeError(f"Redis {self.args.redis_url} holds {size} keys: give the benchmark an empty db "
                               "(BENCH_REDIS_URL) or pass --flush-redis if those keys are a benchmark's leftovers")
        client.flushdb()
        self.redis_used = True

    def release_redis(self) -> None:
        if self.redis_used:
            self._redis().flushdb()
            self.redis_used = False

    # processes

    def start(self, name: str, command: list[str]) -> Started:
        log_path = self.workdir / f"{name}.log"
        with open(log_path, "wb") as output:
            # a session of its own: Ctrl-C reaches the runner only, which stops them in order
            process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=output, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        started = Started(name, process, log_path)
        self.started.append(started)
        return started

    def stop(self, started: Started, timeout: float = 30) -> None:
        process = started.process
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)  # its own process group: the pid we started
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            except ProcessLookupError:
                pass
        if started in self.started:
            self.started.remove(started)

    def run_child(self, name: str, command: list[str], timeout: float) -> subprocess.CompletedProcess:
        """Run a command to its end in a session of its own (stopped with the rest on Ctrl-C)."""
        started = self.start(name, command)
        try:
            started.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop(started)
            raise RuntimeError(f"{name} did not finish in {timeout:.0f} s (log: {started.log_path})") from None
        self.stop(started)
        output = started.log_path.read_text(errors="replace")
        return subprocess.CompletedProcess(command, started.process.returncode, output, "")

    def stop_all(self) -> None:
        for started in reversed(list(self.started)):
            try:
                self.stop(started)
            except Exception as exc:  # keep stopping the others
                log(f"could not stop {started.name}: {exc!r}")

    # the stack

    def prepare(self) -> None:
        args = self.args
        if not shutil.which("pgbench"):
            raise RuntimeError("pgbench is not installed (on Debian it comes with the server package, postgresql-15)")
        self.claim_redis()
        self.create_database()
        self.env = {
            **os.environ, "DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url, "OMS_BENCH": "1",
            "OMS_BENCH_SQL": str(self.workdir / "seed.json"), "DEBUG": "0", "SECURE_COOKIES": "0",
            "LOG_LEVEL": "WARNING", "ALLOWED_HOSTS": "127.0.0.1,localhost", "OMS_VAR_DIR": str(self.workdir / "var"),
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend", "PYTHONUNBUFFERED": "1",
        }
        log(f"migrating the scratch database {self.database}")
        result = self.run_child("migrate", [PY, "manage.py", "migrate", "--noinput", "-v0"], timeout=600)
        if result.returncode:
            raise RuntimeError(f"migrate failed:\n{result.stdout[-3000:]}")
        log("seeding and capturing the SQL of one order create")
        result = self.run_child("seed", [PY, str(BENCH / "seed.py"), str(self.workdir / "seed.json"),
                                         "--customers", str(args.customers), "--skus", str(args.skus)], timeout=600)
        if result.returncode:
            raise RuntimeError(f"seeding failed:\n{result.stdout[-3000:]}")
        self.seed = json.loads((self.workdir / "seed.json").read_text())
        (self.workdir / "order.pgbench").write_text(order_sql.render_pgbench(self.seed["template"]))

    def start_stack(self) -> None:
        args = self.args
        log(f"starting a Celery worker (concurrency {args.worker_concurrency})")
        worker = self.start("celery", [
            str(Path(PY).parent / "celery"), "-A", "oms", "worker", "--loglevel", "INFO", "--concurrency",
            str(args.worker_concurrency), "--queues", "default,checks,tracking,webhooks,documents",
            "--hostname", f"bench-{os.getpid()}@%h", "--without-gossip", "--without-mingle"])
        wait_for(lambda: worker.process.poll() is not None or " ready." in worker.log_path.read_text(errors="replace"),
                 timeout=120, what="the Celery worker")
        self.groups["celery"] = worker.process.pid
        if worker.process.poll() is not None:
            raise RuntimeError(f"the Celery worker exited:\n{worker.log_path.read_text()[-3000:]}")
        self.port = free_port()
        log(f"starting gunicorn on 127.0.0.1:{self.port} ({args.workers} workers x {args.threads} threads)")
        web = self.start("gunicorn", [
            str(Path(PY).parent / "gunicorn"), "oms.wsgi", "--bind", f"127.0.0.1:{self.port}", "--workers",
            str(args.workers), "--threads", str(args.threads), "--worker-class", "gthread", "--log-level", "warning",
            "--no-control-socket"])  # beside another gunicorn on this machine (`make run`, the tests)
        self.groups["gunicorn"] = web.process.pid

        def answers() -> bool:
            if web.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{web.log_path.read_text()[-3000:]}")
            request = urllib.request.Request(f"http://127.0.0.1:{self.port}/api/v1/",
                                             headers={"Authorization": f"Token {self.seed['token']}"})
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    return response.status == 200
            except (urllib.error.URLError, OSError):
                return False

        wait_for(answers, timeout=120, what="gunicorn")

    # measuring

    def load(self, mode: str, duration: float, warm_up: float) -> Segment:
        result = self.run_child(f"load-{mode}", [
            PY, str(BENCH / "load.py"), "--port", str(self.port), "--mode", mode, "--seed-file",
            str(self.workdir / "seed.json"), "--clients", str(self.args.clients), "--duration", str(duration),
            "--warm-up", str(warm_up)], timeout=duration + warm_up + 120)
        if result.returncode:
            raise RuntimeError(f"the load generator failed:\n{result.stdout[-3000:]}")
        data = json.loads(result.stdout.strip().splitlines()[-1])
        return Segment(data["per_second"], data["p50_ms"], data["p95_ms"], data["p99_ms"], data["errors"], data)

    def pgbench(self, duration: float, warm_up: float) -> Segment:
        prefix = self.workdir / f"pgbench-{time.monotonic_ns()}"
        parts = urlsplit(self.args.database_url)
        command = ["pgbench", "--no-vacuum", "--client", str(self.args.clients), "--jobs", str(min(self.args.clients,
                   os.cpu_count() or 1)), "--time", str(int(round(duration + warm_up))), "--file",
                   str(self.workdir / "order.pgbench"), "--log", f"--log-prefix={prefix}",
                   "--host", parts.hostname or "127.0.0.1", "--port", str(parts.port or 5432),
                   "--username", parts.username or "postgres", self.database]
        env = dict(self.env)
        if parts.password:
            env["PGPASSWORD"] = parts.password
        started = time.time()
        result = subprocess.run(command, cwd=self.workdir, env=env, capture_output=True, text=True,
                                timeout=duration + warm_up + 120, start_new_session=True)
        if "tps = " not in result.stdout:
            raise RuntimeError(f"pgbench failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        ends, latencies, failed = [], [], 0
        for log_file in self.workdir.glob(f"{prefix.name}*"):
            for line in log_file.read_text().splitlines():
                fields = line.split()
                if len(fields) < 6:
                    continue
                if not fields[2].isdigit():  # "failed", "serialization", "deadlock"
                    failed += 1
                    continue
                latency = int(fields[2]) / 1e6
                end = int(fields[4]) + int(fields[5]) / 1e6
                ends.append((end - latency, end))
        first = min((begin for begin, _end in ends), default=started)
        measure_from, deadline = first + warm_up, first + warm_up + duration
        latencies = sorted(end - begin for begin, end in ends if measure_from <= end <= deadline)
        aborted = len(re.findall(r"aborted in command", result.stderr))
        return Segment(len(latencies) / duration, percentile(latencies, 0.50) * 1000,
                       percentile(latencies, 0.95) * 1000, percentile(latencies, 0.99) * 1000, failed + aborted,
                       {"tps_reported": re.search(r"tps = ([\d.]+)", result.stdout).group(1), "aborted": aborted})

    def unchecked_orders(self) -> int:
        with self._scratch() as cursor:
            cursor.execute("SELECT count(*) FROM orders_salesorder WHERE checks_done_at IS NULL "
                           "AND state <> 'inquiry' AND number LIKE 'SO-%%'")
            return cursor.fetchone()[0]

    def drain_checks(self) -> float:
        """Wait until the worker has run the checks of every order the API accepted; seconds taken."""
        begun = time.monotonic()
        wait_for(lambda: self.unchecked_orders() == 0, timeout=self.args.drain_timeout, interval=0.5,
                 what="the worker to run the checks of every submitted order")
        return time.monotonic() - begun

    def deadlocks(self) -> int:
        with self._admin() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = %s", [self.database])
            return cursor.fetchone()[0]

    def measure_intake(self) -> None:
        args = self.args
        log("warming up (intake, not measured)")
        self.load("intake", duration=max(2.0, args.warm_up), warm_up=0)
        self.drain_checks()
        self.deadlocks_before = self.deadlocks()
        drains = []
        for run in range(args.runs):
            order = MODES[run % 3:] + MODES[:run % 3]
            results: dict[str, Segment] = {}
            for mode in order:
                log(f"run {run + 1}/{args.runs}: {mode} for {args.duration:g} s")
                if mode == "pgbench":
                    results[mode] = self.pgbench(args.duration, args.warm_up)
                    continue
                cpu_before = {name: group_cpu_seconds(group) for name, group in self.groups.items()}
                results[mode] = self.load(mode, args.duration, args.warm_up)
                if mode == "intake":
                    drains.append(self.drain_checks())
                # CPU per request of the whole segment, warm-up and the checks it left to the worker included
                answered = max(1, results[mode].detail["completed"])
                results[mode].detail["cpu_ms"] = {
                    name: (group_cpu_seconds(group) - cpu_before[name]) / answered * 1000
                    for name, group in self.groups.items()}
            self.intake_runs.append(results)
        with self._scratch() as cursor:
            cursor.execute("SELECT count(*), count(checks_done_at) FROM orders_salesorder WHERE number LIKE 'SO-%%'")
            created, checked = cursor.fetchone()
        self.intake_extra = {"drain_seconds": drains, "api_orders": created, "api_orders_checked": checked}

    def count_intake_deadlocks(self) -> None:
        """After the stack stopped: a session reports its counts when it ends, at the latest."""
        def sessions() -> int:
            with self._admin() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [self.database])
                return cursor.fetchone()[0]

        wait_for(lambda: sessions() == 0, timeout=30, what="the scratch database's sessions to end")
        self.intake_extra["deadlocks"] = self.deadlocks() - self.deadlocks_before

    def measure_reservations(self) -> None:
        args = self.args
        for run in range(args.runs):
            out = self.workdir / f"reservations-{run}.json"
            log(f"reservations run {run + 1}/{args.runs} ({args.reservation_orders} orders, "
                f"{args.reservation_threads} threads)")
            result = self.run_child(f"reservations-{run}", [
                PY, str(BENCH / "reservations.py"), "--orders", str(args.reservation_orders), "--threads",
                str(args.reservation_threads), "--json", str(out)], timeout=3600)
            if not out.exists():
                raise RuntimeError(f"bench/reservations.py failed:\n{result.stdout[-3000:]}")
            data = json.loads(out.read_text())
            data["exit_status"] = result.returncode
            self.reservations.append(data)

    def measure_scale(self) -> None:
        script = BENCH / "scale.py"
        log(f"scale: {script.relative_to(ROOT)} {self.args.scale_args}".rstrip())
        result = self.run_child("scale", [PY, str(script), *shlex.split(self.args.scale_args)], timeout=7200)
        self.scale_output, self.scale_status = result.stdout, result.returncode

    # the report

    def machine(self) -> str:
        cpu = ""
        try:
            cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                        if line.startswith("model name")), "")
            memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                          if line.startswith("MemTotal"))
            memory_text = f"{memory / 1024 / 1024:.0f} GiB"
        except (OSError, StopIteration):
            memory_text = "?"
        with self._admin() as cursor:
            cursor.execute("SHOW server_version")
            postgres = cursor.fetchone()[0].split()[0]
        redis_version = self._redis().info("server").get("redis_version", "?")
        load = " ".join(f"{value:.2f}" for value in os.getloadavg())
        return (f"{os.cpu_count()} CPUs ({cpu or platform.processor()}), {memory_text}, "
                f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
                f"PostgreSQL {postgres}, Redis {redis_version}; load average at the end {load}")

    def report(self) -> str:
        args = self.args
        out = ["# `make bench`", "", f"Machine: {self.machine()}.", ""]
        if self.intake_extra:
            runs = self.intake_runs
            ratios_a = [run["intake"].per_second / run["pgbench"].per_second if run["pgbench"].per_second else 0
                        for run in runs]
            ratios_b = [run["intake"].per_second / run["bare"].per_second if run["bare"].per_second else 0
                        for run in runs]
            statements = len(self.seed["template"])
            control = len(self.seed["statements"]) - statements
            out += [
                f"## Order intake — {args.clients} concurrent clients, {args.duration:g} s per measurement "
                f"after {args.warm_up:g} s of warm-up, median of {len(runs)} runs",
                "",
                f"gunicorn {args.workers} workers x {args.threads} threads (gthread) and a Celery worker "
                f"(concurrency {args.worker_concurrency}) running the checks; the load from a separate process "
                f"(bench/load.py, keep-alive connections). (a) and (b) run, in one transaction, the {statements} "
                f"statements one order create issues ({statements + control} with its BEGIN and COMMIT; captured "
                "from the request through Django's stack, unique values and ids parameterised).",
                "",
                "| measurement | orders/s | p50 ms | p95 ms | p99 ms | errors |",
                "| --- | ---: | ---: | ---: | ---: | ---: |",
            ]
            for mode in MODES:
                segments = [run[mode] for run in runs]
                out.append(f"| {LABELS[mode]} | {median([s.per_second for s in segments]):.1f} | "
                           f"{median([s.p50 for s in segments]):.0f} | {median([s.p95 for s in segments]):.0f} | "
                           f"{median([s.p99 for s in segments]):.0f} | {sum(s.errors for s in segments)} |")
            ratio_a, ratio_b = median(ratios_a), median(ratios_b)
            verdict_a, verdict_b = verdict(ratio_a, TARGET_VS_PGBENCH), verdict(ratio_b, TARGET_VS_BARE)
            out += ["", "| ratio (same run, median) | value | target | |", "| --- | ---: | ---: | --- |",
                    f"| intake / (a) pgbench | {ratio_a:.2f} | ≥ {TARGET_VS_PGBENCH} | {verdict_a} |",
                    f"| intake / (b) bare view | {ratio_b:.2f} | ≥ {TARGET_VS_BARE} | {verdict_b} |", ""]
            out += ["Every run (orders/s; p95 ms):", "",
                    "| run | intake | (b) bare | (a) pgbench | intake/(a) | intake/(b) | checks drained in |",
                    "| --- | --- | --- | --- | ---: | ---: | ---: |"]
            for n, run in enumerate(runs):
                cells = [f"{run[mode].per_second:.1f}; {run[mode].p95:.0f}" for mode in MODES]
                drain = self.intake_extra["drain_seconds"][n]
                out.append(f"| {n + 1} | {' | '.join(cells)} | {ratios_a[n]:.2f} | {ratios_b[n]:.2f} | "
                           f"{drain:.1f} s |")
            cpu = {mode: {name: median([run[mode].detail["cpu_ms"][name] for run in runs])
                          for name in self.groups} for mode in ("intake", "bare")}
            out += ["", "CPU per answered request (median; the segment's warm-up and, for intake, the checks the "
                        "worker ran afterwards included; PostgreSQL's own CPU not counted): "
                        f"intake — gunicorn {cpu['intake']['gunicorn']:.1f} ms, Celery worker "
                        f"{cpu['intake']['celery']:.1f} ms; bare view — gunicorn {cpu['bare']['gunicorn']:.1f} ms."]
            extra = self.intake_extra
            kinds: dict[str, int] = {}
            for run in runs:
                for mode in ("intake", "bare"):
                    for kind, count in run[mode].detail.get("error_kinds", {}).items():
                        kinds[f"{mode}: {kind}"] = kinds.get(f"{mode}: {kind}", 0) + count
            out += ["", f"Orders accepted through the API: {extra['api_orders']}, all with their checks run: "
                        f"{'yes' if extra['api_orders'] == extra['api_orders_checked'] else 'NO'} "
                        f"({extra['api_orders_checked']}); deadlocks in the scratch database during intake: "
                        f"{extra['deadlocks']}."
                        + (f" Errors: {', '.join(f'{k} × {v}' for k, v in sorted(kinds.items()))}." if kinds else ""),
                    ""]
        if self.reservations:
            rows = self.reservations
            oversold = max(row["oversold_units"] for row in rows)
            deadlocks = sum(row["deadlocks"] for row in rows)
            first = rows[0]
            out += [
                f"## Reservations under contention — bench/reservations.py, median of {len(rows)} runs", "",
                f"{first['orders']} approved orders of {first['lines']} lines over {first['skus']} SKUs in "
                f"{first['warehouses']} warehouses (about 60 % of the demand in stock), released to fulfilment "
                f"by {first['threads'] - 1} threads while 1 thread receives stock.", "",
                "| releases/s | reserved lines/s | p50 ms | p95 ms | deadlocks | oversold units | errors |",
                "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
                f"| {median([r['releases_per_second'] for r in rows]):.1f} | "
                f"{median([r['lines_per_second'] for r in rows]):.1f} | {median([r['p50_ms'] for r in rows]):.0f} | "
                f"{median([r['p95_ms'] for r in rows]):.0f} | {deadlocks} | {oversold} | "
                f"{sum(r['errors'] for r in rows)} |", "",
                f"Targets: 0 oversold units ({verdict(-oversold, 0)}), 0 deadlocks ({verdict(-deadlocks, 0)}); "
                f"every check of bench/reservations.py passed: "
                f"{'yes' if all(r['ok'] for r in rows) else 'NO'}.", ""]
        if self.scale_status is not None:
            out += ["## Scale — bench/scale.py", "", self.scale_output.strip(), ""]
        if self.failures:
            out += ["## Not measured", ""] + [f"- {failure}" for failure in self.failures] + [""]
        return "\n".join(out)

    # the whole run

    def run(self) -> int:
        args = self.args
        self.prepare()
        try:
            self.start_stack()
            self.measure_intake()
        except RuntimeError as exc:
            self.failures.append(f"order intake: {exc}")
        finally:
            self.stop_all()
        if self.intake_extra:  # every intake run finished
            self.count_intake_deadlocks()
        self.drop_database()
        if not args.skip_reservations:
            try:
                self.measure_reservations()
            except RuntimeError as exc:
                self.failures.append(f"reservations: {exc}")
        if not args.skip_scale:
            if (BENCH / "scale.py").exists():
                self.measure_scale()
                if self.scale_status:
                    self.failures.append(f"scale: bench/scale.py exited with {self.scale_status} "
                                         "(a missed target or a failed request; see its output above)")
            else:
                self.failures.append("scale: bench/scale.py does not exist yet")
        report = self.report()
        print(report, flush=True)
        if args.out:
            Path(args.out).write_text(report + "\n")
        bad = [failure for failure in self.failures if not failure.startswith("scale: bench/scale.py exited")]
        oversold = any(row["oversold_units"] for row in self.reservations)
        return 1 if bad or oversold else 0

    def cleanup(self) -> None:
        self.stop_all()
        for step in (self.drop_database, self.release_redis):
            try:
                step()
            except Exception as exc:
                log(f"clean-up step {step.__name__} failed: {exc!r}")
        if self.args.keep_logs:
            log(f"logs kept in {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


def verdict(value: float, target: float) -> str:
    if value >= target:
        return "met"
    return f"**missed** by {target - value:.2f}" if target else "**missed**"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/oms_bench"),
        help="the scratch database to create and drop (default: BENCH_DATABASE_URL or oms_bench)")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
                        help="an empty Redis db for the run (default: BENCH_REDIS_URL or db 14)")
    parser.add_argument("--flush-redis", action="store_true", help="empty the Redis db first even if it has keys")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement (default 3; the median)")
    parser.add_argument("--duration", type=float, default=15.0, help="measured seconds per segment (default 15)")
    parser.add_argument("--warm-up", type=float, default=2.0, help="unmeasured seconds first (default 2)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (default 20)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    parser.add_argument("--worker-concurrency", type=int, default=2, help="Celery worker processes (default 2)")
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--skus", type=int, default=200)
    parser.add_argument("--drain-timeout", type=float, default=600.0,
                        help="seconds the worker may take to run the checks after an intake segment")
    parser.add_argument("--reservation-orders", type=int, default=400)
    parser.add_argument("--reservation-threads", type=int, default=8)
    parser.add_argument("--skip-reservations", action="store_true")
    parser.add_argument("--skip-scale", action="store_true", help="do not run bench/scale.py (100,000 orders)")
    parser.add_argument("--scale-args", default="", help="arguments for bench/scale.py, e.g. '--orders 10000'")
    parser.add_argument("--smoke", action="store_true",
                        help="a short run: 2 runs of 3 s, 60 reservation orders, scale with 2,000 orders")
    parser.add_argument("--out", help="also write the report to this file")
    parser.add_argument("--keep-logs", action="store_true", help="keep the work folder (logs, pgbench script)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.runs, args.duration, args.warm_up = 2, 3.0, 1.0
        args.reservation_orders = 60
        args.scale_args = args.scale_args or "--orders 2000 --customers 200 --skus 100 --runs 3"
    return args


def main() -> int:
    args = parse_args()

    def on_signal(signum, frame):
        raise Interrupted()

    # SIGINT too: a shell starts background jobs with SIGINT ignored, and Python then
    # installs no KeyboardInterrupt handler of its own
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, on_signal)
    runner = Runner(args)
    try:
        return runner.run()
    except (KeyboardInterrupt, Interrupted):
        log("interrupted: stopping everything")
        return 130
    except RuntimeError as exc:
        log(f"failed: {exc}")
        return 1
    finally:
        for number in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not cut the clean-up short
            signal.signal(number, signal.SIG_IGN)
        runner.cleanup()


if __name__ == "__main__":
    sys.exit(main())
