"""A refit's own cost: the full refit of a project after its labels grew by a tenth.

Sixteen contributors answer a classify project through the services (lease 10, submit 10);
the refit scheduler is held off, so this script decides when a refit runs. After ``--labels``
labels it refits once, then ``--rounds`` times adds a tenth more labels and refits again
(what ``Refits`` does in a server), timing each refit and counting the rows it writes to
``records`` (statements and executemany rows sent, on the connection); wall time and the
CPU time of the refitting thread (the machine's other work moves the first, hardly the
second). ``--noise`` is the
share of answers that are wrong at random (0: every answer is "a", as in ``leasing.py``).

    .venv/bin/python bench/refit.py --database sqlite --labels 20000
    .venv/bin/python bench/refit.py --database postgres --labels 20000 --noise 0.2
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import shutil
import statistics
import tempfile
import time

from leasing import pg_database  # bench/ is the script's directory
from sqlalchemy import event

from datafab.foundry import Foundry
from datafab.services import accounts, items, projects, quality, work
from datafab.services.quality.refits import Refits
from datafab.settings import Settings
from datafab.store.migrate import upgrade


class Writes:
    """Statements and rows sent to the records table, counted on the engine."""

    def __init__(self, engine) -> None:
        self.statements = self.rows = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("UPDATE RECORDS"):
            self.statements += 1
            self.rows += len(parameters) if executemany else 1


def label(foundry: Foundry, project: int, people: list, n: int, noise: float,
          rng: random.Random) -> None:
    done = 0
    while done < n:
        for who in people:
            leases = work.lease_items(foundry, who, project, 10)
            if not leases:
                return
            answers = [{"lease_id": x.id,
                        "answer": {"label": "b" if rng.random() < noise else "a"}}
                       for x in leases]
            work.submit_many(foundry, who, answers)
            done += len(leases)
            if done >= n:
                return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--labels", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--noise", type=float, default=0.0)
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of the last refit (top 25, cumulative)")
    args = parser.parse_args()
    Refits.note = lambda *a, **k: None  # this script decides when a refit runs
    if args.database == "postgres":
        url, cleanup = pg_database()
    else:
        tmp = tempfile.mkdtemp()
        url, cleanup = f"sqlite:///{tmp}/refit.db", lambda: shutil.rmtree(tmp)
    try:
        upgrade(url)
        foundry = Foundry(Settings(database_url=url))
        org, _ = accounts.create_organization(foundry, "bench")
        people = [accounts.create_contributor(foundry, {"name": f"bench-{i}"})[0]
                  for i in range(16)]
        project = projects.create_project(
            foundry, org, {"name": "refit", "primitive": "classify",
                           "settings": {"labels": ["a", "b"]},
                           "policy": {"min_labels": 1, "max_labels": 1}}).id
        n_items = int(args.labels * (1 + 0.1 * args.rounds) * 1.2) + 1_000
        for start in range(0, n_items, 10_000):
            items.upload_items(foundry, org, project, [
                {"external_id": str(i), "data": {"text": f"item {i}"}}
                for i in range(start, min(n_items, start + 10_000))])
        rng = random.Random(7)
        label(foundry, project, people, args.labels, args.noise, rng)
        writes = Writes(foundry.db.engine)
        first, first_cpu = time.perf_counter(), time.thread_time()
        seen = quality.refit(foundry, project)
        first, first_cpu = time.perf_counter() - first, time.thread_time() - first_cpu
        print(f"first refit: {seen} labels, {first * 1000:.0f} ms "
              f"({first_cpu * 1000:.0f} ms CPU in this thread), "
              f"{writes.rows} record rows sent in {writes.statements} statements")
        times, cpu = [], []
        for _ in range(args.rounds):
            label(foundry, project, people, max(1, (seen or 0) // 10), args.noise, rng)
            writes.statements = writes.rows = 0
            profile = cProfile.Profile() if args.profile else None
            t0, c0 = time.perf_counter(), time.thread_time()
            if profile is not None:
                profile.enable()
            seen = quality.refit(foundry, project)
            times.append(time.perf_counter() - t0)
            cpu.append(time.thread_time() - c0)
            if profile is not None:
                profile.disable()
                last_profile = profile
            print(f"refit after a tenth more: {seen} labels, {times[-1] * 1000:.0f} ms "
                  f"({cpu[-1] * 1000:.0f} ms CPU), "
                  f"{writes.rows} record rows sent in {writes.statements} statements")
        if args.profile:
            pstats.Stats(last_profile).sort_stats("cumulative").print_stats(25)
        print(f"RESULT refit_ms_median={statistics.median(times) * 1000:.0f} "
              f"refit_cpu_ms_median={statistics.median(cpu) * 1000:.0f} "
              f"first_refit_ms={first * 1000:.0f}")
        foundry.close()
    finally:
        cleanup()


if __name__ == "__main__":
    main()
