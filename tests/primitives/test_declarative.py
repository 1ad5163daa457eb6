"""Customer primitives, pure: a definition checked (every bad input named by its path), items
and answers checked against it, every answer field type aggregated by its named rule, gold
per field, export columns, and the answer's JSON Schema for models."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from datafab.errors import InvalidInput
from datafab.primitives.base import Vote
from datafab.primitives.declarative import DeclarativePrimitive, parse_definition
from datafab.primitives.declarative.aggregate import Given, fit_choices
from datafab.primitives.declarative.fields import MAX_NESTING

from .conftest import record_view

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "primitives"


def example(name: str) -> dict:
    return yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text())


#: Every answer field type once, over an item with a text and a list.
ALL_TYPES = {
    "name": "all_types",
    "item": {"fields": [
        {"name": "text", "type": "text"},
        {"name": "options", "type": "list", "items": {"type": "string"}},
        {"name": "two", "type": "list", "min_items": 2, "max_items": 2,
         "items": {"type": "text"}},
    ]},
    "answer": {"fields": [
        {"name": "topic", "type": "choice", "options": ["x", "y", "z"]},
        {"name": "tags", "type": "choice", "options": ["p", "q", "r"], "multiple": True},
        {"name": "score", "type": "number", "minimum": 0, "maximum": 100,
         "aggregation": "trimmed_mean", "gold": "tolerance", "tolerance": 5},
        {"name": "stars", "type": "rating", "minimum": 1, "maximum": 5},
        {"name": "note", "type": "text", "aggregation": "best_by_vote", "required": False},
        {"name": "marks", "type": "spans", "over": "text", "labels": ["A", "B"]},
        {"name": "order", "type": "ranking", "over": "options"},
        {"name": "better", "type": "pair", "over": "two"},
        {"name": "per_option", "type": "list", "over": "options", "fields": [
            {"name": "ok", "type": "choice", "options": ["yes", "no"]},
            {"name": "why", "type": "text", "required": False},
        ]},
        {"name": "extras", "type": "list", "aggregation": "keep_all", "required": False,
         "fields": [{"name": "word", "type": "text"}]},
    ]},
    "layout": [{"widget": "show_text", "field": "text"},
               *({"widget": "answer", "field": f} for f in
                 ["topic", "tags", "score", "stars", "note", "marks", "order", "better",
                  "per_option", "extras"])],
}
ITEM = {"text": "Paris is in France.", "options": ["o1", "o2", "o3"], "two": ["a1", "b1"]}


def answer(**over) -> dict:
    base = {"topic": "x", "tags": ["p"], "score": 50, "stars": 4, "marks": [],
            "order": [0, 1, 2], "better": "a",
            "per_option": [{"ok": "yes"}, {"ok": "no"}, {"ok": "yes"}]}
    return {**base, **over}


@pytest.fixture
def prim() -> DeclarativePrimitive:
    return DeclarativePrimitive.from_raw(ALL_TYPES)


def settle(prim: DeclarativePrimitive, answers: list[dict], item: dict = ITEM):
    votes = [Vote(i, prim.parse_answer(None, item, a)) for i, a in enumerate(answers)]
    return prim.aggregate(None, item, votes)


# -- definitions -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["claim_factuality", "red_team_review"])
def test_the_shipped_examples_are_valid(name):
    definition = parse_definition(example(name))
    assert definition.name == name and definition.answer and definition.layout


def _broken(change) -> dict:
    raw = copy.deepcopy(ALL_TYPES)
    change(raw)
    return raw


def _nest(depth: int) -> dict:
    field: dict = {"name": "leaf", "type": "string"}
    for _ in range(depth):
        field = {"name": "box", "type": "object", "fields": [field]}
    return field


BAD = [
    # an unknown field type, in the item and in the answer
    (lambda r: r["item"]["fields"].append({"name": "v", "type": "video"}), "item.fields.3.type"),
    (lambda r: r["answer"]["fields"][1].update(type="slider"), "answer.fields.1.type"),
    # a layout naming a missing field
    (lambda r: r["layout"].append({"widget": "show_text", "field": "nope"}), "layout.11.field"),
    (lambda r: r["layout"][1].update(field="nope"), "layout.1.field"),
    (lambda r: r["layout"].append({"widget": "iframe", "field": "text"}), "layout.11.widget"),
    (lambda r: r["layout"].pop(2), "layout"),  # an answer field nobody could give
    # an aggregation that does not fit the field type
    (lambda r: r["answer"]["fields"][2].update(aggregation="dawid_skene"),
     "answer.fields.2.aggregation"),
    (lambda r: r["answer"]["fields"][0].update(aggregation="median"),
     "answer.fields.0.aggregation"),
    (lambda r: r["answer"]["fields"][5].update(gold="tolerance"), "answer.fields.5.gold"),
    (lambda r: r["answer"]["fields"][8]["fields"][0].update(aggregation="dawid_skene"),
     "answer.fields.8.fields.0.aggregation"),
    # schemas that would allow unbounded nesting
    (lambda r: r["item"]["fields"].append({"name": "free", "type": "object"}),
     "item.fields.3.fields"),
    (lambda r: r["item"]["fields"].append({"name": "free", "type": "list"}),
     "item.fields.3.items"),
    (lambda r: r["item"]["fields"].append(_nest(MAX_NESTING + 1)),
     "item.fields.3" + ".fields.0" * (MAX_NESTING - 1) + ".fields"),
    (lambda r: r["answer"]["fields"][9]["fields"].append(
        {"name": "inner", "type": "list", "fields": [{"name": "w", "type": "text"}],
         "aggregation": "keep_all"}), "answer.fields.9.fields.1.type"),
    (lambda r: r["item"]["fields"][0].update({"$ref": "#"}), "item.fields.0.$ref"),
    # references that do not hold
    (lambda r: r["answer"]["fields"][5].update(over="options"), "answer.fields.5.over"),
    (lambda r: r["answer"]["fields"][7].update(over="options"), "answer.fields.7.over"),
    (lambda r: r["answer"]["fields"][0].update(options=["x", "x"]),
     "answer.fields.0.options.1"),
    (lambda r: r["answer"]["fields"][3].update(maximum=1), "answer.fields.3.maximum"),
    (lambda r: r.update(export={"columns": [{"name": "c", "from": "answer.nope"}]}),
     "export.columns.0.from"),
    (lambda r: r.update(name="Bad Name"), "name"),
]


@pytest.mark.parametrize(("change", "path"), BAD)
def test_a_bad_definition_names_its_path(change, path):
    with pytest.raises(InvalidInput) as err:
        parse_definition(_broken(change))
    assert err.value.field == path, err.value.message
    assert err.value.status == 422


def test_an_item_of_too_many_fields_in_all_is_refused():
    wide = {"name": "wide", "type": "object",
            "fields": [{"name": f"f{i}", "type": "object",
                        "fields": [{"name": f"g{j}", "type": "string"} for j in range(20)]}
                       for i in range(30)]}
    with pytest.raises(InvalidInput) as err:
        parse_definition(_broken(lambda r: r["item"]["fields"].append(wide)))
    assert err.value.field == "item.fields" and "500" in err.value.message


def test_nesting_up_to_the_bound_is_fine():
    raw = _broken(lambda r: r["item"]["fields"].append(_nest(MAX_NESTING - 1)))
    raw["layout"].append({"widget": "show_value", "field": "box"})
    definition = parse_definition(raw)
    assert definition.item[-1].name == "box"


# -- items and answers ----------------------------------------------------------------------------

def test_an_item_is_checked_field_by_field(prim):
    assert prim.parse_item(None, ITEM) == ITEM
    with pytest.raises(InvalidInput) as err:
        prim.parse_item(None, {**ITEM, "options": ["o1", 2]})
    assert err.value.field == "data.options.1"
    with pytest.raises(InvalidInput) as err:
        prim.parse_item(None, {**ITEM, "two": ["only one"]})
    assert err.value.field == "data.two"
    with pytest.raises(InvalidInput) as err:
        prim.parse_item(None, {**ITEM, "extra": 1})
    assert err.value.field == "data.extra"


@pytest.mark.parametrize(("bad", "path"), [
    ({"topic": "w"}, "answer.topic"),
    ({"tags": ["p", "zz"]}, "answer.tags.1"),
    ({"score": 101}, "answer.score"),
    ({"stars": 3.5}, "answer.stars"),
    ({"marks": [{"start": 3, "end": 99, "label": "A"}]}, "answer.marks.0.end"),
    ({"marks": [{"start": 0, "end": 5, "label": "C"}]}, "answer.marks.0.label"),
    ({"order": [0, 0, 1]}, "answer.order"),
    ({"better": "c"}, "answer.better"),
    ({"per_option": [{"ok": "yes"}]}, "answer.per_option"),
    ({"per_option": [{"ok": "yes"}, {"ok": "maybe"}, {"ok": "no"}]}, "answer.per_option.1.ok"),
    ({"topic": None}, "answer.topic"),
    ({"surprise": 1}, "answer.surprise"),
])
def test_a_bad_answer_names_the_field(prim, bad, path):
    with pytest.raises(InvalidInput) as err:
        prim.parse_answer(None, ITEM, answer(**bad))
    assert err.value.field == path, err.value.message


# -- aggregation, one answer field type at a time -------------------------------------------------

def test_each_field_aggregates_by_its_rule(prim):
    outcome = settle(prim, [
        answer(topic="x", tags=["p", "q"], score=10, stars=4, note="Fine.",
               marks=[{"start": 0, "end": 5, "label": "A"}], order=[2, 0, 1], better="a",
               per_option=[{"ok": "yes", "why": "w1"}, {"ok": "no"}, {"ok": "yes"}],
               extras=[{"word": "alpha"}]),
        answer(topic="y", tags=["p"], score=20, stars=5, note="fine. ",
               marks=[{"start": 0, "end": 5, "label": "A"}], order=[2, 1, 0], better="a",
               per_option=[{"ok": "yes"}, {"ok": "yes"}, {"ok": "no"}],
               extras=[{"word": "beta"}]),
        answer(topic="x", tags=["q"], score=90, stars=4, note="Other",
               marks=[{"start": 6, "end": 8, "label": "B"}], order=[0, 2, 1], better="b",
               per_option=[{"ok": "no"}, {"ok": "no"}, {"ok": "yes"}]),
    ])
    a = outcome.answer
    assert a["topic"] == "x"                      # 2 of 3
    assert a["tags"] == ["p", "q"]                # each chosen by 2 of 3
    assert a["score"] == pytest.approx(40.0)      # 3 values: nothing trimmed, the mean
    assert a["stars"] == 4                        # the median
    assert a["note"] == "Fine."                   # "Fine." and "fine. " count as one text
    assert a["marks"] == [{"start": 0, "end": 5, "label": "A"}]  # 2 of 3 marked it
    assert a["order"][0] == 2                     # o3 beats both others in 2 of 3 rankings
    assert a["better"] == "a"
    assert a["per_option"] == [{"ok": "yes", "why": ["w1"]}, {"ok": "no"}, {"ok": "yes"}]
    assert a["extras"] == [{"word": "alpha"}, {"word": "beta"}]
    fields = outcome.details["fields"]
    assert fields["topic"]["confidence"] == pytest.approx(2 / 3)
    assert fields["extras"]["confidence"] is None
    assert outcome.confidence == pytest.approx(min(
        f["confidence"] for f in fields.values() if f["confidence"] is not None))


def test_numbers_median_trimmed_and_mean():
    raw = _broken(lambda r: None)
    for method, expected in [("median", 5.0), ("trimmed_mean", 5.0), ("mean", 14.0)]:
        raw["answer"]["fields"][2]["aggregation"] = method
        p = DeclarativePrimitive.from_raw(raw)
        values = [1, 3, 4, 5, 5, 5, 6, 7, 4, 100]  # one outlier
        outcome = settle(p, [answer(score=v) for v in values])
        assert outcome.answer["score"] == pytest.approx(
            expected if method != "trimmed_mean" else sum(sorted(values)[1:-1]) / 8)


def test_a_tie_in_a_pair_stays_a_tie(prim):
    outcome = settle(prim, [answer(better="a"), answer(better="b")])
    assert outcome.answer["better"] == "tie"
    assert settle(prim, [answer(better="b")] * 3).answer["better"] == "b"


def test_keep_all_text_keeps_every_distinct_text():
    raw = _broken(lambda r: r["answer"]["fields"][4].update(aggregation="keep_all"))
    p = DeclarativePrimitive.from_raw(raw)
    outcome = settle(p, [answer(note="one"), answer(note="two"), answer(note="one")])
    assert outcome.answer["note"] == ["one", "two"]


def test_an_estimator_fits_a_choice_across_the_project():
    """Dawid–Skene learns that contributor 2 answers "x" whatever the item, so on the item
    where contributor 0 says "z" and contributor 2 "x" it follows contributor 0 — where a vote
    would tie and give the first option, "x"."""
    raw = _broken(lambda r: r["answer"]["fields"][0].update(aggregation="dawid_skene"))
    f = parse_definition(raw).answer[0]
    answers = {}
    truth = ["x", "y", "z", "y", "z", "x", "y", "z"]
    for n, t in enumerate(truth):
        answers[n] = [Given(0, t), Given(1, t), Given(2, "x")]
    answers[99] = [Given(0, "z"), Given(2, "x")]
    out = fit_choices(f, answers)
    assert [out[n].value for n in range(len(truth))] == truth
    assert out[99].value == "z"
    assert out[99].details["method"] == "dawid_skene"
    raw["answer"]["fields"][0]["aggregation"] = "majority_vote"
    voted = fit_choices(parse_definition(raw).answer[0], answers)
    assert voted[99].value == "x"


def test_aggregate_project_uses_the_estimator(prim):
    raw = _broken(lambda r: r["answer"]["fields"][0].update(aggregation="dawid_skene"))
    p = DeclarativePrimitive.from_raw(raw)
    votes = {1: (ITEM, [Vote(0, answer(topic="y")), Vote(1, answer(topic="y"))])}
    outcomes = p.aggregate_project(None, votes)
    assert outcomes is not None and outcomes[1].answer["topic"] == "y"
    assert outcomes[1].details["fields"]["topic"]["method"] == "dawid_skene"


# -- gold ---------------------------------------------------------------------------------------

def test_gold_compares_each_field_by_its_rule(prim):
    gold = {"topic": "x", "score": 50, "marks": [{"start": 0, "end": 5, "label": "A"}],
            "per_option": [{"ok": "yes", "why": "whatever"}, {"ok": "no"}, {"ok": "yes"}]}
    near = answer(score=54, marks=[{"start": 0, "end": 4, "label": "A"}])
    assert prim.gold_fields(near, gold) == {"topic": True, "score": True, "marks": True,
                                            "per_option": True}
    assert prim.matches_gold(None, near, gold)
    assert not prim.matches_gold(None, answer(score=56), gold)  # past the tolerance of 5
    off = answer(marks=[{"start": 0, "end": 2, "label": "A"}])  # IoU 0.4 < 0.5
    assert prim.gold_fields(off, gold)["marks"] is False
    extra = answer(marks=[{"start": 0, "end": 5, "label": "A"},
                          {"start": 6, "end": 8, "label": "B"}])
    assert prim.gold_fields(extra, gold)["marks"] is False
    wrong_entry = answer(per_option=[{"ok": "no"}, {"ok": "no"}, {"ok": "yes"}])
    assert prim.gold_fields(wrong_entry, gold)["per_option"] is False


# -- export and models -----------------------------------------------------------------------

def test_export_maps_the_columns():
    p = DeclarativePrimitive.from_raw(example("claim_factuality"))
    item = p.parse_item(None, {"question": "Q?", "answer": "A. B.", "claims": ["A.", "B."]})
    outcome = p.aggregate(None, item, [Vote(0, p.parse_answer(None, item, {
        "verdicts": [{"rating": "supported", "justification": "source 1"},
                     {"rating": "contradicted", "justification": "source 2 says not"}],
        "overall": 3}))])
    row = next(p.export_rows("records", None, record_view(item, outcome.answer,
                                                        confidence=outcome.confidence)))
    assert list(row) == ["question", "answer", "claims", "verdicts", "overall", "confidence",
                         "record_id"]
    assert row["verdicts"][1] == {"rating": "contradicted",
                                  "justification": ["source 2 says not"]}
    assert row["overall"] == 3 and row["record_id"] == 1
    with pytest.raises(InvalidInput) as err:
        list(p.export_rows("sft", None, record_view(item, outcome.answer)))
    assert err.value.field == "format"


def test_the_default_export_has_the_item_each_field_and_the_lineage(prim):
    row = prim.export_row("records", None, record_view(ITEM, {"topic": "x"}))
    assert row["item"] == ITEM and row["topic"] == "x" and row["score"] is None
    assert row["external_id"] == "x1" and "confidence" in row


def test_the_answer_schema_says_what_the_primitive_accepts(prim):
    schema = prim.answer_json_schema(None)
    props = schema["properties"]
    assert schema["additionalProperties"] is False
    assert props["topic"] == {"enum": ["x", "y", "z"]}
    assert props["tags"]["items"] == {"enum": ["p", "q", "r"]}
    assert props["stars"] == {"type": "integer", "minimum": 1.0, "maximum": 5.0}
    assert props["better"]["enum"] == ["a", "b", "tie"]
    assert props["marks"]["items"]["properties"]["label"] == {"enum": ["A", "B"]}
    assert props["per_option"]["items"]["required"] == ["ok"]
    assert set(schema["required"]) == {f["name"] for f in ALL_TYPES["answer"]["fields"]
                                       if f.get("required", True)}
