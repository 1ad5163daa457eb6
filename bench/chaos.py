"""Chaos: contributors lease and submit against `datafab serve` on PostgreSQL while the server
is killed with SIGKILL at random moments and restarted.

32 contributor threads (one keep-alive HTTP client each, loopback only) lease 1 to 3 items,
answer them (now and then one walks away from a lease and lets it expire), and send every
POST with an ``Idempotency-Key``; a request that fails on a dead connection, a 5xx or a 409
"still in flight" is retried with the same key until it gets an answer. Meanwhile the server
process group is killed with SIGKILL several times and restarted. The run is bounded in time
(``--seconds`` of work, then a bounded drain) and in requests (``--max-requests``).

Afterwards the server is stopped, leases still out are expired, and the database is checked:

- every submission the server acknowledged (a 2xx) is stored, exactly once, under the
  submission id the client was given (``lost``, ``duplicated``: also no contributor has two
  submissions for one item);
- no item was ever held by more live leases than it had labels left to give
  (``double_leases``, from the leases table and the database's clock: a lease is live from
  its ``created_at``, read after its claim locked the item, to its ``ended_at``, read when it
  was submitted, released or expired; see ``double_leases``);
- every item is either finished (its labels all given, nothing live) or back in the pool
  (its free slots equal the labels it still wants) — ``unsettled``;
- every record equals a fresh recomputation from the stored submissions — ``mismatched``.

It ends with one line, ``RESULT acked=… stored=… lost=… duplicated=… double_leases=…``, and
exits non-zero when any property fails.

    .venv/bin/python bench/chaos.py                         # 32 contributors, 60 s, 5 kills
    .venv/bin/python bench/chaos.py --seconds 8 --kills 2 --contributors 8 --items 200
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import httpx
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from datafab.foundry import Foundry
from datafab.primitives import Vote
from datafab.services import accounts, items, projects, quality, work
from datafab.services.projects import load_project
from datafab.settings import Settings
from datafab.store.migrate import upgrade
from datafab.store.tables import items as items_table
from datafab.store.tables import leases, records, submissions

PG_SERVER = os.environ.get(
    "DATAFAB_BENCH_DATABASE_URL",
    os.environ.get("DATAFAB_TEST_DATABASE_URL",
                   "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
)
LABELS = ["cat", "dog", "bird"]
HOST = "127.0.0.1"


# -- the server: start, SIGKILL, restart -------------------------------------------------------

class Server:
    def __init__(self, url: str, workers: int, lease_lock: float) -> None:
        self.url, self.workers = url, workers
        self.port = _free_port()
        self.env = {
            **os.environ,
            "DATAFAB_DATABASE_URL": url,
            "DATAFAB_IDEMPOTENCY_LOCK_SECONDS": str(lease_lock),
            "DATAFAB_RATE_LIMIT_API_KEY": "0",
            "DATAFAB_RATE_LIMIT_CONTRIBUTOR": "0",
        }
        self.proc: subprocess.Popen | None = None
        self.kills = 0
        self.down_seconds = 0.0

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "datafab.cli", "serve", "--host", HOST,
             "--port", str(self.port), "--workers", str(self.workers)],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown, no flush, connections cut."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.kills += 1

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# -- the contributors ----------------------------------------------------------------------------

@dataclass
class Tally:
    requests: int = 0
    retries: int = 0
    replays: int = 0
    acked: dict[int, int] = field(default_factory=dict)  # lease id -> submission id
    landed_before: int = 0  # a retried submit refused as already submitted (never expected)
    expired: int = 0
    walked_away: int = 0
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class GaveUp(Exception):
    pass


class Contributor(threading.Thread):
    def __init__(self, server: Server, token: str, project_id: int, tally: Tally,
                 stop_at: float, give_up_at: float, budget: threading.Semaphore,
                 seed: int) -> None:
        super().__init__(daemon=True)
        self.server, self.token, self.project_id, self.tally = server, token, project_id, tally
        self.stop_at, self.give_up_at, self.budget = stop_at, give_up_at, budget
        self.rng = random.Random(seed)

    def post(self, client: httpx.Client, path: str, body: dict) -> httpx.Response:
        """POST until the server answers, always with the same Idempotency-Key."""
        key = uuid.uuid4().hex
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": key}
        first = True
        while True:
            if time.monotonic() > self.give_up_at or not self.budget.acquire(blocking=False):
                raise GaveUp
            with self.tally.lock:
                self.tally.requests += 1
                self.tally.retries += not first
            first = False
            try:
                r = client.post(self.server.base + path, json=body, headers=headers)
            except httpx.TransportError:
                time.sleep(self.rng.uniform(0.05, 0.2))
                continue
            if r.status_code >= 500 or r.status_code == 429 or (
                r.status_code == 409 and _type(r) == "idempotency_in_flight"
            ):
                time.sleep(min(float(r.headers.get("retry-after", 0.2)), 1.0))
                continue
            if r.headers.get("idempotent-replayed") == "true":
                with self.tally.lock:
                    self.tally.replays += 1
            return r

    def run(self) -> None:
        with httpx.Client(timeout=10) as client:
            try:
                while time.monotonic() < self.stop_at:
                    self.turn(client)
            except GaveUp:
                pass

    def turn(self, client: httpx.Client) -> None:
        r = self.post(client, f"/v1/projects/{self.project_id}/leases",
                      {"n": self.rng.randint(1, 3)})
        if r.status_code != 200:
            self.note(f"lease: {r.status_code} {r.text[:200]}")
            return
        granted = r.json()["leases"]
        if not granted:
            time.sleep(0.2)  # the pool is dry for now: leases out there will expire
            return
        for lease in granted:
            if self.rng.random() < 0.05:
                with self.tally.lock:
                    self.tally.walked_away += 1
                continue
            external = lease["item"]["external_id"]
            answer = _answer(external, self.rng)
            r = self.post(client, f"/v1/leases/{lease['id']}/submit", {"answer": answer})
            with self.tally.lock:
                if r.status_code == 200:
                    self.tally.acked[lease["id"]] = r.json()["submission_id"]
                elif r.status_code == 409 and "already submitted" in r.text:
                    self.tally.landed_before += 1
                    self.tally.unexpected.append(f"submit: {r.status_code} {r.text[:200]}")
                elif r.status_code == 409 and _type(r) == "lease_expired":
                    self.tally.expired += 1
                else:
                    self.tally.unexpected.append(f"submit: {r.status_code} {r.text[:200]}")

    def note(self, message: str) -> None:
        with self.tally.lock:
            self.tally.unexpected.append(message)


def _type(r: httpx.Response) -> str | None:
    try:
        return r.json()["error"]["type"]
    except Exception:
        return None


def _answer(external_id: str, rng: random.Random) -> dict:
    truth = LABELS[int(external_id.split("-")[1]) % len(LABELS)]
    return {"label": truth if rng.random() < 0.8 else rng.choice(LABELS)}


# -- the checks --------------------------------------------------------------------------------

def double_leases(all_leases, labels: int) -> int:
    """Leases granted while their item already had ``labels`` leases taken, by the facts the
    database guarantees: a lease's ``created_at`` is the database's clock after the claim
    locked the item, its ``ended_at`` the database's clock when it stopped being live, and a
    lease that ended (released, expired) before another of its item was granted has an
    earlier ``ended_at`` than the other's ``created_at`` (the claim could only see the freed
    slot once the end committed). At the moment lease ``b`` was granted, an earlier lease
    ``a`` of the item still held a slot if it was submitted (a label given, or about to be)
    or had not ended yet."""
    by_item: dict[int, list] = defaultdict(list)
    for lease in all_leases:
        by_item[lease.item_id].append(lease)
    double = 0
    for held in by_item.values():
        held.sort(key=lambda lease: (lease.created_at, lease.id))
        for i, b in enumerate(held):
            taken = sum(1 for a in held[:i] if a.status == "submitted" or a.ended_at is None
                        or a.ended_at > b.created_at)
            double += taken >= labels
    return double


def double_leases_by_server_clock(all_leases, subs, labels: int, lease_seconds: int) -> int:
    """The same count by the server's clocks, as this check once did: a lease from the moment
    its request read the clock (its deadline less the lease length, read before the claim
    waited for anything) until its submission's request time or its deadline (not when the
    sweep actually freed it). Kept to show how far those times are from the truth."""
    submitted_at = {s.lease_id: s.created_at for s in subs}
    item_leases: dict[int, list] = defaultdict(list)
    for lease in all_leases:
        item_leases[lease.item_id].append(lease)
    double = 0
    for held in item_leases.values():
        for i, b in enumerate(held):
            b_start = b.expires_at - lease_seconds
            taken = 0
            for a in held[:i]:
                end = submitted_at.get(a.id, a.expires_at)
                if a.id in submitted_at and end <= b_start:
                    taken += 1
                elif a.expires_at - lease_seconds <= b_start < end:
                    taken += 1
            double += taken >= labels
    return double


def check(url: str, project_id: int, labels: int, tally: Tally,
          lease_seconds: int) -> dict[str, int]:
    # Leases still out end now: expire them as if their deadline had passed.
    settings = Settings(database_url=url, refit_in_background=False)
    foundry = Foundry(settings, clock=lambda: time.time() + 86_400 * 2)
    work.expire_leases(foundry)
    try:
        with foundry.db.read() as conn:
            subs = conn.execute(select(submissions)).all()
            all_leases = conn.execute(select(leases).order_by(leases.c.id)).all()
            item_rows = conn.execute(
                select(items_table).where(items_table.c.project_id == project_id)).all()
            record_rows = {r.item_id: r for r in conn.execute(select(records)).all()}
            project = load_project(conn, None, project_id)
            fresh = {}
            by_item: dict[int, list] = defaultdict(list)
            for s in sorted(subs, key=lambda s: s.id):
                by_item[s.item_id].append(s)
            for item in item_rows:
                votes = [Vote(contributor=s.contributor_id, answer=s.answer)
                         for s in by_item[item.id] if s.counted]
                if votes:
                    fresh[item.id] = (quality.item_outcome(foundry, conn, project, item.data,
                                                           votes, quality.Evidence()),
                                      len(votes))
    finally:
        foundry.close()

    by_lease = Counter(s.lease_id for s in subs if s.lease_id is not None)
    sub_of_lease = {s.lease_id: s.id for s in subs}
    lost = sum(1 for lease_id, sid in tally.acked.items() if sub_of_lease.get(lease_id) != sid)
    pairs = Counter((s.item_id, s.contributor_id) for s in subs)
    duplicated = sum(n - 1 for n in by_lease.values() if n > 1) + sum(
        n - 1 for n in pairs.values() if n > 1)

    double = double_leases(all_leases, labels)
    by_server_clock = double_leases_by_server_clock(all_leases, subs, labels, lease_seconds)

    unsettled = 0
    for item in item_rows:
        given = len([s for s in by_item[item.id] if s.counted])
        if item.n_live != 0 or item.n_labels != given:
            unsettled += 1
        elif item.status == "done":
            unsettled += given < labels
        elif item.status == "open":
            unsettled += item.slots != labels - given
        else:
            unsettled += 1
    mismatched = 0
    for item_id, (outcome, n) in fresh.items():
        stored = record_rows.get(item_id)
        if stored is None or stored.answer != outcome.answer or stored.n_submissions != n or \
                abs(stored.confidence - outcome.confidence) > 1e-9:
            mismatched += 1
    mismatched += sum(1 for item_id in record_rows if item_id not in fresh)
    return {
        "acked": len(tally.acked), "stored": len(subs), "lost": lost, "duplicated": duplicated,
        "double_leases": double, "by_server_clock": by_server_clock, "unsettled": unsettled,
        "mismatched": mismatched,
        "leases": len(all_leases), "items_done": sum(i.status == "done" for i in item_rows),
        "items": len(item_rows),
    }


# -- the run -----------------------------------------------------------------------------------

def fresh_database() -> tuple[str, callable]:
    server = make_url(PG_SERVER)
    name = f"datafab_chaos_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return server.set(database=name).render_as_string(hide_password=False), drop


def setup(url: str, n_items: int, n_contributors: int, labels: int,
          lease_seconds: int) -> tuple[int, list[str]]:
    upgrade(url)
    foundry = Foundry(Settings(database_url=url, refit_in_background=False))
    try:
        org, _key = accounts.create_organization(foundry, "Chaos")
        project = projects.create_project(foundry, org, {
            "name": "chaos", "primitive": "classify", "guidelines": "Pick the animal.",
            "settings": {"labels": LABELS},
            "policy": {"min_labels": labels, "max_labels": labels, "method": "majority",
                       "lease_seconds": lease_seconds},
        })
        items.upload_items(foundry, org, project.id, [
            {"external_id": f"img-{i}", "data": {"image_url": f"https://example.org/{i}.jpg"}}
            for i in range(n_items)
        ])
        tokens = [accounts.create_contributor(foundry, {"name": f"c{i}"})[1]
                  for i in range(n_contributors)]
    finally:
        foundry.close()
    return project.id, tokens


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contributors", type=int, default=32)
    parser.add_argument("--items", type=int, default=4000)
    parser.add_argument("--labels", type=int, default=2, help="labels every item gets")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long contributors work")
    parser.add_argument("--kills", type=int, default=5, help="SIGKILLs during the run")
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--lease-seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1, help="API processes")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    url, drop = fresh_database()
    server = Server(url, args.workers, lease_lock=2.0)
    try:
        project_id, tokens = setup(url, args.items, args.contributors, args.labels,
                                   args.lease_seconds)
        server.start()
        tally = Tally()
        started = time.monotonic()
        stop_at = started + args.seconds
        give_up_at = stop_at + 30  # a request in flight at the end gets this long to land
        budget = threading.Semaphore(args.max_requests)
        threads = [Contributor(server, token, project_id, tally, stop_at, give_up_at, budget,
                               seed=rng.randrange(2**32)) for token in tokens]
        for t in threads:
            t.start()
        # Kill at random moments in the first 80% of the run; restart after a short pause.
        moments = sorted(rng.uniform(0.05, 0.8) * args.seconds for _ in range(args.kills))
        for moment in moments:
            time.sleep(max(0.0, started + moment - time.monotonic()))
            server.kill()
            down = time.monotonic()
            time.sleep(rng.uniform(0.1, 1.0))
            server.start()
            server.down_seconds += time.monotonic() - down
            print(f"  killed at {moment:5.1f} s, back after "
                  f"{time.monotonic() - down:.1f} s", flush=True)
        for t in threads:
            t.join(timeout=max(1.0, give_up_at - time.monotonic() + 5))
        elapsed = time.monotonic() - started
        server.stop()
        result = check(url, project_id, args.labels, tally, args.lease_seconds)
    finally:
        server.stop()
        drop()

    print(f"{args.contributors} contributors, {elapsed:.1f} s, {server.kills} SIGKILLs "
          f"({server.down_seconds:.1f} s down), {tally.requests} requests "
          f"({tally.retries} retries, {tally.replays} replayed answers), "
          f"{result['leases']} leases, {result['items_done']}/{result['items']} items done")
    print(f"  retried submits refused as already submitted: {tally.landed_before}; "
          f"leases expired before the answer: {tally.expired}; walked away: "
          f"{tally.walked_away}; unsettled items: {result['unsettled']}; records unlike a "
          f"fresh recomputation: {result['mismatched']}; double leases by the server's "
          f"clocks and deadlines (not the database's): {result['by_server_clock']}")
    for line in tally.unexpected[:10]:
        print("  unexpected:", line)
    print(f"RESULT acked={result['acked']} stored={result['stored']} lost={result['lost']} "
          f"duplicated={result['duplicated']} double_leases={result['double_leases']} "
          f"unsettled={result['unsettled']} mismatched={result['mismatched']} "
          f"kills={server.kills}")
    ok = (result["lost"] == result["duplicated"] == result["double_leases"] == 0
          and result["unsettled"] == result["mismatched"] == 0 and not tally.unexpected
          and result["acked"] > 0 and server.kills == args.kills)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
