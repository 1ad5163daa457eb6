"""A real HTTP receiver on 127.0.0.1 for webhook tests: it can be down (nothing listening),
up and failing (HTTP 500), redirecting, or up and accepting; it keeps every request it
accepted. ``FakeDNS`` makes test-only names resolve (only the lookup is faked)."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.received: list[dict[str, Any]] = []  # accepted: headers, body, json
        self.fail_next = 0  # answer 500 to this many requests first
        self.redirect_to: str | None = None  # answer 307 to the first path, with this Location
        self.refused = 0
        self.clock = time.time  # what "now" is for the sender (tests with a manual clock)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def up(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    if receiver.redirect_to and self.path == "/hook":
                        receiver.refused += 1
                        self.send_response(307)
                        self.send_header("Location", receiver.redirect_to)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    if receiver.fail_next > 0:
                        receiver.fail_next -= 1
                        receiver.refused += 1
                        self.send_response(500)
                        self.end_headers()
                        return
                    receiver.received.append({"headers": dict(self.headers.items()),
                                              "body": body, "json": json.loads(body),
                                              "path": self.path, "at": receiver.clock()})
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *exc) -> None:
        self.down()


class FakeDNS:
    """Test-only host names and what they resolve to, patched into ``socket.getaddrinfo``;
    every other name (and every address) goes to the real resolver, and connections stay
    real. ``answers[name]`` is a list of address lists, one per lookup (the last repeats);
    ``None`` in it makes that lookup fail. ``lookups`` records the names looked up."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.answers: dict[str, list[list[str] | None]] = {}
        self.lookups: list[str] = []
        real = socket.getaddrinfo

        def getaddrinfo(host, port, *args, **kwargs):
            name = host.decode() if isinstance(host, bytes) else host
            if name not in self.answers:
                return real(host, port, *args, **kwargs)
            self.lookups.append(name)
            queue = self.answers[name]
            answer = queue.pop(0) if len(queue) > 1 else queue[0]
            if answer is None:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            number = int(port or 0)
            return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM,
                     socket.IPPROTO_TCP, "", (a, number, 0, 0) if ":" in a else (a, number))
                    for a in answer]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def add(self, name: str, *answers: list[str] | None) -> None:
        self.answers[name] = list(answers)
