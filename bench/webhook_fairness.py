"""Webhooks: how long one organization's slow endpoint delays another organization's events.

One organization ("slow") has a backlog of deliveries to an endpoint that answers one byte
per second and never finishes its headers (a real socket server on 127.0.0.1); another
("fast") has a receiver that answers at once. With one deliverer running (as in
`datafab serve`, default settings: 10 s per delivery), the fast organization emits an event
every half second and the time from its emit to its arrival at the receiver is measured.
Ends with `RESULT fast_delivered=…/… fast_p50_s=… fast_max_s=…` (an event that has not
arrived within --wait seconds counts at --wait).

    .venv/bin/python bench/webhook_fairness.py
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

from tests.webhooks.receiver import Dribbler, Receiver  # noqa: E402

from datafab.foundry import Foundry  # noqa: E402
from datafab.services import accounts, webhooks  # noqa: E402
from datafab.settings import Settings  # noqa: E402
from datafab.store.migrate import upgrade  # noqa: E402


def run(url: str, backlog: int, events: int, wait: float) -> list[float]:
    foundry = Foundry(Settings(database_url=url, refit_in_background=False,
                               webhook_allowed_networks="127.0.0.1"))
    latencies: list[float] = []
    try:
        with Dribbler(interval=1.0) as slow, Receiver() as fast:
            slow.up()
            fast.up()
            slow_org, _ = accounts.create_organization(foundry, "slow")
            fast_org, _ = accounts.create_organization(foundry, "fast")
            webhooks.create_endpoint(foundry, slow_org, {"url": slow.url})
            webhooks.create_endpoint(foundry, fast_org, {"url": fast.url})
            with foundry.db.write() as conn:
                for i in range(backlog):
                    webhooks.emit(conn, slow_org, "budget.reached", f"project:{i}", {},
                                  foundry.now())
            deliverer = webhooks.Deliverer(foundry)
            deliverer.start()
            try:
                time.sleep(1.0)  # the slow organization's deliveries are under way
                sent = []
                for i in range(events):
                    sent.append(time.time())
                    with foundry.db.write() as conn:
                        webhooks.emit(conn, fast_org, "budget.reached", f"project:{i}",
                                      {"n": i}, foundry.now())
                    time.sleep(0.5)
                end = sent[-1] + wait
                while len(fast.received) < events and time.time() < end:
                    time.sleep(0.05)
                arrived = {m["json"]["data"]["n"]: m["at"] for m in fast.received}
                latencies = [arrived[k] - at if k in arrived else wait
                             for k, at in enumerate(sent)]
            finally:
                slow.down()  # lets a deliverer stuck on it go
                deliverer.stop()
    finally:
        foundry.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=50, help="the slow organization's")
    parser.add_argument("--events", type=int, default=20, help="the fast organization's")
    parser.add_argument("--wait", type=float, default=30.0)
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
            lat = run(url, args.backlog, args.events, args.wait)
            done = sum(x < args.wait for x in lat)
            p50, top = statistics.median(lat), max(lat)
            print(f"{name}: fast organization {done}/{len(lat)} delivered within "
                  f"{args.wait:g} s; latency median {p50:.2f} s, max {top:.2f} s")
            result = result or (done, len(lat), p50, top)
        done, n, p50, top = result
        print(f"RESULT fast_delivered={done}/{n} fast_p50_s={p50:.2f} fast_max_s={top:.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
