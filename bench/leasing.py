"""Leasing throughput: lease-then-submit cycles per second, straight SQL against the HTTP API.

For each database (PostgreSQL, SQLite) and 1, 4 and 16 concurrent clients on loopback:
  (a) raw SQL — each client process holds one driver connection (psycopg / sqlite3, no
      SQLAlchemy) and runs the same two transactions the service runs: claim one item
      (the claim statement), then submit (close the leases, lock the items, and per item
      store the submission, re-read the votes and the voters' skills, upsert the record,
      settle the item; then update the contributor's skill evidence once);
  (b) HTTP API — the real `datafab serve` (uvicorn, auth, validation, JSON), each client
      process on one keep-alive connection: POST …/leases, then POST /v1/leases/{id}/submit.
It prints both rates, their ratio and each one's cycle latency (p50/p99 of one lease call plus
its submit call), checks that no item was ever leased twice at once, and ends with
`RESULT api_vs_sql_ratio=… leases_per_s=… p50_ms=… p99_ms=… double_leases=…` for the busiest
PostgreSQL configuration. ``--workers 1 2`` runs one API server per worker count against the
same raw anchor (the line adds ``workers_speedup``); with SQLite in the run the line adds
``sqlite_api_vs_sql_ratio`` at the same clients and batch.
With ``--workforce`` it also runs (c) the HTTP API on a project with a workforce policy (a
required language the contributors hold, a fair-spread cap, pay per task, a budget that is
never reached, tasks priced at 1): the lease gate with the budget's reservation (the
project's advisory lock on PostgreSQL and the sum of live reservations), the ledger entry, the
usage event and the spend on every cycle; the RESULT line then adds ``workforce_vs_sql_ratio``.

    .venv/bin/python bench/leasing.py                 # both databases, 1/4/16 clients
    .venv/bin/python bench/leasing.py --seconds 3 --clients 16 --databases postgres
    .venv/bin/python bench/leasing.py --seconds 3 --clients 1 16 --batch 1 --workforce
    .venv/bin/python bench/leasing.py --seconds 5 --clients 16 --batch 1 10 --workers 1 2
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from datafab.foundry import Foundry
from datafab.services import accounts, billing, items, profiles, projects, workforce
from datafab.settings import Settings
from datafab.store.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = os.environ.get(
    "DATAFAB_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
console = Console(width=200)

# -- the raw SQL anchor: the statements the service issues, through the bare driver ---------
CLAIM_PG = """
WITH picked AS MATERIALIZED (
    SELECT i.id FROM items i
    WHERE i.project_id = %(p)s AND i.status = 'open' AND i.slots > 0
      AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.item_id = i.id AND l.contributor_id = %(c)s)
    ORDER BY i.priority DESC, i.id LIMIT %(n)s FOR UPDATE SKIP LOCKED),
taken AS (
    UPDATE items SET slots = items.slots - 1, n_live = items.n_live + 1
    FROM picked WHERE items.id = picked.id AND items.status = 'open' AND items.slots > 0
    RETURNING items.id, items.data),
granted AS (
    INSERT INTO leases (project_id, item_id, contributor_id, status, expires_at, created_at)
    SELECT %(p)s, taken.id, %(c)s, 'active', %(exp)s, %(now)s FROM taken RETURNING id, item_id)
SELECT granted.id, granted.item_id, taken.data FROM granted JOIN taken ON taken.id = granted.item_id
"""
CLOSE = ("UPDATE leases SET status = 'submitted' WHERE id = {l} AND contributor_id = {c} "
         "AND status = 'active' AND expires_at > {now} RETURNING item_id, project_id")
LOCK_ITEMS = ("SELECT id, data, status, n_labels, n_live, gold_answer, meta FROM items "
              "WHERE id IN ({ids}) ORDER BY id")
SKILLS = ("SELECT contributor_id, counts FROM contributor_skills WHERE project_id = {p} "
          "AND contributor_id IN ({c})")
ADD_SKILLS = (
    "INSERT INTO contributor_skills (project_id, contributor_id, counts, n_labels, gold_seen, "
    "gold_correct, updated_at) VALUES ({p}, {c}, {counts}, {n}, 0, 0, {now}) "
    "ON CONFLICT (project_id, contributor_id) DO UPDATE SET counts = excluded.counts, "
    "n_labels = contributor_skills.n_labels + excluded.n_labels, "
    "updated_at = excluded.updated_at"
)
INSERT_SUBMISSION = (
    "INSERT INTO submissions (lease_id, project_id, item_id, contributor_id, answer, "
    "guideline_version, counted, created_at) "
    "VALUES ({l}, {p}, {i}, {c}, {answer}, 1, {true}, {now})"
)
VOTES = "SELECT contributor_id, answer FROM submissions WHERE item_id = {i} AND counted"
UPSERT_RECORD = (
    "INSERT INTO records (project_id, item_id, answer, confidence, method, n_submissions, "
    "details, created_at, updated_at) VALUES ({p}, {i}, {answer}, 1.0, 'majority', 1, NULL, "
    "{now}, {now}) ON CONFLICT (item_id) DO UPDATE SET answer = excluded.answer, "
    "confidence = excluded.confidence, n_submissions = excluded.n_submissions, "
    "updated_at = excluded.updated_at"
)
SETTLE = "UPDATE items SET n_labels = 1, n_live = 0, slots = 0, status = 'done' WHERE id = {i}"


def _pg_marks(sql: str, ids: str = "") -> str:
    return sql.format(l="%(l)s", c="%(c)s", now="%(now)s", i="%(i)s", p="%(p)s",
                      answer="%(answer)s", true="true", ids=ids, counts="%(counts)s",
                      n="%(n)s")


def _lite_marks(sql: str, ids: str = "") -> str:
    return sql.format(l=":l", c=":c", now=":now", i=":i", p=":p", answer=":answer", true="1",
                      ids=ids, counts=":counts", n=":n")


COUNTS = json.dumps([[3.0, 0.0], [0.0, 1.0]])


def raw_client_pg(dsn, project, contributor, batch, seconds, out):
    import psycopg

    conn = psycopg.connect(dsn)
    answer = json.dumps({"label": "a"})
    done, deadline, lat = 0, time.monotonic() + seconds, []
    while time.monotonic() < deadline:
        t0 = time.perf_counter()
        now = time.time()
        with conn.transaction():
            rows = conn.execute(CLAIM_PG, {"p": project, "c": contributor, "now": now,
                                           "exp": now + 600, "n": batch}).fetchall()
        if not rows:
            break
        with conn.transaction():
            now = time.time()
            for lease, _, _ in sorted(rows):
                conn.execute(_pg_marks(CLOSE), {"l": lease, "c": contributor,
                                                "now": now}).fetchone()
            ids = ",".join(str(r[1]) for r in rows)
            conn.execute(_pg_marks(LOCK_ITEMS, ids) + " FOR UPDATE").fetchall()
            for lease, item, _ in rows:
                args = {"l": lease, "c": contributor, "now": now, "i": item, "p": project,
                        "answer": answer}
                conn.execute(_pg_marks(INSERT_SUBMISSION), args)
                conn.execute(_pg_marks(VOTES), args).fetchall()
                conn.execute(_pg_marks(SKILLS), args).fetchall()
                conn.execute(_pg_marks(UPSERT_RECORD), args)
                conn.execute(_pg_marks(SETTLE), args)
            conn.execute(_pg_marks(ADD_SKILLS), {"p": project, "c": contributor, "now": now,
                                                 "counts": COUNTS, "n": len(rows)})
        done += len(rows)
        lat.append(time.perf_counter() - t0)
    conn.close()
    out.put((done, lat))


def raw_client_sqlite(path, project, contributor, batch, seconds, out):
    import sqlite3

    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.execute("PRAGMA busy_timeout=30000")
    answer = json.dumps({"label": "a"})
    pick = ("SELECT i.id FROM items i WHERE i.project_id = :p AND i.status = 'open' "
            "AND i.slots > 0 AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.item_id = i.id "
            "AND l.contributor_id = :c) ORDER BY i.priority DESC, i.id LIMIT :n")
    done, deadline, lat = 0, time.monotonic() + seconds, []
    while time.monotonic() < deadline:
        t0 = time.perf_counter()
        now = time.time()
        conn.execute("BEGIN IMMEDIATE")
        picked = [r[0] for r in conn.execute(pick, {"p": project, "c": contributor, "n": batch})]
        granted = []
        for item in picked:
            conn.execute("UPDATE items SET slots = slots - 1, n_live = n_live + 1 WHERE id = ? "
                         "RETURNING data", (item,)).fetchone()
            lease = conn.execute(
                "INSERT INTO leases (project_id, item_id, contributor_id, status, expires_at, "
                "created_at) VALUES (?, ?, ?, 'active', ?, ?) RETURNING id",
                (project, item, contributor, now + 600, now)).fetchone()[0]
            granted.append((lease, item))
        conn.execute("COMMIT")
        if not granted:
            break
        conn.execute("BEGIN IMMEDIATE")
        now = time.time()
        for lease, _ in sorted(granted):
            conn.execute(_lite_marks(CLOSE), {"l": lease, "c": contributor, "now": now})
        ids = ",".join(str(item) for _, item in granted)
        conn.execute(_lite_marks(LOCK_ITEMS, ids)).fetchall()
        for lease, item in granted:
            args = {"l": lease, "c": contributor, "now": now, "i": item, "p": project,
                    "answer": answer}
            conn.execute(_lite_marks(INSERT_SUBMISSION), args)
            conn.execute(_lite_marks(VOTES), args).fetchall()
            conn.execute(_lite_marks(SKILLS), args).fetchall()
            conn.execute(_lite_marks(UPSERT_RECORD), args)
            conn.execute(_lite_marks(SETTLE), args)
        conn.execute(_lite_marks(ADD_SKILLS), {"p": project, "c": contributor, "now": now,
                                               "counts": COUNTS, "n": len(granted)})
        conn.execute("COMMIT")
        done += len(granted)
        lat.append(time.perf_counter() - t0)
    conn.close()
    out.put((done, lat))


# -- the HTTP API ---------------------------------------------------------------------------
def api_client(port, project, token, batch, seconds, out):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    lease_body = json.dumps({"n": batch})
    answer = {"label": "a"}
    done, deadline, lat = 0, time.monotonic() + seconds, []
    while time.monotonic() < deadline:
        t0 = time.perf_counter()
        conn.request("POST", f"/v1/projects/{project}/leases", lease_body, headers)
        leases = json.loads(conn.getresponse().read())["leases"]
        if not leases:
            break
        if len(leases) == 1:
            path, body = f"/v1/leases/{leases[0]['id']}/submit", {"answer": answer}
        else:
            path = "/v1/submissions"
            body = {"submissions": [{"lease_id": x["id"], "answer": answer} for x in leases]}
        conn.request("POST", path, json.dumps(body), headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"submit answered {response.status}")
        done += len(leases)
        lat.append(time.perf_counter() - t0)
    conn.close()
    out.put((done, lat))


def _run_clients(target, args_per_client, seconds) -> Run:
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, seconds, out)) for args in args_per_client]
    start = time.monotonic()
    for p in procs:
        p.start()
    results = [out.get(timeout=seconds + 120) for _ in procs]
    elapsed = time.monotonic() - start
    for p in procs:
        p.join()
    latencies = sorted(x for _, lat in results for x in lat)
    return Run(sum(done for done, _ in results) / elapsed, _quantile(latencies, 0.5),
               _quantile(latencies, 0.99))


@dataclass
class Run:
    """Items leased and answered per second; a lease-then-submit cycle's p50/p99 in ms."""

    rate: float
    p50_ms: float
    p99_ms: float
    double: int = 0

    def latency(self) -> str:
        return f"{self.p50_ms:.1f} / {self.p99_ms:.1f}"


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return 1000 * values[min(len(values) - 1, int(q * len(values)))]


# -- set-up ---------------------------------------------------------------------------------
class Bench:
    def __init__(self, url: str, kind: str) -> None:
        self.url, self.kind = url, kind
        upgrade(url)
        self.foundry = Foundry(Settings(database_url=url))
        self.org, self.key = accounts.create_organization(self.foundry, "bench")
        self.tokens, self.contributors = [], []
        for i in range(16):
            who, token = accounts.create_contributor(self.foundry, {"name": f"bench-{i}"})
            self.contributors.append(who.id)
            self.tokens.append(token)
            profiles.update_skills(self.foundry, who.id,
                                   {"languages": [{"name": "en", "level": "native"}]})

    def project(self, n_items: int, with_workforce: bool = False) -> int:
        project = projects.create_project(
            self.foundry, self.org,
            {"name": f"bench-{uuid.uuid4().hex[:8]}", "primitive": "classify",
             "settings": {"labels": ["a", "b"]}, "policy": {"min_labels": 1, "max_labels": 1}},
        )
        for start in range(0, n_items, 10_000):
            batch = [{"external_id": str(i), "data": {"text": f"item {i}"}}
                     for i in range(start, min(n_items, start + 10_000))]
            items.upload_items(self.foundry, self.org, project.id, batch)
        if with_workforce:
            # a task price, so each lease reserves and each answer adds to spend
            billing.set_price_sheet(self.foundry, self.org, {"task_minor": 1})
            workforce.set_policy(self.foundry, self.org, project.id, {
                "requirements": [{"kind": "language", "name": "en", "level": "fluent"}],
                "max_share": 1.0, "pay": {"per_task_minor": 10}, "budget_minor": 10**12})
        return project.id

    def double_leases(self, project: int) -> int:
        engine = create_engine(self.url)
        with engine.connect() as conn:
            twice = conn.execute(text(
                "SELECT count(*) FROM (SELECT item_id FROM leases WHERE project_id = :p "
                "GROUP BY item_id HAVING count(*) > 1) AS t"), {"p": project}).scalar()
            extra = conn.execute(text(
                "SELECT count(*) FROM (SELECT item_id FROM submissions WHERE project_id = :p "
                "GROUP BY item_id HAVING count(*) > 1) AS t"), {"p": project}).scalar()
        engine.dispose()
        return int(twice) + int(extra)

    def raw(self, clients: int, batch: int, seconds: float, n_items: int) -> Run:
        project = self.project(n_items)
        if self.kind == "postgres":
            dsn = make_url(self.url).set(drivername="postgresql").render_as_string(False)
            args = [(dsn, project, self.contributors[i], batch) for i in range(clients)]
            run = _run_clients(raw_client_pg, args, seconds)
        else:
            path = make_url(self.url).database
            args = [(path, project, self.contributors[i], batch) for i in range(clients)]
            run = _run_clients(raw_client_sqlite, args, seconds)
        run.double = self.double_leases(project)
        return run

    def api(self, clients: int, batch: int, seconds: float, n_items: int,
            port: int, with_workforce: bool = False) -> Run:
        project = self.project(n_items, with_workforce)
        args = [(port, project, self.tokens[i], batch) for i in range(clients)]
        run = _run_clients(api_client, args, seconds)
        run.double = self.double_leases(project)
        return run


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, workers: int) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = {**os.environ, "DATAFAB_DATABASE_URL": url,
           "DATAFAB_RATE_LIMIT_API_KEY": "0", "DATAFAB_RATE_LIMIT_CONTRIBUTOR": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "datafab.cli", "serve", "--port", str(port),
         "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def stop_server(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def pg_database() -> tuple[str, callable]:
    server = make_url(PG_SERVER)
    name = f"datafab_bench_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return server.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--databases", nargs="+", default=["postgres", "sqlite"])
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 10],
                        help="items leased per lease call and answered per submit call")
    parser.add_argument("--workers", type=int, nargs="+", default=[2],
                        help="API processes on PostgreSQL (several: one server each, same run)")
    parser.add_argument("--workforce", action="store_true",
                        help="also run the API on a project with a workforce policy")
    args = parser.parse_args()

    table = Table(title="lease-then-submit: items per second, cycle p50 / p99 ms")
    columns = ["database", "clients", "batch", "workers", "raw SQL /s", "raw p50/p99",
               "HTTP API /s", "API p50/p99", "API / SQL"]
    if args.workforce:
        columns += ["API, workforce /s", "workforce / SQL"]
    for column in columns + ["double leases"]:
        table.add_column(column, justify="right")
    result: dict[tuple[str, int, int, int], tuple[Run, Run]] = {}
    gated: dict[tuple[str, int, int, int], Run] = {}
    doubles = 0  # items leased twice at once, or answered twice, over every run
    for kind in args.databases:
        if kind == "postgres":
            url, cleanup = pg_database()
            worker_counts = args.workers
        else:
            tmp = tempfile.mkdtemp()
            url, cleanup = f"sqlite:///{tmp}/bench.db", lambda t=tmp: shutil.rmtree(t)
            worker_counts = [1]
        try:
            bench = Bench(url, kind)
            try:
                for clients in args.clients:
                    for batch in args.batch:
                        n_items = int(clients * 400 * args.seconds * max(1, batch / 2)) + 5_000
                        console.print(f"[dim]{kind}, {clients} clients, batch {batch} …[/dim]")
                        raw = bench.raw(clients, batch, args.seconds, n_items)
                        doubles += raw.double
                        for workers in worker_counts:
                            # one server at a time: an idle one's background refits would
                            # take the machine from the next
                            proc, port = start_server(url, workers)
                            try:
                                api = bench.api(clients, batch, args.seconds, n_items, port)
                                row = [kind, str(clients), str(batch), str(workers),
                                       f"{raw.rate:,.0f}", raw.latency(), f"{api.rate:,.0f}",
                                       api.latency(), f"{api.rate / raw.rate:.0%}"]
                                double = api.double
                                key = (kind, clients, batch, workers)
                                if args.workforce:
                                    wf = bench.api(clients, batch, args.seconds, n_items, port,
                                                   with_workforce=True)
                                    double += wf.double
                                    gated[key] = wf
                                    row += [f"{wf.rate:,.0f}", f"{wf.rate / raw.rate:.0%}"]
                            finally:
                                stop_server(proc)
                            table.add_row(*row, str(raw.double + double))
                            doubles += double
                            result[key] = (raw, api)
            finally:
                bench.foundry.close()
        finally:
            cleanup()
    console.print(table)
    print_result(result, gated, doubles)


def print_result(result: dict[tuple[str, int, int, int], tuple[Run, Run]],
                 gated: dict[tuple[str, int, int, int], Run], doubles: int) -> None:
    """One RESULT line: the busiest PostgreSQL configuration (most clients, largest batch,
    most workers), the worker speed-up and SQLite's ratio at the same clients and batch."""
    key = max(result, key=lambda k: (k[0] == "postgres", k[1], k[2], k[3]))
    raw, api = result[key]
    console.print(f"RESULT line: {key[0]}, {key[1]} clients, batch {key[2]}, "
                  f"{key[3]} workers")
    extra = f" workforce_vs_sql_ratio={gated[key].rate / raw.rate:.2f}" if key in gated else ""
    one = (key[0], key[1], key[2], 1)
    if key[3] > 1 and one in result:
        extra += f" workers_speedup={api.rate / result[one][1].rate:.2f}"
    lite = ("sqlite", key[1], key[2], 1)
    if lite in result:
        extra += f" sqlite_api_vs_sql_ratio={result[lite][1].rate / result[lite][0].rate:.2f}"
    print(f"RESULT api_vs_sql_ratio={api.rate / raw.rate:.2f} leases_per_s={api.rate:.0f} "
          f"p50_ms={api.p50_ms:.1f} p99_ms={api.p99_ms:.1f} double_leases={doubles}{extra}")


if __name__ == "__main__":
    main()
