"""Redaction review: people check a sample of redacted chunks; miss rates per type."""

from __future__ import annotations

import json

import pytest

from datafab.errors import InvalidInput
from datafab.primitives import Vote, get_primitive
from datafab.primitives.redaction_review import miss_rates
from datafab.services import ingest, projects, work
from datafab.services.accounts import authenticate_contributor

REVIEW = get_primitive("redaction_review")
ITEM = {"text": "Mail [EMAIL] or call 555 0100 today, [PHONE].",
        "redactions": [{"type": "EMAIL", "start": 5, "end": 12},
                       {"type": "PHONE", "start": 38, "end": 45}]}


def test_answer_is_checked_against_the_item():
    settings = REVIEW.parse_settings({})
    with pytest.raises(InvalidInput, match=r"wrong\.0: no replacement 2"):
        REVIEW.parse_answer(settings, ITEM, {"wrong": [2]})
    with pytest.raises(InvalidInput, match="unknown type 'SHOE'"):
        REVIEW.parse_answer(settings, ITEM, {"missed": [{"start": 21, "end": 29,
                                                         "type": "SHOE"}]})
    ok = REVIEW.parse_answer(settings, ITEM, {"missed": [{"start": 21, "end": 29,
                                                          "type": "PHONE"}]})
    assert ok == {"wrong": [], "missed": [{"start": 21, "end": 29, "type": "PHONE"}]}


def test_majority_per_flag():
    settings = REVIEW.parse_settings({})
    miss = {"start": 21, "end": 29, "type": "PHONE"}
    votes = [Vote(1, {"wrong": [], "missed": [miss]}), Vote(2, {"wrong": [1], "missed": [miss]}),
             Vote(3, {"wrong": [], "missed": []})]
    out = REVIEW.aggregate(settings, ITEM, votes)
    assert out.answer == {"wrong": [], "missed": [miss]}
    assert out.confidence == pytest.approx(2 / 3)


def test_miss_rates_by_hand():
    rates = miss_rates([
        (ITEM, {"wrong": [], "missed": [{"start": 21, "end": 29, "type": "PHONE"}]}),
        (ITEM, {"wrong": [0], "missed": []}),
    ])
    # PHONE: 2 replaced, 0 wrong, 1 missed → 1/3; EMAIL: 2 replaced, 1 wrong, 0 missed
    assert rates["PHONE"] == {"replaced": 2, "wrong": 0, "missed": 1,
                              "miss_rate": pytest.approx(1 / 3), "wrong_rate": 0.0}
    assert rates["EMAIL"]["miss_rate"] == 0.0 and rates["EMAIL"]["wrong_rate"] == 0.5


def test_review_line(foundry, make_org, make_worker, tmp_path):
    org = make_org()
    mined = projects.create_project(foundry, org.id, {
        "name": "mined", "primitive": "classify", "settings": {"labels": ["a", "b"]}}).id
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps({"text": f"Ticket {i}: write to ann{i}@example.com "
                                                f"or call 555 01{i:02d}."}) + "\n"
                            for i in range(4)))
    ingest.ingest_files(foundry, org.id, mined, [ingest.Source(path, "t.jsonl")])
    review = projects.create_project(foundry, org.id, {
        "name": "review", "primitive": "redaction_review",
        "policy": {"min_labels": 1, "max_labels": 1}}).id
    assert ingest.sample_for_review(foundry, org.id, review, mined, 3, seed=1)["created"] == 3
    with pytest.raises(InvalidInput, match="not redaction_review"):
        ingest.sample_for_review(foundry, org.id, mined, mined, 3)
    reviewer = authenticate_contributor(foundry, make_worker("reviewer").token)
    leases = work.lease_items(foundry, reviewer, review, 3)
    assert len(leases) == 3
    for lease in leases:
        text = lease.data["text"]
        assert "@" not in text and lease.data["redactions"][0]["type"] == "EMAIL"
        start = text.index("555")  # a 7-digit local number is below the phone detector's 9
        work.submit(foundry, reviewer, lease.id, {"answer": {"missed": [
            {"start": start, "end": start + 8, "type": "PHONE"}]}})
    report = ingest.review_report(foundry, org.id, review)
    assert report["reviewed"] == 3
    assert report["types"]["EMAIL"]["miss_rate"] == 0.0
    assert report["types"]["PHONE"] == {"replaced": 0, "wrong": 0, "missed": 3,
                                        "miss_rate": 1.0, "wrong_rate": None}
