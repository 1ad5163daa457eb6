from __future__ import annotations

import numpy as np
import pytest

from datafab.errors import InvalidInput
from datafab.primitives import get_primitive
from datafab.primitives.base import Vote
from datafab.primitives.grade import RaterBias

from .conftest import settle

GRADE = get_primitive("grade")
RUBRIC = [
    {"id": "accuracy", "description": "Is it right?", "weight": 3, "min": 1, "max": 5},
    {"id": "style", "description": "Is it clear?", "weight": 1, "min": 0, "max": 2},
]
SETTINGS = GRADE.parse_settings({"rubric": RUBRIC})
ITEM = GRADE.parse_item(SETTINGS, {"prompt": "2+2?", "response": "4"})


def test_happy_answer():
    raw = {"scores": {"accuracy": 5, "style": 2}, "justifications": {"accuracy": "right"}}
    assert GRADE.parse_answer(SETTINGS, ITEM, raw) == raw


@pytest.mark.parametrize(
    ("raw", "field", "settings"),
    [
        ({"scores": {"accuracy": 5}}, "answer.scores.style", SETTINGS),
        ({"scores": {"accuracy": 6, "style": 1}}, "answer.scores.accuracy", SETTINGS),
        ({"scores": {"accuracy": 5, "style": 1, "tone": 1}}, "answer.scores.tone", SETTINGS),
        ({"scores": {"accuracy": 4.5, "style": 1}}, "answer.scores.accuracy", SETTINGS),
        ({"scores": {"accuracy": 5, "style": 1}, "justifications": {"tone": "x"}},
         "answer.justifications.tone", SETTINGS),
        ({"scores": {"accuracy": 5, "style": 1}, "justifications": {"accuracy": "ok"}},
         "answer.justifications.style",
         GRADE.parse_settings({"rubric": RUBRIC, "require_justification": True})),
    ],
)
def test_bad_answers(raw, field, settings):
    with pytest.raises(InvalidInput) as err:
        GRADE.parse_answer(settings, ITEM, raw)
    assert err.value.field == field


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"rubric": [RUBRIC[0], RUBRIC[0]]}, "settings.rubric.1.id"),
        ({"rubric": [{**RUBRIC[0], "weight": 0}]}, "settings.rubric.0.weight"),
        ({"rubric": [{**RUBRIC[0], "max": 1}]}, "settings.rubric.0"),
        ({"rubric": []}, "settings.rubric"),
    ],
)
def test_bad_settings(raw, field):
    with pytest.raises(InvalidInput) as err:
        GRADE.parse_settings(raw)
    assert err.value.field == field


def test_item_needs_a_rubric_somewhere():
    bare = GRADE.parse_settings({})
    with pytest.raises(InvalidInput) as err:
        GRADE.parse_item(bare, {"prompt": "p", "response": "r"})
    assert err.value.field == "data.rubric"
    item = GRADE.parse_item(bare, {"prompt": "p", "response": "r", "rubric": [RUBRIC[1]]})
    assert GRADE.rubric(bare, item)[0]["id"] == "style"
    assert GRADE.parse_answer(bare, item, {"scores": {"style": 0}})


def test_weighted_mean_totals_and_confidence():
    votes = [Vote(1, {"scores": {"accuracy": 5, "style": 2}}, 1.0),
             Vote(2, {"scores": {"accuracy": 1, "style": 2}}, 3.0)]
    out = GRADE.aggregate(SETTINGS, ITEM, votes)
    assert out.answer["scores"] == {"accuracy": 2.0, "style": 2.0}
    assert out.answer["total"] == pytest.approx((3 * 2 + 1 * 2) / 4)
    assert out.answer["total_normalised"] == pytest.approx((3 * 0.25 + 1 * 1.0) / 4)
    assert out.answer["n_raters"] == 2 and out.method == "weighted_mean"
    # accuracy: weighted std = sqrt(.25*9 + .75*1) = sqrt(3); half range 2. style: 0.
    assert out.confidence == pytest.approx(1 - (np.sqrt(3) / 2) / 2)


def test_rater_bias_recovers_additive_offsets():
    # rater 0 is one point harsher than rater 1 on every item.
    fit = RaterBias(l2=0.0).fit([0, 0, 1, 1], [0, 1, 0, 1], [0, 0, 0, 0], [3.0, 1.0, 5.0, 3.0],
                                n_raters=2, n_items=2, n_criteria=1)
    assert fit.bias_[:, 0] == pytest.approx([-1.0, 1.0])
    assert fit.means_[:, 0] == pytest.approx([4.0, 2.0])
    shrunk = RaterBias(l2=2.0).fit([0, 0, 1, 1], [0, 1, 0, 1], [0, 0, 0, 0],
                                   [3.0, 1.0, 5.0, 3.0], n_raters=2, n_items=2, n_criteria=1)
    assert shrunk.bias_[:, 0] == pytest.approx([-0.5, 0.5])


def test_bias_corrected_aggregate_over_the_project():
    items = {}
    for key, (harsh, kind) in enumerate([(2, 4), (1, 3)]):
        votes = [Vote(10, {"scores": {"accuracy": harsh, "style": 1}}),
                 Vote(20, {"scores": {"accuracy": kind, "style": 1}})]
        items[key] = (ITEM, votes)
    biases = GRADE.rater_biases(SETTINGS, items, l2=0.0)
    assert biases[10]["accuracy"] == pytest.approx(-1.0)
    assert biases[20]["accuracy"] == pytest.approx(1.0)
    assert biases[10]["style"] == pytest.approx(0.0)
    out = GRADE.aggregate(SETTINGS, ITEM, items[0][1], bias=biases)
    assert out.answer["scores"]["accuracy"] == pytest.approx(3.0)
    assert out.method == "bias_corrected_mean" and out.confidence == pytest.approx(1.0)


def test_grades_export(load_both):
    records = [settle(GRADE, SETTINGS, ITEM, [{"scores": {"accuracy": 4, "style": 1}},
                                              {"scores": {"accuracy": 2, "style": 1}}]),
               settle(GRADE, SETTINGS, ITEM, [{"scores": {"accuracy": 5, "style": 2}}])]
    row = GRADE.export_row("grades", SETTINGS, records[0])
    assert row["scores"] == {"accuracy": 3.0, "style": 1.0} and row["n_raters"] == 2
    assert row["response"] == [{"role": "assistant", "content": "4"}]
    assert [c["id"] for c in row["rubric"]] == ["accuracy", "style"]
    for fmt in GRADE.export_formats:
        rows = [r for rec in records for r in GRADE.export_rows(fmt, SETTINGS, rec)]
        js, pq = load_both(rows, fmt)
        if fmt == "grades":
            assert js[1]["total"] == pq[1]["total"] == pytest.approx((3 * 5 + 2) / 4)
