"""The deliverer: sends due deliveries, at least once, in order per subject.

The ``Deliverer`` claims due deliveries in one statement (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, see ``store.outbox``), only the oldest pending delivery of each (target,
subject) chain, so a receiver sees the events about one item in the order they happened;
organizations in turn, none with more than half the slots in flight. It sends several at
once, each within a wall-clock deadline, and settles each alone. A failed try is retried
with exponential backoff until ``webhook_retry_hours`` after the event; then it is marked
failed. Every request carries ``Datafab-Event-Id``, ``Datafab-Event-Type``,
``Datafab-Timestamp`` and ``Datafab-Signature`` (see ``signing``)."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import httpx

from datafab import netguard
from datafab.foundry import Foundry
from datafab.services.webhooks.endpoints import allowed
from datafab.services.webhooks.outbox import event_body
from datafab.services.webhooks.signing import sign, signing_secret
from datafab.services.webhooks.transport import CheckedTransport, set_deadline
from datafab.store import webhooks as queries
from datafab.store.outbox import claim_deliveries

log = logging.getLogger("datafab.webhooks")

LOCK_SECONDS = 60.0  # a claimed delivery is someone's for this long (then it is free again)


@dataclass(frozen=True)
class Attempt:
    delivery_id: int
    ok: bool
    status_code: int | None
    error: str | None


def backoff(attempts: int, base: float, cap: float) -> float:
    """Seconds to wait after the ``attempts``-th failed try: base·2^(n-1), at most ``cap``."""
    return min(cap, base * 2 ** max(0, attempts - 1))


def _reason(text: str) -> str:
    """An error as the log can store it (no NUL, no lone surrogate), at most 500 characters."""
    clean = text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")
    return clean[:500]


class Deliverer:
    """Sends due deliveries, several at once, none of them longer than its deadline.

    ``run_once`` is one pass (claim, send all in parallel, wait); ``start`` runs
    ``run_forever`` in a thread, which keeps up to ``workers`` deliveries in flight and claims
    more as each ends. The claim (``store.outbox``) takes organizations in turn and never gives
    one organization more than ``per_org`` (half the slots) in flight, so one organization's
    backlog or slow endpoint cannot hold up another's deliveries for longer than a claim.

    Each delivery settles alone: a 2xx marks it delivered; a failed try (refused connection,
    timeout, non-2xx) is retried with backoff; a request that cannot be made at all (the
    destination rule refuses it, or a URL stored before URLs were checked as they are now)
    fails at once with the reason. Whatever one delivery raises is caught for that delivery.

    ``webhook_timeout_seconds`` bounds a whole delivery — connect, send, the answer's status
    line and headers — by wall clock, not per read; the answer's body is never read.

    Its client connects only where ``webhook_allowed_networks`` permits, does not follow
    redirects (a 3xx is a failed try: the next hop could be anywhere) and takes nothing from
    the environment: no proxy (which, not Datafab, would resolve the host), no .netrc."""

    def __init__(self, foundry: Foundry, *, batch: int = 50, workers: int | None = None
                 ) -> None:
        settings = foundry.settings
        self.foundry, self.batch = foundry, batch
        self.workers = workers or settings.webhook_concurrency
        self.per_org = max(1, self.workers // 2)
        self.deadline = settings.webhook_timeout_seconds
        # held well past the deadline, so a delivery still being sent is never taken twice
        self.lock_seconds = max(LOCK_SECONDS, 2 * self.deadline + 10)
        self.client = httpx.Client(timeout=self.deadline, follow_redirects=False,
                                   trust_env=False, transport=CheckedTransport(allowed(foundry)))
        self.pool = ThreadPoolExecutor(self.workers, thread_name_prefix="datafab-webhook")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def claim(self, n: int | None = None) -> list[Any]:
        now = self.foundry.now()
        with self.foundry.db.write() as conn:
            return claim_deliveries(conn, now=now, lock_until=now + self.lock_seconds,
                                    n=self.batch if n is None else n, per_org=self.per_org)

    def run_once(self) -> list[Attempt]:
        """Claim what is due (the head of each chain, organizations in turn) and send it, in
        parallel; what happened to each."""
        futures = [self.pool.submit(self._send, row) for row in self.claim()]
        attempts = []
        for future in futures:
            try:
                attempts.append(future.result())
            except Exception:  # settling failed (the database): the lock runs out, retried
                log.exception("webhook delivery could not be settled")
        return attempts

    def drain(self, max_passes: int = 1000) -> int:
        """Pass until nothing is due now; how many deliveries succeeded."""
        ok = 0
        for _ in range(max_passes):
            attempts = self.run_once()
            if not attempts:
                break
            ok += sum(a.ok for a in attempts)
        return ok

    def _send(self, row) -> Attempt:
        started = time.monotonic()
        set_deadline(started + self.deadline)
        code, error, final = None, None, False
        try:
            body = row.body if row.body is not None else event_body(
                row.event_id, row.type, row.event_created_at, row.payload)
            timestamp = int(self.foundry.now())
            secret = row.secret or signing_secret(self.foundry, row.organization_id)
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "Datafab-Webhooks/1",
                "Datafab-Event-Id": f"evt_{row.event_id}",
                "Datafab-Event-Type": row.type,
                "Datafab-Delivery-Id": str(row.id),
                "Datafab-Timestamp": str(timestamp),
                "Datafab-Signature": sign(secret, timestamp, body),
            }
            # streamed, so only the status line and headers are read, never the body
            with self.client.stream("POST", row.url, content=body.encode(),
                                    headers=headers) as response:
                code = response.status_code
            if not 200 <= code < 300:
                error = f"HTTP {code}"
        except netguard.Refused as exc:  # policy, not a fault: trying again cannot help
            error, final = f"refused: {exc}", True
        except httpx.TimeoutException as exc:
            error = f"{type(exc).__name__}: " + (
                f"no answer within {self.deadline:g} s"
                if time.monotonic() - started >= self.deadline else str(exc))
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, UnicodeError, ValueError) as exc:
            # the request cannot be made as stored (a URL from before URLs were checked as
            # they are now): it never will be
            log.warning("webhook delivery %s cannot be sent: %r", row.id, exc)
            error, final = f"unsendable: {type(exc).__name__}: {exc}", True
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # anything else (the database, say): this try failed alone
            log.exception("webhook delivery %s failed", row.id)
            error = f"error: {type(exc).__name__}: {exc}"
        finally:
            set_deadline(None)
        error = None if error is None else _reason(error)
        self._settle(row, code, error, final=final)
        return Attempt(row.id, error is None, code, error)

    def _settle(self, row, code: int | None, error: str | None, *, final: bool = False
                ) -> None:
        settings, now = self.foundry.settings, self.foundry.now()
        attempts = row.attempts + 1
        values: dict[str, Any] = {"attempts": attempts, "last_status_code": code,
                                  "last_error": error, "locked_until": None}
        if error is None:
            values.update(status="delivered", delivered_at=now)
        else:
            wait = backoff(attempts, settings.webhook_backoff_seconds,
                           settings.webhook_backoff_max_seconds)
            horizon = row.event_created_at + settings.webhook_retry_hours * 3600
            if final or now + wait > horizon:
                values["status"] = "failed"
            else:
                values["next_attempt_at"] = now + wait
        with self.foundry.db.write() as conn:
            queries.settle_delivery(conn, row.id, values)

    def start(self, idle_seconds: float = 0.5) -> None:
        """Deliver in a background thread until ``stop``."""
        self._thread = threading.Thread(target=self.run_forever, args=(idle_seconds,),
                                        name="datafab-webhooks", daemon=True)
        self._thread.start()

    def run_forever(self, idle_seconds: float = 0.5) -> None:
        """Keep up to ``workers`` deliveries in flight: claim for the free slots, wait until
        one ends (or ``idle_seconds``, for new work), claim again."""
        in_flight: set[Future] = set()
        while not self._stop.is_set():
            free = self.workers - len(in_flight)
            if free > 0:
                try:
                    rows = self.claim(free)
                except Exception:  # the loop must outlive a database hiccup
                    log.exception("claiming webhook deliveries failed")
                    rows = []
                in_flight |= {self.pool.submit(self._send, row) for row in rows}
            if not in_flight:
                self._stop.wait(idle_seconds)
                continue
            done, in_flight = wait(in_flight, timeout=idle_seconds,
                                   return_when=FIRST_COMPLETED)
            for future in done:
                if future.exception() is not None:
                    log.error("webhook delivery could not be settled",
                              exc_info=future.exception())
        wait(in_flight, timeout=self.deadline + 5)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.deadline + 10)
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.client.close()
