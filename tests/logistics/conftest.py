"""Shared by the shipping tests: a carrier's tracking service stub on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class CarrierStub:
    """A carrier's tracking service: answers GET <path> with what the test set for it (404 otherwise)."""

    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []  # (path, headers) in arrival order
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stub.requests.append((self.path, dict(self.headers.items())))
                answer = stub.answers.get(self.path, Answer(404, b'{"error": "unknown"}'))
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, format, *args) -> None:  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # bound, hence ready
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        # A short poll interval only makes shutdown() return sooner; requests are served at once.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01},
                                       daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer_json(self, path: str, payload, *, status: int = 200) -> None:
        self.answers[path] = Answer(status, json.dumps(payload).encode(), {"Content-Type": "application/json"})

    def answer_raw(self, path: str, body: bytes, *, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.answers[path] = Answer(status, body, headers or {})


@pytest.fixture
def stub() -> Iterator[CarrierStub]:
    carrier_stub = CarrierStub()
    carrier_stub.thread.start()
    try:
        yield carrier_stub
    finally:
        carrier_stub.server.shutdown()
        carrier_stub.server.server_close()
        carrier_stub.thread.join()
