"""Webhooks: what the outbox costs a submission, and how fast the deliverer empties it.

In one run, on SQLite (and PostgreSQL with --postgres URL), one contributor submits N
single-label classify items through the service (lease 20, submit each):
  anchor  — the organization has no webhook endpoint (record.finished is still written to
            the outbox, with no delivery rows);
  outbox  — the organization has 2 endpoints (each finished item writes the event and two
            delivery rows in the submit transaction).
Then one deliverer sends every delivery to a real HTTP receiver on 127.0.0.1 and the rate
is measured. Ends with `RESULT submit_anchor_ms=… submit_outbox_ms=… deliveries_per_s=…`.

    .venv/bin/python bench/webhooks.py --items 1000
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.webhooks.receiver import Receiver  # noqa: E402

from datafab.foundry import Foundry  # noqa: E402
from datafab.services import accounts, items, projects, webhooks, work  # noqa: E402
from datafab.settings import Settings  # noqa: E402
from datafab.store.migrate import upgrade  # noqa: E402


def submit_times(foundry: Foundry, n: int, endpoints: list[str]) -> list[float]:
    org, _ = accounts.create_organization(foundry, "bench")
    for url in endpoints:
        webhooks.create_endpoint(foundry, org, {"url": url})
    project = projects.create_project(foundry, org, {
        "name": "p", "primitive": "classify", "settings": {"labels": ["yes", "no"]},
        "policy": {"min_labels": 1, "max_labels": 1}})
    items.upload_items(foundry, org, project.id, [
        {"external_id": f"i{i}", "data": {"text": f"item {i}"}} for i in range(n)])
    who, token = accounts.create_contributor(foundry, {"name": "w"})
    times = []
    while leases := work.lease_items(foundry, who, project.id, 20):
        for lease in leases:
            start = time.perf_counter()
            work.submit(foundry, who, lease.id, {"answer": {"label": "yes"}})
            times.append(time.perf_counter() - start)
    return times


def run(url: str, n: int) -> tuple[float, float, float]:
    foundry = Foundry(Settings(database_url=url, refit_in_background=False,
                               webhook_allowed_networks="127.0.0.1"))
    try:
        with Receiver() as receiver:
            receiver.up()
            anchor = submit_times(foundry, n, [])
            outbox = submit_times(foundry, n, [receiver.url, receiver.url + "/2"])
            deliverer = webhooks.Deliverer(foundry, batch=100)
            start = time.perf_counter()
            sent = deliverer.drain(max_passes=10_000)
            elapsed = time.perf_counter() - start
            deliverer.stop()
            assert len(receiver.received) == sent
    finally:
        foundry.close()
    return (statistics.median(anchor) * 1000, statistics.median(outbox) * 1000,
            sent / elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--postgres", default=None, help="a migrated PostgreSQL URL as well")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    urls = [("sqlite", f"sqlite:///{tmp / 'bench.db'}")]
    if args.postgres:
        urls.append(("postgres", args.postgres))
    try:
        result = None
        for name, url in urls:
            upgrade(url)
            a, o, rate = run(url, args.items)
            print(f"{name}: submit median {a:.2f} ms (no endpoint) vs {o:.2f} ms "
                  f"(2 endpoints, {o / a:.2f}x); deliverer {rate:.0f} deliveries/s")
            result = result or (a, o, rate)
        a, o, rate = result
        print(f"RESULT submit_anchor_ms={a:.2f} submit_outbox_ms={o:.2f} "
              f"deliveries_per_s={rate:.0f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
