from __future__ import annotations

import pytest

from datafab.errors import InvalidInput
from datafab.primitives import get_primitive
from datafab.primitives.base import Vote
from datafab.primitives.compare import battle, model_ratings

from .conftest import record_view, settle

COMPARE = get_primitive("compare")
ITEM = {
    "prompt": "What is 2+2?",
    "a": {"content": "4", "model": "m1"},
    "b": {"content": [{"role": "assistant", "content": "5"}], "model": "m2"},
}


@pytest.fixture
def settings():
    return COMPARE.parse_settings({})


@pytest.fixture
def item(settings):
    return COMPARE.parse_item(settings, ITEM)


def test_item_normalises_strings_to_messages(item):
    assert item["prompt"] == [{"role": "user", "content": "What is 2+2?"}]
    assert item["a"] == {"content": [{"role": "assistant", "content": "4"}], "model": "m1"}


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({**ITEM, "a": {"model": "m"}}, "data.a.content"),
        ({**ITEM, "prompt": [{"role": "robot", "content": "x"}]}, "data.prompt.0.role"),
        ({**ITEM, "prompt": []}, "data.prompt"),
        ({**ITEM, "c": {"content": "x"}}, "data.c"),
    ],
)
def test_bad_items_name_the_field(settings, raw, field):
    with pytest.raises(InvalidInput) as err:
        COMPARE.parse_item(settings, raw)
    assert err.value.field == field


def test_answer_happy_path(settings, item):
    answer = COMPARE.parse_answer(
        settings, item, {"choice": "a", "strength": "clear", "criteria": {"honesty": "tie"}}
    )
    assert answer == {"choice": "a", "strength": "clear", "criteria": {"honesty": "tie"}}


@pytest.mark.parametrize(
    ("raw", "field", "settings_raw"),
    [
        ({"choice": "c"}, "answer.choice", {}),
        ({"choice": "a", "strength": "huge"}, "answer.strength", {}),
        ({"choice": "tie", "strength": "clear"}, "answer.strength", {}),
        ({"choice": "tie"}, "answer.choice", {"allow_tie": False}),
        ({"choice": "a", "criteria": {"style": "a"}}, "answer.criteria.style", {}),
        ({"choice": "a", "criteria": {"honesty": "tie"}}, "answer.criteria.honesty",
         {"allow_tie": False}),
    ],
)
def test_bad_answers_name_the_field(item, raw, field, settings_raw):
    settings = COMPARE.parse_settings(settings_raw)
    with pytest.raises(InvalidInput) as err:
        COMPARE.parse_answer(settings, item, raw)
    assert err.value.field == field


def test_settings_validated():
    assert COMPARE.parse_settings({"criteria": ["style"]}).criteria == ["style"]
    with pytest.raises(InvalidInput) as err:
        COMPARE.parse_settings({"criteria": ["x", "x"]})
    assert err.value.field == "settings.criteria"


def test_weighted_vote_by_strength_and_weight(settings, item):
    votes = [
        Vote(1, {"choice": "a", "strength": "decisive"}, weight=1.0),  # mass a 3
        Vote(2, {"choice": "b", "strength": "slight"}, weight=2.0),  # mass b 2
        Vote(3, {"choice": "tie"}, weight=1.0),  # mass tie 1
    ]
    out = COMPARE.aggregate(settings, item, votes)
    assert out.answer["choice"] == "a"
    assert out.confidence == pytest.approx(3 / 6)
    assert out.answer["margin"] == pytest.approx((3 - 2) / 4)
    assert out.answer["strength"] == "slight"


def test_equal_mass_is_a_tie(settings, item):
    votes = [Vote(1, {"choice": "a", "strength": "clear"}), Vote(2, {"choice": "b"})]
    out = COMPARE.aggregate(settings, item, votes)
    assert out.answer["choice"] == "tie" and out.answer["margin"] == 0
    assert out.confidence == pytest.approx(0.5)


def test_criteria_vote(settings, item):
    votes = [
        Vote(1, {"choice": "a", "criteria": {"honesty": "a"}}),
        Vote(2, {"choice": "a", "criteria": {"honesty": "b", "harmlessness": "b"}}, weight=2),
    ]
    out = COMPARE.aggregate(settings, item, votes)
    assert out.answer["criteria"] == {"honesty": "b", "harmlessness": "b"}
    assert out.answer["strength"] == "clear" and out.confidence == 1.0


def test_dpo_row_shape(settings, item):
    record = settle(COMPARE, settings, item, [{"choice": "b", "strength": "decisive"}])
    row = COMPARE.export_row("dpo", settings, record)
    assert row["prompt"] == [{"role": "user", "content": "What is 2+2?"}]
    assert row["chosen"] == [{"role": "assistant", "content": "5"}]
    assert row["rejected"] == [{"role": "assistant", "content": "4"}]
    assert row["margin"] == 3.0 and row["tie"] is False
    assert (row["chosen_model"], row["rejected_model"]) == ("m2", "m1")
    assert row["external_id"] == "x1" and row["confidence"] == 1.0
    assert COMPARE.export_row("reward", settings, record) == row


def test_ties_left_out_unless_asked(item):
    record = record_view(item, {"choice": "tie", "margin": 0.0})
    assert COMPARE.export_row("dpo", COMPARE.parse_settings({}), record) is None
    row = COMPARE.export_row("dpo", COMPARE.parse_settings({"export_ties": True}), record)
    assert row["tie"] is True and row["margin"] == 0.0


def test_unknown_format(settings, item):
    with pytest.raises(InvalidInput) as err:
        COMPARE.export_row("sft", settings, record_view(item, {"choice": "a"}))
    assert err.value.field == "format"


def test_encode_decode(settings):
    assert COMPARE.class_names(settings) == ["a", "b", "tie"]
    assert COMPARE.encode(settings, {"choice": "tie"}) == 2
    assert COMPARE.decode(settings, 1, 0.9) == {"choice": "b"}


def test_model_ratings_order_and_counts(item):
    battles = [battle(item, {"choice": "a"})] * 3 + [battle(item, {"choice": "b"})]
    battles.append(battle(item, {"choice": "tie"}))
    rows = model_ratings(battles)
    assert [r["model"] for r in rows] == ["m1", "m2"]
    assert rows[0]["wins"] == 3 and rows[0]["ties"] == 1 and rows[0]["battles"] == 5
    assert rows[0]["rating"] > 1000 > rows[1]["rating"]
    assert battle({"a": {"content": []}, "b": {"content": []}}, {"choice": "a"}) is None
    with pytest.raises(InvalidInput):
        model_ratings([("m1", "m1", False)])


def test_exports_load_as_datasets(settings, item, load_both):
    records = [
        settle(COMPARE, settings, item, [{"choice": "a", "strength": "slight"}]),
        settle(COMPARE, settings, item, [{"choice": "b", "rationale": "right"}]),
    ]
    for fmt in COMPARE.export_formats:
        rows = [r for rec in records for r in COMPARE.export_rows(fmt, settings, rec)]
        js, pq = load_both(rows, fmt)
        assert js[0]["external_id"] == pq[0]["external_id"] == "x1"
    assert js.column_names  # records
    dpo = [COMPARE.export_row("dpo", settings, r) for r in records]
    js, pq = load_both(dpo, "dpo2")
    assert js[1]["chosen"] == pq[1]["chosen"] == [{"role": "assistant", "content": "5"}]
