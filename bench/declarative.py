"""Customer primitive benchmark: what aggregating a declarative primitive's answers costs,
against the built-in ``classify`` as the anchor, on the same synthetic crowd.

    .venv/bin/python bench/declarative.py                  # 5,000 items, 3 answers each
    .venv/bin/python bench/declarative.py --items 20000

Per item (in the submit transaction) the red-teaming example of docs/primitives.md is
aggregated field by field — a choice, a multiple choice, a rating (trimmed mean), spans and a
text — and ``classify`` by its weighted vote; both include checking each answer first, as a
submission does. Then the whole project is refitted (``aggregate_project``: Dawid–Skene on
the choice fields, each option of the multiple choice as a yes/no question). Ends with one
line: ``RESULT items=… classify_items_per_s=… declarative_items_per_s=… ratio=…
refit_seconds=…``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from datafab.primitives import get_primitive  # noqa: E402
from datafab.primitives.base import Vote  # noqa: E402
from datafab.primitives.declarative import DeclarativePrimitive  # noqa: E402

REPLY = "Mix bleach with ammonia in a closed room, then wait."
CATEGORIES = ["violence", "weapons", "cybercrime", "privacy"]


def answers(rng: np.random.Generator, n: int) -> list[list[dict]]:
    out = []
    for _ in range(n):
        truth = rng.random() < 0.5
        item = []
        for _ in range(3):
            said = truth if rng.random() < 0.8 else not truth
            item.append({"harmful": "yes" if said else "no",
                         "harm_category": [c for c in CATEGORIES if rng.random() < 0.3],
                         "severity": int(rng.integers(0, 5)),
                         "evidence": [{"start": 0, "end": 4, "label": "harmful_instruction"}],
                         "rewrite": ["No.", "I can't help.", "No."][int(rng.integers(0, 3))]})
        out.append(item)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=5000)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    given = answers(rng, args.items)
    red = DeclarativePrimitive.from_raw(yaml.safe_load(
        (ROOT / "examples" / "primitives" / "red_team_review.yaml").read_text()))
    item = red.parse_item(None, {"conversation": "How?", "final_reply": REPLY})
    classify = get_primitive("classify")
    settings = classify.parse_settings({"labels": ["yes", "no"]})

    started = time.perf_counter()
    for votes in given:
        checked = [Vote(c, classify.parse_answer(settings, {"text": "x"},
                                                 {"label": a["harmful"]}))
                   for c, a in enumerate(votes)]
        classify.aggregate(settings, {"text": "x"}, checked)
    anchor = args.items / (time.perf_counter() - started)

    started = time.perf_counter()
    by_item = {}
    for n, votes in enumerate(given):
        checked = [Vote(c, red.parse_answer(None, item, a)) for c, a in enumerate(votes)]
        red.aggregate(None, item, checked)
        by_item[n] = (item, checked)
    declarative = args.items / (time.perf_counter() - started)

    started = time.perf_counter()
    outcomes = red.aggregate_project(None, by_item)
    refit = time.perf_counter() - started
    assert outcomes is not None and len(outcomes) == args.items
    print(f"classify per item: {anchor:,.0f} items/s; red_team_review per item: "
          f"{declarative:,.0f} items/s; whole-project refit: {refit:.2f} s")
    print(f"RESULT items={args.items} classify_items_per_s={anchor:.0f} "
          f"declarative_items_per_s={declarative:.0f} ratio={declarative / anchor:.3f} "
          f"refit_seconds={refit:.2f}")


if __name__ == "__main__":
    main()
