"""Leak tracing: how often the source of a leak is named, how often someone innocent would be,
and what the marks and the access log cost on the lease path.

A project of 2,000 text items (300 to 700 characters each), 3 labels each, 50 contributors
leasing 10 at a time and submitting, in this process, on SQLite. Twice per round, on fresh
databases: with the watermark and the access log both off (the anchor), then both on; the
lease-and-submit rate of each run is measured over the whole labelling, in leases per CPU
second of the process (SQLite runs inside it); rounds alternate which run goes first. Then
leaks from the run with both on, each traced as ``datafab trace`` would (file bytes in, the
most likely source or none out), a random contributor as the leaker each time:

* ``batch`` — one whole lease answer of theirs (10 items) as JSONL;
* ``item`` — one item's text, whole;
* ``paragraph`` — 300 to 360 characters of one item's text, cut at word boundaries;
* ``retyped`` — that paragraph with 5% of its characters edited (substituted, deleted or
  inserted at random);
* ``original`` — the same paragraph from the requester's export (no mark): nobody may be
  named.

``trace_top1`` is the share of single-item leaks of 300 characters or more (item, paragraph,
retyped) whose leaker was named; ``false_accusations`` counts every trial, of any kind, that
named anyone but the leaker; ``lease_overhead`` is 1 - (rate with both on / rate with both
off), the median over rounds.

    .venv/bin/python bench/trace.py                  # 4 rounds, 40 trials per kind
    .venv/bin/python bench/trace.py --rounds 1 --trials 10
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from datafab.foundry import Foundry
from datafab.services import accounts, items, projects, work, workforce
from datafab.services.tracing.sources import operator_trace
from datafab.settings import Settings
from datafab.store.migrate import upgrade

console = Console()
N_ITEMS, N_CONTRIBUTORS, LABELS, BATCH = 2000, 50, 3, 10
WORDS = """account action address advice agency agreement amount analysis answer approach
area argument article aspect attempt audience balance basis behaviour benefit board budget
building business campaign capacity career case category centre chance change chapter charge
choice claim class client colleague committee community company comparison competition
concept concern condition conference connection consequence contract contribution control
cost council country course credit crisis culture customer damage data deal debate decision
defence degree delivery demand department design detail development difference direction
director discussion distance distribution document economy edition effect effort election
element employee energy engine environment equipment estimate evening event evidence example
exchange exercise experience expert factor failure family feature figure finance focus force
format frame function future garden generation government group growth guidance habit
hospital household identity image impact incident income increase index industry influence
information initiative instance institution insurance interest interview investment issue
journey judgement knowledge labour language launch leader league lesson level licence limit
location machine majority manager market material meeting member memory message method
minister minute model moment month movement network notice number object occasion office
officer opinion option order organisation outcome output owner package panel parent partner
payment pension period permission person phase picture pilot planning platform policy
position pressure principle priority problem procedure process product profile programme
progress project property proposal protection purpose quality quarter question range rate
reader reason record region relation release report request research resource response
result return review risk route safety sample scheme science screen season sector security
selection series service session settlement share shift signal site skill software solution
source space speech staff stage standard statement station status step storage strategy
structure student study subject success summary supply support surface survey system target
task team technology tenant term test theory threshold ticket title total trade training
transfer treatment trend trial trust unit update user value version view vision volume
warning weekend welfare window worker writer""".split()
VERBS = """reviewed approved delayed explained compared measured reported checked described
changed reduced improved recorded shared planned tested revised moved signed prepared""".split()
LINKS = ["because", "although", "while", "after", "before", "so that", "unless", "since"]


def sentence(rng: random.Random) -> str:
    w = rng.sample(WORDS, 6)
    return (f"The {w[0]} {rng.choice(VERBS)} the {w[1]} of the {w[2]} {rng.choice(LINKS)} "
            f"the {w[3]} {rng.choice(VERBS)} its {w[4]} and {w[5]}.")


def paragraph(rng: random.Random) -> str:
    text = ""
    target = rng.randint(300, 700)
    while len(text) < target:
        text += (" " if text else "") + sentence(rng)
    return text


def build(path: Path, marked: bool, seed: int) -> tuple[Foundry, int, list]:
    url = f"sqlite:///{path}"
    upgrade(url)
    foundry = Foundry(Settings(database_url=url, refit_in_background=False,
                               access_log=marked, key_file=str(path) + ".keys"))
    org, _ = accounts.create_organization(foundry, "Bench")
    project = projects.create_project(foundry, org, {
        "name": "memos", "primitive": "classify", "settings": {"labels": ["yes", "no"]},
        "policy": {"min_labels": LABELS, "max_labels": LABELS}})
    rng = random.Random(seed)
    rows = [{"external_id": f"m{i}", "data": {"text": paragraph(rng)}}
            for i in range(N_ITEMS)]
    for start in range(0, N_ITEMS, 500):
        items.upload_items(foundry, org, project.id, rows[start:start + 500])
    workforce.set_policy(foundry, org, project.id, {"watermark": marked})
    people = [accounts.create_contributor(foundry, {"name": f"c{k}"})[0]
              for k in range(N_CONTRIBUTORS)]
    return foundry, project.id, people


def label_everything(foundry: Foundry, project: int, people: list) -> tuple[float, dict]:
    """Lease and submit until no item needs a label; (leases per CPU second of this process,
    batches by id). CPU time, not wall time: the database is in this process, and a shared
    machine's load moves wall time far more than the watermark does."""
    batches: dict[int, list[list[dict]]] = {who.id: [] for who in people}
    leased, started, active = 0, time.process_time(), list(people)
    while active:
        for who in list(active):
            got = work.lease_items(foundry, who, project, BATCH, "127.0.0.1")
            if not got:
                active.remove(who)
                continue
            batches[who.id].append([lease.to_dict() for lease in got])
            work.submit_many(foundry, who, [
                {"lease_id": lease.id, "answer": {"label": "yes"}} for lease in got])
            leased += len(got)
    return leased / (time.process_time() - started), batches


def cut(text: str, rng: random.Random) -> str:
    """300 to 360 characters of ``text``, from one word's start to another's end."""
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == " " and i + 300 < len(text)]
    start = rng.choice(starts)
    end = start + 300
    while end < len(text) and text[end] != " " and end < start + 360:
        end += 1
    return text[start:end]


def retype(text: str, rng: random.Random, rate: float = 0.05) -> str:
    chars = list(text)
    for _ in range(round(rate * len(text))):
        k = rng.randrange(len(chars))
        op = rng.choice("sdi")
        if op == "s":
            chars[k] = rng.choice("abcdefghijklmnopqrstuvwxyz ")
        elif op == "d":
            del chars[k]
        else:
            chars.insert(k, rng.choice("abcdefghijklmnopqrstuvwxyz"))
    return "".join(chars)


def trials(foundry: Foundry, project: int, batches: dict, originals: dict, n: int,
           rng: random.Random) -> dict[str, list[tuple[int, int | None, int]]]:
    """kind -> [(leaker, named, characters)]."""
    out: dict[str, list[tuple[int, int | None, int]]] = {
        k: [] for k in ("batch", "item", "paragraph", "retyped", "original")}
    leakers = [who for who, got in batches.items() if got]
    for _ in range(n):
        who = rng.choice(leakers)
        batch = rng.choice(batches[who])
        lease = rng.choice(batch)
        text = lease["item"]["data"]["text"]
        piece = cut(text, rng)
        start = text.index(piece)
        original = originals[lease["item"]["id"]][start:start + len(piece)]
        leaks = {"batch": ("\n".join(json.dumps(x) for x in batch), "found.jsonl"),
                 "item": (text, "found.txt"), "paragraph": (piece, "found.txt"),
                 "retyped": (retype(piece, rng), "found.txt"),
                 "original": (original, "found.txt")}
        for kind, (content, name) in leaks.items():
            found = operator_trace(foundry, project, content.encode(), name)
            out[kind].append((who, found.source, len(content)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--trials", type=int, default=40, help="leaks traced per kind")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    rates: dict[bool, list[float]] = {False: [], True: []}
    results: dict[str, list] = {}
    with tempfile.TemporaryDirectory() as folder:
        for r in range(args.rounds):
            for marked in ((False, True) if r % 2 == 0 else (True, False)):
                foundry, project, people = build(Path(folder) / f"r{r}{marked}.db", marked,
                                                 args.seed + r)
                rate, batches = label_everything(foundry, project, people)
                rates[marked].append(rate)
                console.print(f"round {r + 1}, watermark and access log "
                              f"{'on' if marked else 'off'}: {rate:.0f} leases per CPU second")
                if marked:
                    from datafab.services.tracing.sources import store

                    with foundry.db.read() as conn:
                        originals = {i: d["text"] for i, d in store.item_data(conn,
                                                                              project=project)}
                    started = time.perf_counter()
                    for kind, got in trials(foundry, project, batches, originals,
                                            max(1, args.trials // args.rounds), rng).items():
                        results.setdefault(kind, []).extend(got)
                    console.print(f"  traced in {time.perf_counter() - started:.0f} s")
                foundry.close()
    table = Table(title="Leaks traced (50 contributors, 2,000 items, 3 labels each)")
    for column in ("leak", "trials", "mean chars", "source named", "nobody named",
                   "someone else named"):
        table.add_column(column)
    false = 0
    for kind, got in results.items():
        right = sum(named == who for who, named, _ in got)
        wrong = sum(named is not None and named != who for who, named, _ in got)
        if kind == "original":
            wrong = sum(named is not None for _, named, _ in got)
        false += wrong
        table.add_row(kind, str(len(got)), f"{statistics.mean(c for *_, c in got):.0f}",
                      str(right), str(sum(named is None for _, named, _ in got)), str(wrong))
    console.print(table)
    single = [(who, named) for kind in ("item", "paragraph", "retyped")
              for who, named, chars in results[kind] if chars >= 300]
    top1 = sum(named == who for who, named in single) / len(single)
    overhead = statistics.median(1 - on / off for off, on in zip(rates[False], rates[True],
                                                                  strict=True))
    print(f"RESULT trace_top1={top1:.3f} false_accusations={false} "
          f"lease_overhead={overhead:.3f} leases_per_s_off={statistics.median(rates[False]):.0f} "
          f"leases_per_s_on={statistics.median(rates[True]):.0f}")


if __name__ == "__main__":
    main()
