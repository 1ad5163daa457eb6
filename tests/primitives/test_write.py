from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datafab.errors import InvalidInput
from datafab.primitives import get_primitive
from datafab.primitives.base import Vote
from datafab.primitives.write import edit_distance

from .conftest import settle

WRITE = get_primitive("write")
SETTINGS = WRITE.parse_settings({})
ITEM = WRITE.parse_item(SETTINGS, {"prompt": "Say hi", "system": "Be brief.", "draft": "Helo"})


def _reference(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@settings(max_examples=300, deadline=None)
@given(st.text("abc😀", max_size=12), st.text("abc😀", max_size=12))
def test_edit_distance_matches_the_textbook_dp(a, b):
    assert edit_distance(a, b) == _reference(a, b) == edit_distance(b, a)


def test_edit_distance_known_cases_and_cap():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3 and edit_distance("same", "same") == 0
    assert edit_distance("x" * 6000, "y" * 6000) is None
    # A long shared prefix and suffix costs nothing against the cap.
    assert edit_distance("a" * 50_000 + "b" + "c" * 50_000, "a" * 50_000 + "c" * 50_000) == 1


def test_answer_computes_edit_distance_from_the_item_draft():
    answer = WRITE.parse_answer(SETTINGS, ITEM, {"final": "Hello", "edit_distance": 99})
    assert answer == {"final": "Hello", "draft": "Helo", "edit_distance": 1}
    own = WRITE.parse_answer(SETTINGS, ITEM, {"final": "Hello", "draft": "Hallo"})
    assert own["edit_distance"] == 1 and own["draft"] == "Hallo"
    plain = WRITE.parse_item(SETTINGS, {"prompt": "Say hi"})
    assert WRITE.parse_answer(SETTINGS, plain, {"final": "Hi"}) == {"final": "Hi"}


@pytest.mark.parametrize(
    ("raw", "field", "settings_raw"),
    [
        ({}, "answer.final", {}),
        ({"final": "   "}, "answer.final", {}),
        ({"final": "Hi", "critique": 3}, "answer.critique", {}),
        ({"final": "Hi"}, "answer.critique", {"require_critique": True}),
    ],
)
def test_bad_answers(raw, field, settings_raw):
    with pytest.raises(InvalidInput) as err:
        WRITE.parse_answer(WRITE.parse_settings(settings_raw), ITEM, raw)
    assert err.value.field == field


def test_bad_item():
    with pytest.raises(InvalidInput) as err:
        WRITE.parse_item(SETTINGS, {"system": "x"})
    assert err.value.field == "data.prompt"


def test_accepted_submission_is_heaviest_then_latest():
    votes = [Vote(1, {"final": "one"}, 1.0), Vote(2, {"final": "two"}, 2.0),
             Vote(3, {"final": "three"}, 2.0)]
    out = WRITE.aggregate(SETTINGS, ITEM, votes)
    assert out.answer == {"final": "three"} and out.confidence == 1.0
    assert out.method == "accepted_submission" and out.details["accepted"] == 2
    assert WRITE.aggregate(SETTINGS, ITEM, []).answer is None


def test_sft_row(load_both):
    record = settle(WRITE, SETTINGS, ITEM, [{"final": "Hello", "critique": "typo"}])
    row = WRITE.export_row("sft", SETTINGS, record)
    assert row["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Say hi"},
        {"role": "assistant", "content": "Hello"},
    ]
    assert (row["draft"], row["critique"], row["edit_distance"]) == ("Helo", "typo", 1)
    plain = WRITE.parse_item(SETTINGS, {"prompt": [{"role": "user", "content": "Hi"}]})
    other = settle(WRITE, SETTINGS, plain, [{"final": "Hey"}])
    for fmt in WRITE.export_formats:
        rows = [r for rec in (record, other) for r in WRITE.export_rows(fmt, SETTINGS, rec)]
        js, pq = load_both(rows, fmt)
        if fmt == "sft":
            assert js[1]["messages"] == pq[1]["messages"] == [
                {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey"}]
