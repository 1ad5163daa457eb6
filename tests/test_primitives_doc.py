"""docs/primitives.md cannot drift: its two examples are the shipped files, and each of its
example items and answers is accepted by the primitive it illustrates."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from datafab.primitives.declarative import DeclarativePrimitive

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "primitives.md").read_text()


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", DOC, flags=re.S)


def test_the_examples_in_the_doc_are_the_shipped_files():
    shipped = {p.name: p.read_text() for p in (ROOT / "examples" / "primitives").glob("*.yaml")}
    assert sorted(shipped) == ["claim_factuality.yaml", "red_team_review.yaml"]
    in_doc = [b for b in _blocks("yaml") if b.startswith("#")]
    assert in_doc == [shipped["claim_factuality.yaml"], shipped["red_team_review.yaml"]]
    for name in shipped:
        assert f"examples/primitives/{name}" in DOC


def test_the_doc_items_and_answers_are_accepted():
    claims, red = (DeclarativePrimitive.from_raw(yaml.safe_load(
        (ROOT / "examples" / "primitives" / f"{n}.yaml").read_text()))
        for n in ("claim_factuality", "red_team_review"))
    item, claims_answer, red_answer = (json.loads(b) for b in _blocks("json"))
    checked = claims.parse_item(None, item)
    assert claims.parse_answer(None, checked, claims_answer)["overall"] == 3
    red_item = red.parse_item(None, {"conversation": "hi",
                                     "final_reply": "Mix bleach with ammonia, then..."})
    assert red.parse_answer(None, red_item, red_answer)["severity"] == 3
