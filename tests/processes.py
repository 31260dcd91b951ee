"""Real processes for the tests that need them — a Celery worker, the web server (gunicorn)
and a Redis server of the test's own — all on 127.0.0.1, on the test database.

Each runs in a session of its own, so it can be stopped (or killed with `kill -9`) together
with its children, and writes its output to a file, shown when the test fails."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def eventually(condition: Callable[[], object], *, timeout: float, interval: float = 0.05) -> object:
    """Poll `condition` until it returns something true, and return that; what it last
    returned once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def wait_until(condition: Callable[[], object], *, timeout: float, what: str, interval: float = 0.05) -> object:
    """Poll `condition` until it returns something true (and return that); fail the test
    after `timeout` seconds."""
    value = eventually(condition, timeout=timeout, interval=interval)
    if not value:
        pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
    return value


@contextlib.contextmanager
def tasks_to_the_broker():
    """While inside, tasks this process sends go to the broker for a worker process to run,
    not in place (the suite may run them eagerly otherwise)."""
    from oms.celery import app as celery_app

    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = previous


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url_of_test_db() -> str:
    """The test database (pytest-django's test_<name>), for processes started by a test."""
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("A test that starts processes needs PostgreSQL (they cannot share SQLite's in-memory test db).")
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class Started:
    name: str
    process: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """`kill -9` the process and every process of its group (a worker's pool children)."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM to the group; SIGKILL if it is still there after `timeout` seconds."""
        if self.alive():
            try:
                os.killpg(self.pid, signal.SIGTERM)
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
            except ProcessLookupError:
                pass
        self.process.wait(timeout=30)

    def children(self) -> list[int]:
        """Pids of the process's direct children (a prefork worker's pool processes)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdecimal():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid …; comm may hold spaces and parentheses
            if int(stat.rsplit(")", 1)[1].split()[1]) == self.pid:
                found.append(int(entry.name))
        return sorted(found)


def start(name: str, command: list[str], *, env: dict[str, str], log_dir: Path) -> Started:
    log_path = log_dir / f"{name}-{uuid.uuid4().hex[:6]}.log"
    with open(log_path, "wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    return Started(name, process, log_path)


def process_env(*, redis_url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a process on the test database (and on `redis_url`, else the
    suite's Redis), with tasks sent to the broker rather than run in place."""
    env = {**os.environ, "DATABASE_URL": database_url_of_test_db(), "CELERY_TASK_ALWAYS_EAGER": "0",
           "DB_CONN_MAX_AGE": "0", "PYTHONUNBUFFERED": "1", "DJANGO_SETTINGS_MODULE": "oms.settings"}
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    env.update(extra)
    return env


def start_worker(log_dir: Path, *, redis_url: str | None = None, pool: str = "solo", concurrency: int = 1,
                 visibility_timeout: float | None = None, wait: bool = True) -> Started:
    """A Celery worker on all our queues. `visibility_timeout` (seconds): messages that a
    worker took and never acknowledged (it was killed) go back to the queue after this long
    (Redis's default is an hour); the worker looks for them every second."""
    extra = {}
    app = "oms"
    if visibility_timeout is not None:
        app = "tests.celery_app"
        extra["OMS_TEST_BROKER_TRANSPORT_OPTIONS"] = json.dumps({
            "visibility_timeout": visibility_timeout, "unacked_restore_interval": 1, "unacked_restore_throttle": 1})
    command = [sys.executable, "-m", "celery", "-A", app, "worker", "--pool", pool, "--concurrency", str(concurrency),
               "--loglevel", "INFO", "--queues", ",".join(settings.OMS_WORKER_QUEUES),
               "--hostname", f"test-{uuid.uuid4().hex[:8]}@%h", "--without-gossip", "--without-mingle",
               "--without-heartbeat"]
    worker = start("worker", command, env=process_env(redis_url=redis_url, **extra), log_dir=log_dir)
    if wait:
        wait_until(lambda: not worker.alive() or " ready." in worker.log(), timeout=60, what="the worker to start")
        if not worker.alive():
            pytest.fail(f"the worker exited:\n{worker.log()[-3000:]}")
    return worker


@dataclass
class Web:
    """gunicorn serving OMS on 127.0.0.1, as in production (DEBUG off)."""

    started: Started
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, *, token: str | None = None, body: dict | None = None,
                timeout: float = 30) -> tuple[int, dict]:
        """One request; (status, JSON body or {})."""
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            return status, json.loads(raw) if raw else {}
        except ValueError:
            return status, {"raw": raw.decode(errors="replace")[:2000]}


def start_web(log_dir: Path, *, redis_url: str | None = None, threads: int = 4) -> Web:
    port = free_port()
    env = process_env(redis_url=redis_url, DEBUG="0", SECURE_COOKIES="0", LOG_LEVEL="WARNING",
                      OMS_VAR_DIR=str(log_dir / "var"), MEDIA_ROOT=str(log_dir / "media"),
                      EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
    started = start("web", [str(BIN / "gunicorn"), "oms.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                            "--threads", str(threads), "--worker-class", "gthread", "--timeout", "60",
                            "--no-control-socket"],
                    env=env, log_dir=log_dir)
    web = Web(started, port)

    def answers() -> bool:
        if not started.alive():
            pytest.fail(f"gunicorn exited:\n{started.log()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    wait_until(answers, timeout=60, what="gunicorn to listen")
    return web


@dataclass
class RedisServer:
    """A redis-server of the test's own (no persistence), which the test may stop and
    start again on the same port."""

    log_dir: Path
    port: int = field(default_factory=free_port)
    started: Started | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        if not shutil.which("redis-server"):
            pytest.fail("redis-server is not installed (Debian: apt-get install redis-server).")
        self.started = start("redis", ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                       "--save", "", "--appendonly", "no", "--daemonize", "no"],
                             env=dict(os.environ), log_dir=self.log_dir)
        wait_until(self.answers, timeout=30, what=f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.started is not None:
            self.started.stop(timeout=10)
            self.started = None

    def answers(self) -> bool:
        if self.started is not None and not self.started.alive():
            pytest.fail(f"redis-server exited:\n{self.started.log()[-2000:]}")
        try:
            return bool(self.client().ping())
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            return False

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis.from_url(self.url(db), socket_connect_timeout=1, socket_timeout=5)
