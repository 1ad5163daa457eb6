"""What the guideline-acknowledgement gate costs the lease path: lease-then-submit cycles per
second through the services (one process, one contributor; the median of short rounds
taken in turn), on a project whose guidelines
never changed (the anchor: the gate is one cache read) against the same project after a
material change the contributor has acknowledged (the gate's two indexed reads on every
lease, its cache warm), on SQLite and PostgreSQL.

    PYTHONPATH=src .venv/bin/python bench/guideline_gate.py --seconds 3
    PYTHONPATH=src .venv/bin/python bench/guideline_gate.py --seconds 3 --databases sqlite

Ends with ``RESULT gate_vs_anchor_sqlite=… gate_vs_anchor_postgres=… cycles_anchor_sqlite=…``
(a ratio near 1 means the gate costs little).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from datafab.foundry import Foundry
from datafab.services import accounts, items, projects, work
from datafab.services.guidelines import acknowledge
from datafab.settings import Settings
from datafab.store.migrate import upgrade

PG_SERVER = os.environ.get(
    "DATAFAB_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
N_ITEMS = 6000
ROUNDS = 6


def _database(kind: str) -> tuple[str, object]:
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="datafab-bench-")
        return f"sqlite:///{folder}/bench.db", None
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    return make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False), (
        admin, name)


def _drop(handle) -> None:
    if handle is None:
        return
    admin, name = handle
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


def _cycles(foundry: Foundry, who, project_id: int, seconds: float) -> float:
    done, end = 0, time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < end:
        (lease,) = work.lease_items(foundry, who, project_id)
        work.submit(foundry, who, lease.id, {"answer": {"label": "yes"}})
        done += 1
    return done / (time.perf_counter() - start)


def run(kind: str, seconds: float) -> tuple[float, float]:
    url, handle = _database(kind)
    try:
        upgrade(url)
        foundry = Foundry(Settings(database_url=url, refit_in_background=False))
        org, _ = accounts.create_organization(foundry, "Bench")
        cases = []
        for changed in (False, True):
            project = projects.create_project(foundry, org, {
                "name": f"p{int(changed)}", "primitive": "classify",
                "settings": {"labels": ["yes", "no"]}, "guidelines": "v1",
                "policy": {"min_labels": 1, "max_labels": 1}})
            for start in range(0, N_ITEMS, 2000):
                items.upload_items(foundry, org, project.id, [
                    {"external_id": f"i{i}", "data": {"text": f"t{i}"}}
                    for i in range(start, start + 2000)])
            who, _ = accounts.create_contributor(foundry, {"name": f"w{int(changed)}"})
            (lease,) = work.lease_items(foundry, who, project.id)  # worked under version 1
            work.submit(foundry, who, lease.id, {"answer": {"label": "yes"}})
            if changed:
                projects.update_project(foundry, org, project.id, {
                    "guidelines": "v2", "changelog": "c", "requires_acknowledgement": True})
                acknowledge.acknowledge(foundry, who, project.id, {})
                assert work.lease_batch(foundry, who, project.id).state == "open"
                # warm: that lease is answered in the loop's first turn below
                (lease,) = work.lease_items(foundry, who, project.id)
                work.submit(foundry, who, lease.id, {"answer": {"label": "yes"}})
            cases.append((who, project.id))
        # short rounds taken in turn, so a noisy neighbour hits both cases alike
        rounds: list[list[float]] = [[], []]
        for _ in range(ROUNDS):
            for k, (who, project_id) in enumerate(cases):
                rounds[k].append(_cycles(foundry, who, project_id, seconds / ROUNDS))
        foundry.close()
        return statistics.median(rounds[0]), statistics.median(rounds[1])
    finally:
        _drop(handle)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"])
    args = parser.parse_args()
    parts = []
    for kind in args.databases:
        anchor, gated = run(kind, args.seconds)
        print(f"{kind}: anchor {anchor:.0f} cycles/s, after an acknowledged change "
              f"{gated:.0f} cycles/s")
        parts += [f"gate_vs_anchor_{kind}={gated / anchor:.3f}",
                  f"cycles_anchor_{kind}={anchor:.0f}", f"cycles_gate_{kind}={gated:.0f}"]
    print("RESULT " + " ".join(parts))


if __name__ == "__main__":
    main()
