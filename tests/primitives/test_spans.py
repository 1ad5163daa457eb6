from __future__ import annotations

import pytest

from datafab.errors import InvalidInput
from datafab.primitives import get_primitive
from datafab.primitives.base import Vote

from .conftest import settle

SPANS = get_primitive("spans")
SETTINGS = SPANS.parse_settings({"labels": ["PER", "LOC"]})
ITEM = SPANS.parse_item(SETTINGS, {"text": "Ada lives in London"})
ADA = {"start": 0, "end": 3, "label": "PER"}
LONDON = {"start": 13, "end": 19, "label": "LOC"}


def test_answer_sorted():
    assert SPANS.parse_answer(SETTINGS, ITEM, {"spans": [LONDON, ADA]}) == {
        "spans": [ADA, LONDON]}
    assert SPANS.parse_answer(SETTINGS, ITEM, {"spans": []}) == {"spans": []}


@pytest.mark.parametrize(
    ("spans", "field", "settings"),
    [
        ([{"start": 3, "end": 3, "label": "PER"}], "answer.spans.0.end", {}),
        ([ADA, {"start": 13, "end": 20, "label": "LOC"}], "answer.spans.1.end", {}),
        ([{"start": 0, "end": 3, "label": "ORG"}], "answer.spans.0.label", {}),
        ([ADA, ADA], "answer.spans.1", {"allow_overlap": True}),
        ([LONDON, ADA, {"start": 1, "end": 5, "label": "LOC"}], "answer.spans.2", {}),
        ([{"start": -1, "end": 3, "label": "PER"}], "answer.spans.0.start", {}),
    ],
)
def test_bad_spans(spans, field, settings):
    settings = SPANS.parse_settings({"labels": ["PER", "LOC"], **settings})
    with pytest.raises(InvalidInput) as err:
        SPANS.parse_answer(settings, ITEM, {"spans": spans})
    assert err.value.field == field


def test_overlap_allowed_by_settings():
    settings = SPANS.parse_settings({"labels": ["PER", "LOC"], "allow_overlap": True})
    both = [ADA, {"start": 0, "end": 3, "label": "LOC"}]
    assert len(SPANS.parse_answer(settings, ITEM, {"spans": both})["spans"]) == 2


def test_settings_need_labels():
    with pytest.raises(InvalidInput) as err:
        SPANS.parse_settings({})
    assert err.value.field == "settings.labels"


def test_weighted_majority_per_span():
    votes = [Vote(1, {"spans": [ADA, LONDON]}, 1.0), Vote(2, {"spans": [ADA]}, 1.0),
             Vote(3, {"spans": [LONDON]}, 0.5)]
    out = SPANS.aggregate(SETTINGS, ITEM, votes)
    # ADA 2/2.5 = 0.8 kept; LONDON 1.5/2.5 = 0.6 kept
    assert out.answer == {"spans": [ADA, LONDON]}
    assert out.confidence == pytest.approx(0.6)
    out = SPANS.aggregate(SETTINGS, ITEM, votes[1:])
    assert out.answer == {"spans": [ADA]} and out.confidence == pytest.approx(2 / 3)


def test_records_export(load_both):
    record = settle(SPANS, SETTINGS, ITEM, [{"spans": [ADA, LONDON]}])
    row = SPANS.export_row("records", SETTINGS, record)
    assert [s["text"] for s in row["spans"]] == ["Ada", "London"]
    js, pq = load_both([row, SPANS.export_row("records", SETTINGS,
                                              settle(SPANS, SETTINGS, ITEM, [{"spans": []}]))])
    assert js[0]["spans"][1]["text"] == pq[0]["spans"][1]["text"] == "London"
