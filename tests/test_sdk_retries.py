"""The SDK sends an ``Idempotency-Key`` on every POST and retries safely with it: a response
lost on the way back, a 5xx or a 429 is retried with the same key and the server runs the
request once. Against the real app on 127.0.0.1, behind a small proxy (also on 127.0.0.1)
that loses responses and answers errors on cue. ``GET /v1/usage`` reads the CLI's dates."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

import datafab
from datafab.sdk import ApiError
from datafab.services.accounts import create_contributor, create_organization


class Proxy:
    """Forwards requests to the app; ``plan`` holds what to do with the next requests that
    match (method, path suffix): ``lose`` (forward, then hang up without answering),
    ``503``, or ``429`` (answer that, with Retry-After: 1, without forwarding)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.seen: list[tuple[str, str, str | None, str | None]] = []  # + replayed header
        self.plan: list[tuple[str, str, str]] = []
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _handle(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                key = self.headers.get("idempotency-key")
                action = proxy._take(self.command, self.path)
                if action in ("503", "429"):
                    proxy._see(self.command, self.path, key, None)
                    self.send_response(int(action))
                    payload = b'{"error": {"type": "unavailable", "message": "try again"}}'
                    if action == "429":
                        self.send_header("Retry-After", "1")
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "content-length", "connection")}
                response = httpx.request(self.command, proxy.upstream + self.path,
                                         headers=headers, content=body, timeout=30)
                proxy._see(self.command, self.path, key,
                           response.headers.get("idempotent-replayed"))
                if action == "lose":
                    self.close_connection = True
                    return  # the app did the work; the answer never arrives
                self.send_response(response.status_code)
                for name in ("content-type", "retry-after", "idempotent-replayed"):
                    if name in response.headers:
                        self.send_header(name, response.headers[name])
                self.send_header("Content-Length", str(len(response.content)))
                self.end_headers()
                self.wfile.write(response.content)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _take(self, method: str, path: str) -> str:
        with self.lock:
            for k, (m, suffix, action) in enumerate(self.plan):
                if m == method and path.split("?")[0].endswith(suffix):
                    del self.plan[k]
                    return action
        return "pass"

    def _see(self, method, path, key, replayed) -> None:
        with self.lock:
            self.seen.append((method, path.split("?")[0], key, replayed))

    def posts(self, suffix: str):
        return [s for s in self.seen if s[0] == "POST" and s[1].endswith(suffix)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def line(live_server):
    url, foundry = live_server
    proxy = Proxy(url)
    _, key = create_organization(foundry, "Lab")
    _, token = create_contributor(foundry, {"name": "Ada"})
    requester = datafab.Client(proxy.url, api_key=key, backoff=0.05)
    contributor = datafab.Client(proxy.url, api_key=token, backoff=0.05)
    yield proxy, requester, contributor
    requester.close()
    contributor.close()
    proxy.close()


def _project(requester):
    return requester.create_project("reviews", "classify",
                                    settings={"labels": ["pos", "neg"]},
                                    policy={"min_labels": 1, "max_labels": 1})["id"]


def test_every_post_carries_its_own_key(line):
    proxy, requester, contributor = line
    pid = _project(requester)
    requester.upload_items(pid, [{"external_id": "a", "data": {"text": "good"}}])
    (lease,) = contributor.lease(pid)
    contributor.submit(lease["id"], {"label": "pos"})
    posts = [s for s in proxy.seen if s[0] == "POST"]
    assert len(posts) == 4
    keys = [s[2] for s in posts]
    assert all(keys) and len(set(keys)) == 4
    assert all(s[2] is None for s in proxy.seen if s[0] == "GET")


def test_a_lost_answer_is_retried_with_the_same_key_and_lands_once(line):
    proxy, requester, contributor = line
    proxy.plan.append(("POST", "/v1/projects", "lose"))
    pid = _project(requester)
    assert [p["name"] for p in requester.projects()] == ["reviews"]  # one project, not two
    first, retry = proxy.posts("/v1/projects")
    assert first[2] == retry[2] and retry[3] == "true"  # same key; the stored answer

    proxy.plan.append(("POST", "/items", "lose"))
    assert requester.upload_items(pid, [{"external_id": f"r{i}", "data": {"text": "x"}}
                                        for i in range(3)]) == {"created": 3, "unchanged": 0}

    (lease,) = contributor.lease(pid)
    proxy.plan.append(("POST", "/submit", "lose"))
    receipt = contributor.submit(lease["id"], {"label": "pos"}, seconds_spent=2)
    assert receipt["lease_id"] == lease["id"]
    first, retry = proxy.posts("/submit")
    assert first[2] == retry[2] and retry[3] == "true"
    (record,) = [r for r in requester.records(pid) if r["item_id"] == lease["item"]["id"]]
    assert record["n_submissions"] == 1


def test_5xx_and_429_are_retried_with_backoff_then_given_up(line):
    proxy, requester, contributor = line
    proxy.plan += [("POST", "/v1/projects", "503"), ("POST", "/v1/projects", "503")]
    pid = _project(requester)
    attempts = proxy.posts("/v1/projects")
    assert len(attempts) == 3 and len({a[2] for a in attempts}) == 1

    proxy.plan.append(("GET", "/progress", "429"))
    started = time.monotonic()
    assert requester.progress(pid)["items"] == 0
    assert time.monotonic() - started >= 1.0  # Retry-After: 1 was honoured

    proxy.plan += [("GET", "/progress", "503")] * 4
    with pytest.raises(ApiError) as err:
        requester.progress(pid)
    assert err.value.status == 503

    patient = datafab.Client(proxy.url, api_key="dfk_x", retries=0)
    proxy.plan.append(("GET", "/v1/projects", "503"))
    with pytest.raises(ApiError):
        list(patient.projects())


def test_usage_takes_the_dates_the_cli_takes(line, live_server):
    proxy, requester, contributor = line
    pid = _project(requester)
    requester.upload_items(pid, [{"external_id": "a", "data": {"text": "good"}}])
    (lease,) = contributor.lease(pid)
    contributor.submit(lease["id"], {"label": "pos"})
    tomorrow = date.fromtimestamp(time.time() + 86_400)
    by_date = requester.usage("2020-01-01", tomorrow)
    assert by_date["start"] == datetime(2020, 1, 1, tzinfo=UTC).timestamp()
    assert by_date["usage"].get("task") == 1
    by_seconds = requester.usage(by_date["start"], by_date["end"])
    by_time = requester.usage("2020-01-01T00:00:00+00:00",
                              datetime.fromtimestamp(by_date["end"], UTC))
    assert by_seconds == by_time == by_date
    for start, end, field in (("yesterday", "2030-01-01", "start"),
                              ("2020-01-01", "nan", "end"),
                              ("2030-01-01", "2020-01-01", "end")):
        with pytest.raises(ApiError) as err:
            requester.usage(start, end)
        assert err.value.status == 422 and err.value.field == field
