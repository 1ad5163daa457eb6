"""A real HTTP receiver on 127.0.0.1 for webhook tests: it can be down (nothing listening),
up and failing (HTTP 500), redirecting, or up and accepting; it keeps every request it
accepted. ``FakeDNS`` makes test-only names resolve (only the lookup is faked)."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from tests.live_servers import free_port


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


class Dribbler:
    """A receiver that reads each request, then answers one byte every ``interval`` seconds
    (never reaching the end of its headers): a slow endpoint that no per-read timeout stops.
    It records when each connection opened and closed, and how many were open at once."""

    def __init__(self, interval: float = 0.5, max_bytes: int = 120) -> None:
        self.interval, self.max_bytes = interval, max_bytes
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.opened: list[float] = []
        self.closed: list[float] = []
        self.most_at_once = 0
        self._open = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sock: socket.socket | None = None

    def up(self) -> None:
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", self.port))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with self._lock:
            self.opened.append(time.monotonic())
            self._open += 1
            self.most_at_once = max(self.most_at_once, self._open)
        try:
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            answer = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"." * self.max_bytes
            for i in range(len(answer)):
                # wait a beat, noticing at once when the sender hangs up (or the test ends)
                readable, _, _ = select.select([conn], [], [], self.interval)
                if self._stop.is_set() or (readable and not conn.recv(65536)):
                    return
                conn.sendall(answer[i:i + 1])
        except OSError:
            return
        finally:
            conn.close()
            with self._lock:
                self._open -= 1
                self.closed.append(time.monotonic())

    def down(self) -> None:
        self._stop.set()
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> Dribbler:
        return self

    def __exit__(self, *exc) -> None:
        self.down()
