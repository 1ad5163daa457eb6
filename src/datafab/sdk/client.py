"""``datafab.Client``: the REST API from Python, for requesters and contributors alike.

The same client serves both: pass a requester's API key (``dfk_…``) or a contributor's
token (``dfc_…``) as ``api_key``.

Every POST carries an ``Idempotency-Key`` (a fresh random key per call), so the client can
retry it safely: when the connection fails or the server answers 5xx or 429 (or the same
key is still being worked on, 409 ``idempotency_in_flight``), it sends the same request
with the same key again, up to ``retries`` times, waiting ``backoff`` × 2ⁿ seconds (with
jitter, at most ``max_backoff``; a ``Retry-After`` header is honoured). The server runs a
keyed POST once and answers a retry with the stored response, so a retried submission is
one submission. GET, PUT and DELETE are retried the same way; PATCH only when the connection
could not be opened; a file upload (``ingest``) is not retried.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx

from datafab.errors import DatafabError
from datafab.sdk.curation import CurationMethods
from datafab.sdk.evals import EvalMethods
from datafab.sdk.relations import RelationMethods

UPLOAD_BATCH = 10_000
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "POST"})  # POST: with its key
MAX_RETRY_AFTER = 60.0


class ApiError(DatafabError):
    """An error answered by the server, with its HTTP status and the field at fault."""

    def __init__(self, status: int, type_: str, message: str, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.status = status
        self.type = type_

    def __str__(self) -> str:
        return f"{self.status} {self.type}: {self.message}"


class Client(EvalMethods, CurationMethods, RelationMethods):
    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout, transport=transport
        )
        self._retries, self._backoff, self._max_backoff = retries, backoff, max_backoff

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requester: projects ---------------------------------------------------------------
    def create_project(
        self,
        name: str,
        primitive: str,
        *,
        settings: dict[str, Any] | None = None,
        policy: dict[str, Any] | None = None,
        guidelines: str = "",
        required_skills: list[str] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name, "primitive": primitive, "guidelines": guidelines}
        if settings is not None:
            body["settings"] = settings
        if policy is not None:
            body["policy"] = policy
        if required_skills is not None:
            body["required_skills"] = required_skills
        return self._call("POST", "/v1/projects", json=body)

    def define_primitive(self, definition: dict[str, Any]) -> dict[str, Any]:
        """Store your organization's own primitive (a new version if the name is used); the
        answer's ``pinned`` (``NAME@VERSION``) is what ``create_project`` takes."""
        return self._call("POST", "/v1/primitives", json=definition)

    def primitive_versions(self, name: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/primitives/{name}")

    def get_project(self, project_id: int) -> dict[str, Any]:
        return self._call("GET", f"/v1/projects/{project_id}")

    def project_by_name(self, name: str) -> dict[str, Any] | None:
        """The organization's project of this name, or ``None``."""
        return next((p for p in self.projects() if p["name"] == name), None)

    def get_or_create_project(self, name: str, primitive: str, **spec: Any) -> dict[str, Any]:
        """The project of this name, made with ``spec`` (as :meth:`create_project`) when there
        is none yet — so a script that sets up its project can run again. An existing project
        is returned as it is (its settings are not changed); one of another primitive is a
        409 ``conflict`` naming ``primitive``."""
        found = self.project_by_name(name)
        if found is None:
            try:
                return self.create_project(name, primitive, **spec)
            except ApiError as exc:  # made meanwhile by another run of the script
                found = self.project_by_name(name) if exc.status == 409 else None
                if found is None:
                    raise
        if found["primitive"] != primitive:
            raise ApiError(409, "conflict", f"primitive: project {name!r} exists as a "
                           f"{found['primitive']} project, not {primitive}", "primitive")
        return found

    def update_project(self, project_id: int, **changes: Any) -> dict[str, Any]:
        return self._call("PATCH", f"/v1/projects/{project_id}", json=changes)

    def projects(self) -> Iterator[dict[str, Any]]:
        return self._pages("/v1/projects", {})

    def progress(self, project_id: int) -> dict[str, int]:
        return self._call("GET", f"/v1/projects/{project_id}/progress")

    def quality(self, project_id: int) -> dict[str, Any]:
        """Agreement, contributor accuracy and skill, label spend, estimated accuracy."""
        return self._call("GET", f"/v1/projects/{project_id}/quality")

    def refit(self, project_id: int) -> dict[str, Any]:
        return self._call("POST", f"/v1/projects/{project_id}/refit")

    def effort(self, project_id: int, *, bucket: int = 86_400) -> dict[str, Any]:
        """People's labels and seconds per record, model calls and cost, over time."""
        return self._call("GET", f"/v1/projects/{project_id}/effort", params={"bucket": bucket})

    def plan(self, project_id: int, budget: float | None = None, *,
             target: float | None = None) -> dict[str, Any]:
        """The policy that gives the most accurate records within ``budget``, or the
        cheapest predicted to reach the accuracy ``target`` (or the pilot to run first),
        predicted by replaying the project's recorded labels."""
        params = {"budget": budget} if target is None else {"target": target}
        return self._call("GET", f"/v1/projects/{project_id}/plan", params=params)

    def apply_plan(self, project_id: int, budget: float) -> dict[str, Any]:
        """Plan for ``budget`` and set the project's policy to the plan."""
        return self._call("POST", f"/v1/projects/{project_id}/plan/apply",
                          json={"budget": budget})

    # -- requester: items, records, exports ----------------------------------------------
    def upload_items(
        self, project_id: int, items: Iterable[dict[str, Any]], *, batch_size: int = UPLOAD_BATCH
    ) -> dict[str, int]:
        """Upload items in batches; each batch lands whole or not at all. Safe to re-run."""
        totals = {"created": 0, "unchanged": 0}
        batch: list[dict[str, Any]] = []
        for item in items:
            batch.append(item)
            if len(batch) == batch_size:
                self._add(totals, self._upload(project_id, batch))
                batch = []
        if batch:
            self._add(totals, self._upload(project_id, batch))
        return totals

    def add_candidates(self, project_id: int,
                       candidates: list[dict[str, Any]]) -> dict[str, int]:
        """Sampled responses to bare prompts become the project's compare or rank items."""
        return self._call("POST", f"/v1/projects/{project_id}/candidates",
                          json={"candidates": candidates})

    def items(self, project_id: int, *, status: str | None = None) -> Iterator[dict[str, Any]]:
        return self._pages(f"/v1/projects/{project_id}/items", {"status": status})

    def records(
        self, project_id: int, *, min_confidence: float | None = None, final: bool = False
    ) -> Iterator[dict[str, Any]]:
        params = {"min_confidence": min_confidence, "final": final or None}
        return self._pages(f"/v1/projects/{project_id}/records", params)

    def export(
        self,
        project_id: int,
        format: str = "records",
        *,
        path: str | Path | None = None,
        min_confidence: float = 0.0,
        include_open: bool = False,
    ) -> Iterator[dict[str, Any]] | int:
        """Rows of an export; with ``path``, streams them to a JSONL file and returns the count."""
        params: dict[str, str | float | bool] = {"format": format, "min_confidence": min_confidence,
                  "include_open": include_open}
        rows = self._stream_lines(f"/v1/projects/{project_id}/export", params)
        if path is None:
            return (json.loads(line) for line in rows)
        count = 0
        with open(path, "w", encoding="utf-8") as out:
            for line in rows:
                out.write(line + "\n")
                count += 1
        return count

    def export_file(
        self, project_id: int, path: str | Path, format: str = "records", *,
        min_confidence: float = 0.0, include_open: bool = False,
    ) -> Path:
        """Download an export to ``path`` (.jsonl or .parquet by its suffix)."""
        path = Path(path)
        kind = "parquet" if path.suffix.lower() == ".parquet" else "jsonl"
        params: dict[str, str | float | bool] = {"format": format, "min_confidence": min_confidence,
                  "include_open": include_open, "file": kind}
        with self._http.stream("GET", f"/v1/projects/{project_id}/export",
                               params=params) as response:
            if response.status_code >= 400:
                response.read()
                raise _error(response)
            with path.open("wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
        return path

    def import_file(self, project_id: int, path: str | Path, format: str, *,
                    strict: bool = False) -> dict[str, Any]:
        """Import hh-rlhf, prm800k or label-studio data; its answers become prior answers.
        Lines that cannot be imported come back in ``skipped`` (``[{line, reason}]``);
        ``strict=True`` refuses the file at its first bad line instead."""
        content = Path(path).read_bytes()
        return self._call("POST", f"/v1/projects/{project_id}/import",
                          params={"format": format, "strict": strict}, content=content,
                          headers={"Content-Type": "application/octet-stream"})

    def ingest(self, project_id: int, paths: list[str | Path], **options: Any) -> dict[str, Any]:
        """Chunk, de-duplicate and redact files into the project's items; the report.
        ``options``: chunk_by, chunk_size, chunk_unit, text_field, near_duplicates, threshold."""
        opened = [Path(p).open("rb") for p in paths]
        try:
            files = [("files", (Path(f.name).name, f, "application/octet-stream"))
                     for f in opened]
            params = {k: v for k, v in options.items() if v is not None}
            return self._call("POST", f"/v1/projects/{project_id}/ingest", params=params,
                              files=files, timeout=None)
        finally:
            for f in opened:
                f.close()

    def ingest_policy(self, project_id: int, **policy: Any) -> dict[str, Any]:
        """The project's personal-data policy; with ``redact``/``replacement``, set it."""
        if policy:
            return self._call("PUT", f"/v1/projects/{project_id}/ingest-policy", json=policy)
        return self._call("GET", f"/v1/projects/{project_id}/ingest-policy")

    def keep_originals(self, keep: bool) -> dict[str, bool]:
        return self._call("PUT", "/v1/organization/originals", json={"keep": keep})

    def original(self, item_id: int) -> dict[str, Any]:
        """An ingested item's text before redaction (this organization's only)."""
        return self._call("GET", f"/v1/items/{item_id}/original")

    def review_sample(self, review_project_id: int, from_project: int, n: int = 100,
                      seed: int | None = None) -> dict[str, int]:
        """Sample ingested chunks of ``from_project`` into a redaction_review project."""
        return self._call("POST", f"/v1/projects/{review_project_id}/redaction-review/sample",
                          json={"from_project": from_project, "n": n, "seed": seed})

    def review_report(self, review_project_id: int) -> dict[str, Any]:
        """Miss and wrong rates per PII type from the reviewed sample."""
        return self._call("GET", f"/v1/projects/{review_project_id}/redaction-review")

    def usage(self, start: str | float | date | datetime,
              end: str | float | date | datetime) -> dict[str, Any]:
        """Metered usage per kind in [start, end): each a date (``"2026-12-01"``, midnight
        UTC), an ISO time, UNIX seconds, or a ``date``/``datetime`` — as ``datafab invoices
        usage --start/--end`` reads them."""
        return self._call("GET", "/v1/usage",
                          params={"start": _moment(start), "end": _moment(end)})

    # -- contributor: work ------------------------------------------------------------------
    def lease(self, project_id: int, n: int = 1) -> list[dict[str, Any]]:
        leases: list[dict[str, Any]] = self.lease_batch(project_id, n)["leases"]
        return leases

    def lease_batch(self, project_id: int, n: int = 1) -> dict[str, Any]:
        """The leases with the contributor's ``state`` on the project and its ``reason``
        (e.g. ``budget_reached``: the project stopped leasing; ``budget_reserved``: the rest
        of its budget is held by leases out, ask again later)."""
        return self._call("POST", f"/v1/projects/{project_id}/leases", json={"n": n})

    def submit(
        self, lease_id: int, answer: dict[str, Any], *, seconds_spent: float | None = None,
        draft: dict[str, Any] | None = None, confidence: float | None = None,
        usage: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Answer a lease. A model adds its calibrated ``confidence`` and its ``usage``
        (model, calls, prompt_tokens, completion_tokens, cost, seconds)."""
        body: dict[str, Any] = {"answer": answer}
        for key, value in (("seconds_spent", seconds_spent), ("draft", draft),
                           ("confidence", confidence), ("usage", usage)):
            if value is not None:
                body[key] = value
        return self._call("POST", f"/v1/leases/{lease_id}/submit", json=body)

    def submit_many(self, submissions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Several answers at once (each ``{"lease_id", "answer", …}``): all land or none."""
        body = {"submissions": submissions}
        answered: list[dict[str, Any]] = self._call("POST", "/v1/submissions", json=body)[
            "submissions"]
        return answered

    def renew(self, lease_id: int) -> dict[str, Any]:
        return self._call("POST", f"/v1/leases/{lease_id}/renew")

    def release(
        self, lease_id: int, *, reason: str | None = None, usage: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Give a lease back unanswered (``reason``: skipped, malformed, failed)."""
        body = {k: v for k, v in (("reason", reason), ("usage", usage)) if v is not None}
        return self._call("POST", f"/v1/leases/{lease_id}/release", json=body or None)

    def instructions(self, project_id: int) -> dict[str, Any]:
        return self._call("GET", f"/v1/projects/{project_id}/instructions")

    def me(self) -> dict[str, Any]:
        return self._call("GET", "/v1/me")

    def item_image(self, project_id: int, item_id: int) -> tuple[bytes, str]:
        """The image of an item this contributor holds a lease on: (bytes, content type)."""
        response = self._send("GET", f"/v1/projects/{project_id}/items/{item_id}/image")
        if response.status_code >= 400:
            raise _error(response)
        return response.content, response.headers.get("content-type", "image/png")

    # -- plumbing ---------------------------------------------------------------------------
    def _upload(self, project_id: int, batch: list[dict[str, Any]]) -> dict[str, int]:
        return self._call("POST", f"/v1/projects/{project_id}/items", json={"items": batch})

    @staticmethod
    def _add(totals: dict[str, int], part: dict[str, int]) -> None:
        for key in totals:
            totals[key] += part.get(key, 0)

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """The JSON object the server answers (every endpoint answers an object)."""
        response = self._send(method, path, **kwargs)
        if response.status_code >= 400:
            raise _error(response)
        body: dict[str, Any] = response.json()
        return body

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The request, retried as the module's docstring says; every try of a POST carries
        the same ``Idempotency-Key``."""
        headers = dict(kwargs.pop("headers", None) or {})
        if method == "POST":
            headers.setdefault("Idempotency-Key", uuid.uuid4().hex)
        resendable = method in RETRY_METHODS and "files" not in kwargs
        for attempt in range(self._retries + 1):
            last = attempt == self._retries
            try:
                response = self._http.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                if last or not (resendable or never_sent and "files" not in kwargs):
                    raise
                self._wait(attempt, None)
                continue
            if last or not resendable or not _retryable(response):
                return response
            self._wait(attempt, response.headers.get("retry-after"))
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        delay = min(self._max_backoff, self._backoff * 2 ** attempt) * random.uniform(0.5, 1.0)
        if retry_after is not None:
            try:
                delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER))
            except ValueError:
                pass
        time.sleep(delay)

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        query = {k: v for k, v in params.items() if v is not None}
        while True:
            page = self._call("GET", path, params=query)
            yield from page["data"]
            if not page.get("next_cursor"):
                return
            query["cursor"] = page["next_cursor"]

    def _stream_lines(self, path: str, params: dict[str, Any]) -> Iterator[str]:
        with self._http.stream("GET", path, params=params) as response:
            if response.status_code >= 400:
                response.read()
                raise _error(response)
            for line in response.iter_lines():
                if line:
                    yield line


def _retryable(response: httpx.Response) -> bool:
    if response.status_code in RETRY_STATUSES:
        return True
    if response.status_code == 409:  # the same key, still being answered: ask again
        try:
            return bool(response.json()["error"]["type"] == "idempotency_in_flight")
        except (ValueError, KeyError, TypeError):
            return False
    return False


def _moment(value: str | float | date | datetime) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _error(response: httpx.Response) -> ApiError:
    try:
        error = response.json()["error"]
        return ApiError(response.status_code, error.get("type", "error"),
                        error.get("message", ""), error.get("field"))
    except (ValueError, KeyError, TypeError):
        return ApiError(response.status_code, "http_error", response.text[:500])
