from __future__ import annotations

import pytest

from datafab.errors import InvalidInput
from datafab.primitives import get_primitive
from datafab.primitives.base import Vote

from .conftest import record_view, settle

STEPS = get_primitive("steps")
SETTINGS = STEPS.parse_settings({})
ITEM = STEPS.parse_item(SETTINGS, {
    "problem": "2+2*2?",
    "steps": ["2*2 = 4", "2+4 = 6", "# Answer\n\n6"],
    "ground_truth_answer": "6",
})


def test_happy_answers():
    assert STEPS.parse_answer(SETTINGS, ITEM, {"ratings": [1, 0, 1]}) == {"ratings": [1, 0, 1]}
    stopped = {"ratings": [1, -1], "explanation": "2+4 is 6", "corrected_step": "2+4=6"}
    assert STEPS.parse_answer(SETTINGS, ITEM, stopped) == stopped
    assert STEPS.parse_answer(SETTINGS, ITEM, {"ratings": [1], "finish_reason": "give_up"})


@pytest.mark.parametrize(
    ("raw", "field", "settings"),
    [
        ({"ratings": [1, 1, 1, 1]}, "answer.ratings.3", {}),
        ({"ratings": [1, 1]}, "answer.ratings", {}),
        ({"ratings": []}, "answer.ratings", {}),
        ({"ratings": [1, 2, 1]}, "answer.ratings.1", {}),
        ({"ratings": [1, -1]}, "answer.explanation", {"require_explanation": True}),
        ({"ratings": [1, 1, 1], "corrected_step": "x"}, "answer.corrected_step", {}),
        ({"ratings": [1, 1, 1], "finish_reason": "found_error"}, "answer.finish_reason", {}),
        ({"ratings": [1, 1, 1], "flagged": [5]}, "answer.flagged.0", {}),
        ({"ratings": [1, 1, 1], "why": "x"}, "answer.why", {}),
    ],
)
def test_bad_answers(raw, field, settings):
    with pytest.raises(InvalidInput) as err:
        STEPS.parse_answer(STEPS.parse_settings(settings), ITEM, raw)
    assert err.value.field == field


def test_bad_items():
    with pytest.raises(InvalidInput) as err:
        STEPS.parse_item(SETTINGS, {"problem": "p", "steps": []})
    assert err.value.field == "data.steps"


def test_aggregate_per_step_stops_at_first_wrong():
    votes = [
        Vote(1, {"ratings": [1, -1], "explanation": "light"}, weight=1.0),
        Vote(2, {"ratings": [1, -1], "explanation": "heavy", "corrected_step": "c"}, weight=2.0),
        Vote(3, {"ratings": [1, 1, 1]}, weight=1.5),
    ]
    out = STEPS.aggregate(SETTINGS, ITEM, votes)
    assert out.answer["ratings"] == [1, -1]
    assert out.answer["first_wrong_step"] == 1
    assert out.answer["finish_reason"] == "found_error"
    assert out.answer["explanation"] == "heavy" and out.answer["corrected_step"] == "c"
    assert out.confidence == pytest.approx(3 / 4.5)


def test_equal_mass_goes_to_the_more_severe_rating():
    votes = [Vote(1, {"ratings": [0, 1, 1]}), Vote(2, {"ratings": [1, 1, 1]})]
    out = STEPS.aggregate(SETTINGS, ITEM, votes)
    assert out.answer["ratings"] == [0, 1, 1] and out.answer["finish_reason"] == "solution"
    assert out.answer["first_wrong_step"] is None and out.confidence == 0.5


def test_prm_labels_and_neutral_mapping():
    record = record_view(ITEM, {"ratings": [0, -1]})
    row = STEPS.export_row("prm", SETTINGS, record)
    assert row["prompt"] == "2+2*2?"
    assert row["completions"] == ["2*2 = 4", "2+4 = 6"]
    assert row["labels"] == [True, False]
    strict = STEPS.parse_settings({"neutral_is_correct": False})
    assert STEPS.export_row("prm", strict, record)["labels"] == [False, False]
    assert STEPS.export_row("prm", SETTINGS, record_view(ITEM, {"ratings": []})) is None


def test_prm800k_line_shape():
    record = settle(STEPS, SETTINGS, ITEM, [{"ratings": [1, -1], "corrected_step": "2+4=6"}],
                    submissions=({"seconds_spent": 2.5},))
    line = STEPS.export_row("prm800k", SETTINGS, record)
    assert set(line) >= {"labeler", "timestamp", "generation", "is_quality_control_question",
                         "is_initial_screening_question", "question", "label"}
    assert line["question"]["problem"] == "2+2*2?"
    assert line["question"]["ground_truth_answer"] == "6"
    assert line["question"]["pre_generated_steps"] == ITEM["steps"]
    steps = line["label"]["steps"]
    assert steps[0] == {"completions": [{"text": "2*2 = 4", "rating": 1, "flagged": None}],
                        "human_completion": None, "chosen_completion": 0}
    assert steps[1]["chosen_completion"] is None and steps[1]["human_completion"] == "2+4=6"
    assert line["label"]["finish_reason"] == "found_error"
    assert line["label"]["total_time"] == 2500


def test_exports_load_as_datasets(load_both):
    records = [settle(STEPS, SETTINGS, ITEM, [{"ratings": [1, 0, 1]}]),
               settle(STEPS, SETTINGS, ITEM, [{"ratings": [1, -1]}])]
    for fmt in STEPS.export_formats:
        rows = [r for rec in records for r in STEPS.export_rows(fmt, SETTINGS, rec)]
        js, pq = load_both(rows, fmt)
        if fmt == "prm":
            assert js[1]["labels"] == pq[1]["labels"] == [True, False]
