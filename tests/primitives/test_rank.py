from __future__ import annotations

import numpy as np
import pytest

from datafab.errors import InvalidInput
from datafab.primitives import get_primitive
from datafab.primitives.base import Vote
from datafab.primitives.rank import weighted_bradley_terry

from .conftest import settle

RANK = get_primitive("rank")
SETTINGS = RANK.parse_settings({})
ITEM = RANK.parse_item(SETTINGS, {
    "prompt": "Name a prime.",
    "responses": [
        {"id": "x", "content": "2", "model": "m1"},
        {"id": "y", "content": "4", "model": "m2"},
        {"id": "z", "content": "9"},
    ],
})


def test_order_by_ids_normalises_to_indices():
    assert RANK.parse_answer(SETTINGS, ITEM, {"order": ["z", "x", "y"]}) == {"order": [2, 0, 1]}
    assert RANK.parse_answer(SETTINGS, ITEM, {"order": [1, "x", 2]}) == {"order": [1, 0, 2]}


@pytest.mark.parametrize(
    ("order", "field"),
    [
        ([0, 1], "answer.order"),
        ([0, 1, 1], "answer.order.2"),
        ([0, 1, 3], "answer.order.2"),
        (["x", "w", 1], "answer.order.1"),
        ([0, 1, 2, 0], "answer.order.3"),
        ([0, 1, 2.5], "answer.order.2"),
        ([0, True, 2], "answer.order.1"),
    ],
)
def test_bad_orders(order, field):
    with pytest.raises(InvalidInput) as err:
        RANK.parse_answer(SETTINGS, ITEM, {"order": order})
    assert err.value.field == field


def test_item_rules():
    with pytest.raises(InvalidInput) as err:
        RANK.parse_item(SETTINGS, {"prompt": "p", "responses": [{"content": "a"}]})
    assert err.value.field == "data.responses"
    with pytest.raises(InvalidInput) as err:
        RANK.parse_item(SETTINGS, {"prompt": "p", "responses": [
            {"id": "a", "content": "a"}, {"id": "a", "content": "b"}]})
    assert err.value.field == "data.responses.1.id"
    with pytest.raises(InvalidInput) as err:
        RANK.parse_item(SETTINGS, {"prompt": "p", "responses": [{"content": "a"}] * 10})
    assert err.value.field == "data.responses"


def test_bradley_terry_symmetry_and_direction():
    wins = np.array([[0, 3.0], [1.0, 0]])
    s = weighted_bradley_terry(wins)
    assert s[0] > 0 > s[1] and s.sum() == pytest.approx(0)
    # Without the prior the MLE is log(3): the prior shrinks it a little.
    assert 0.9 * np.log(3) < s[0] - s[1] < np.log(3)
    assert weighted_bradley_terry(np.zeros((3, 3))) == pytest.approx(np.zeros(3))


def test_aggregate_weighted():
    votes = [
        Vote(1, {"order": [0, 1, 2]}, weight=1.0),
        Vote(2, {"order": [1, 0, 2]}, weight=3.0),
    ]
    out = RANK.aggregate(SETTINGS, ITEM, votes)
    assert out.answer["order"] == [1, 0, 2]
    # pairs (1,0): 3/4 agree; (1,2): 1; (0,2): 1
    assert out.confidence == pytest.approx((0.75 + 1 + 1) / 3)


def test_opposite_equal_votes_tie_break_by_index():
    votes = [Vote(1, {"order": [2, 1, 0]}), Vote(2, {"order": [0, 1, 2]})]
    out = RANK.aggregate(SETTINGS, ITEM, votes)
    assert out.answer["order"] == [0, 1, 2] and out.confidence == pytest.approx(0.5)


def test_exports(load_both):
    record = settle(RANK, SETTINGS, ITEM, [{"order": ["y", "x", "z"]}])
    [row] = RANK.export_rows("records", SETTINGS, record)
    assert [r["id"] for r in row["ranked"]] == ["y", "x", "z"]
    assert row["ranked"][0]["content"] == [{"role": "assistant", "content": "4"}]
    pairs = list(RANK.export_rows("dpo", SETTINGS, record))
    assert len(pairs) == 3
    assert [(p["chosen_rank"], p["rejected_rank"], p["margin"]) for p in pairs] == [
        (1, 2, 1.0), (1, 3, 2.0), (2, 3, 1.0)]
    assert pairs[0]["chosen"][0]["content"] == "4" and pairs[0]["rejected"][0]["content"] == "2"
    assert list(RANK.export_rows("reward", SETTINGS, record)) == pairs
    with pytest.raises(NotImplementedError):
        RANK.export_row("dpo", SETTINGS, record)
    for fmt in RANK.export_formats:
        js, pq = load_both(list(RANK.export_rows(fmt, SETTINGS, record)), fmt)
        assert js[0]["external_id"] == pq[0]["external_id"]
