"""Importers: each format's sample goes in, and comes back out of the matching export with
every field the format has."""

from __future__ import annotations

import json

import pytest

from datafab.errors import InvalidInput
from datafab.primitives import get_primitive
from datafab.primitives.importers import hh_rlhf, label_studio, prm800k

from .conftest import record_view

COMPARE, STEPS = get_primitive("compare"), get_primitive("steps")
CLASSIFY, SPANS = get_primitive("classify"), get_primitive("spans")

HH = [
    {"chosen": "\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Tell me a joke.\n\nAssistant: "
               "Why did the chicken cross the road?",
     "rejected": "\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Tell me a joke.\n\nAssistant: "
                 "No."},
    {"chosen": "\n\nHuman: 2+2?\n\nAssistant: 4", "rejected": "\n\nHuman: 2+2?\n\nAssistant: 5"},
]

PHASE2 = {
    "labeler": "340d89bc-f5b7-45e9-b272-909ba68ee363",
    "timestamp": "2023-01-22T04:34:27.052924",
    "generation": 9,
    "is_quality_control_question": False,
    "is_initial_screening_question": False,
    "question": {
        "problem": "What is 1+2+3?",
        "ground_truth_solution": "1+2+3=\\boxed{6}",
        "ground_truth_answer": "6",
        "pre_generated_steps": ["I add 1 and 2 to get 3.", "Then 3+3=7.", "# Answer\n\n7"],
        "pre_generated_answer": "7",
        "pre_generated_verifier_score": 0.0107,
    },
    "label": {
        "steps": [
            {"completions": [{"text": "I add 1 and 2 to get 3.", "rating": 0, "flagged": None}],
             "human_completion": None, "chosen_completion": 0},
            {"completions": [{"text": "Then 3+3=7.", "rating": -1, "flagged": None},
                             {"text": "Then 3+3=6.", "rating": 1, "flagged": False}],
             "human_completion": None, "chosen_completion": None},
        ],
        "total_time": 278270,
        "finish_reason": "found_error",
    },
}
PHASE1 = {
    "labeler": "e90a38f3", "timestamp": "2022-07-17T16:56:51.323252", "generation": None,
    "is_quality_control_question": False, "is_initial_screening_question": False,
    "question": {"problem": "Compute 3*3.", "ground_truth_answer": "9"},
    "label": {
        "steps": [
            {"completions": [{"text": "3*3 = 6", "rating": -1, "flagged": False}],
             "human_completion": "3*3 = 9", "chosen_completion": None},
            {"completions": [{"text": "# Answer\n\n9", "rating": 1, "flagged": True},
                             {"text": "# Answer\n\n10", "rating": -1, "flagged": False}],
             "human_completion": None, "chosen_completion": 0},
        ],
        "total_time": 1000,
        "finish_reason": "solution",
    },
}

LS_TASKS = [
    {"id": 17, "data": {"text": "Ada lives in London", "source": "wiki"},
     "annotations": [
         {"was_cancelled": True, "result": []},
         {"result": [
             {"type": "labels", "from_name": "ner", "to_name": "text",
              "value": {"start": 0, "end": 3, "text": "Ada", "labels": ["PER"]}},
             {"type": "labels", "from_name": "ner", "to_name": "text",
              "value": {"start": 13, "end": 19, "text": "London", "labels": ["LOC"]}},
             {"type": "choices", "from_name": "sentiment", "to_name": "text",
              "value": {"choices": ["neutral"]}},
         ]},
     ]},
    {"id": 18, "data": {"review": "Great food"}, "annotations": []},
]


def _hh_text(messages: list[dict]) -> str:
    names = {"user": "Human", "assistant": "Assistant"}
    return "".join(f"\n\n{names[m['role']]}: {m['content']}" for m in messages)


def test_hh_rlhf_round_trip_through_dpo():
    settings = COMPARE.parse_settings({})
    imported = list(hh_rlhf(json.dumps(line) for line in HH))
    assert len(imported) == 2
    external_id, data, prior, _ = imported[0]
    assert external_id.startswith("hh-") and prior == {"choice": "a"}
    assert [m["role"] for m in data["prompt"]] == ["user", "assistant", "user"]
    assert data["b"]["content"] == [{"role": "assistant", "content": "No."}]
    for (_, data, prior, _), line in zip(imported, HH, strict=True):
        answer = COMPARE.parse_answer(settings, data, prior)
        outcome = COMPARE.aggregate(settings, data, [_vote(answer)])
        row = COMPARE.export_row("dpo", settings, record_view(data, outcome.answer))
        assert _hh_text(row["prompt"] + row["chosen"]) == line["chosen"]
        assert _hh_text(row["prompt"] + row["rejected"]) == line["rejected"]
    # Same content, same id: importing twice is idempotent.
    assert [i[0] for i in hh_rlhf(HH)] == [i[0] for i in imported]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["", "{not json"], "line 2: not valid JSON"),
        ([{"chosen": "Hi", "rejected": "\n\nHuman: a\n\nAssistant: b"}], "line 1: chosen"),
        ([{"chosen": "\n\nHuman: a\n\nAssistant: b",
           "rejected": "\n\nHuman: c\n\nAssistant: b"}], "line 1: chosen and rejected share no"),
        ([HH[1], {"chosen": "\n\nHuman: a", "rejected": "\n\nHuman: a"}], "line 2: chosen"),
        ([[1, 2]], "line 1: expected a JSON object"),
    ],
)
def test_hh_rlhf_errors_name_the_line(lines, message):
    with pytest.raises(InvalidInput) as err:
        list(hh_rlhf(lines))
    assert err.value.message.startswith(message)
    assert err.value.field == message.split(":")[0]


# A pair as published in HH-RLHF whose transcripts part before their last Assistant turn: the
# conversation went on differently after the first answer.
PARTED = {
    "chosen": "\n\nHuman: Name a fruit.\n\nAssistant: An apple.\n\nHuman: Another?"
              "\n\nAssistant: A pear.",
    "rejected": "\n\nHuman: Name a fruit.\n\nAssistant: A rock.\n\nHuman: That is not a "
                "fruit.\n\nAssistant: Sorry, a plum.",
}


def test_hh_rlhf_pair_parting_before_the_last_turn_keeps_both_conversations():
    """The prompt is what both transcripts share up to the last shared Human turn; each
    response is the rest of its transcript, so the DPO row gives back both transcripts."""
    settings = COMPARE.parse_settings({})
    [(_, data, prior, _)] = hh_rlhf([PARTED])
    assert data["prompt"] == [{"role": "user", "content": "Name a fruit."}]
    assert [m["role"] for m in data["a"]["content"]] == ["assistant", "user", "assistant"]
    outcome = COMPARE.aggregate(settings, data, [_vote(COMPARE.parse_answer(settings, data,
                                                                            prior))])
    row = COMPARE.export_row("dpo", settings, record_view(data, outcome.answer))
    assert _hh_text(row["prompt"] + row["chosen"]) == PARTED["chosen"]
    assert _hh_text(row["prompt"] + row["rejected"]) == PARTED["rejected"]


def test_importers_skip_odd_lines_and_say_why_when_asked():
    skipped = []
    lines = [json.dumps(HH[0]), "", "{not json", json.dumps(PARTED), "[1]",
             json.dumps({"chosen": "\n\nHuman: a\n\nAssistant: b",
                         "rejected": "\n\nHuman: c\n\nAssistant: d"}),
             json.dumps(HH[1])]
    imported = list(hh_rlhf(lines, on_skip=skipped.append))
    assert len(imported) == 3
    assert [(s.line, s.reason.split(" ")[0]) for s in skipped] == [
        (3, "not"), (5, "expected"), (6, "chosen")]
    assert skipped[2].reason == "chosen and rejected share no Human turn to use as the prompt"

    bad = json.loads(json.dumps(PHASE2))
    bad["label"]["steps"][0]["completions"][0]["rating"] = 7
    skipped.clear()
    assert len(list(prm800k([PHASE1, bad, PHASE2], on_skip=skipped.append))) == 2
    assert [s.line for s in skipped] == [2]
    assert skipped[0].reason.startswith("label.steps.0.completions.0.rating")

    skipped.clear()
    tasks = [LS_TASKS[1], {"id": 18, "data": {"review": "Changed"}}, {"data": "x"},
             LS_TASKS[1], LS_TASKS[0]]
    imported = list(label_studio(tasks, "spans", on_skip=skipped.append))
    assert [(i.external_id, i.line) for i in imported] == [("18", 1), ("18", 4), ("17", 5)]
    assert [(s.line, s.reason) for s in skipped] == [
        (2, "id '18' was already used on line 1 for different content"),
        (3, "data: expected an object")]


def test_an_importer_check_refuses_a_line_in_its_own_terms():
    def check(data, prior):
        if prior and prior.get("label") != "positive":
            raise InvalidInput(f"prior_answer.label: unknown label {prior['label']!r}",
                               field="prior_answer.label")
        return data, prior

    skipped = []
    imported = list(label_studio(LS_TASKS, "classify", check=check, on_skip=skipped.append))
    assert [i[0] for i in imported] == ["18"]
    assert [(s.line, s.reason) for s in skipped] == [
        (1, "prior_answer.label: unknown label 'neutral'")]
    with pytest.raises(InvalidInput) as err:
        list(label_studio(LS_TASKS, "classify", check=check))
    assert err.value.field == "line 1"


def _vote(answer):
    from datafab.primitives.base import Vote

    return Vote(contributor=1, answer=answer)


def test_prm800k_round_trip():
    settings = STEPS.parse_settings({})
    lines = [json.dumps(PHASE2), json.dumps(PHASE1)]
    imported = list(prm800k(lines))
    (_, data2, prior2, _), (_, data1, prior1, _) = imported
    assert data2["steps"] == PHASE2["question"]["pre_generated_steps"]
    assert prior2 == {"ratings": [0, -1], "finish_reason": "found_error"}
    assert data1["steps"] == ["3*3 = 9", "# Answer\n\n9"]
    assert prior1 == {"ratings": [1, 1], "finish_reason": "solution", "flagged": [1]}
    for (_, data, prior, _), original in zip(imported, [PHASE2, PHASE1], strict=True):
        outcome = STEPS.aggregate(settings, data, [_vote(prior)])
        line = STEPS.export_row("prm800k", settings, record_view(data, outcome.answer))
        assert line.pop("datafab")["external_id"] == "x1"
        assert line == original
    prm = STEPS.export_row("prm", settings, record_view(data2, prior2))
    assert prm == {**prm, "prompt": "What is 1+2+3?", "labels": [True, False],
                   "completions": PHASE2["question"]["pre_generated_steps"][:2]}


def test_prm800k_ratings_from_the_record_replace_the_imported_ones():
    [(_, data, _, _)] = prm800k([PHASE2])
    line = STEPS.export_row("prm800k", STEPS.parse_settings({}),
                            record_view(data, {"ratings": [1, -1], "finish_reason": "found_error"}))
    assert line["label"]["steps"][0]["completions"][0]["rating"] == 1
    assert line["label"]["steps"][1]["completions"][1]["rating"] == 1  # alternative kept


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("label"), "line 1: a PRM800K line"),
        (lambda d: d["label"]["steps"][0]["completions"][0].update(rating=2),
         "line 1: label.steps.0.completions.0.rating"),
        (lambda d: d["label"]["steps"][0].update(chosen_completion=4),
         "line 1: label.steps.0.chosen_completion"),
        (lambda d: d["question"].update(problem=""), "line 1: data.problem"),
    ],
)
def test_prm800k_errors(mutate, message):
    line = json.loads(json.dumps(PHASE2))
    mutate(line)
    with pytest.raises(InvalidInput) as err:
        list(prm800k([line]))
    assert err.value.message.startswith(message) and err.value.field == "line 1"


def test_label_studio_spans_round_trip():
    settings = SPANS.parse_settings({"labels": ["PER", "LOC"]})
    imported = list(label_studio(LS_TASKS, "spans"))
    external_id, data, prior, _ = imported[0]
    assert external_id == "17" and data == {"text": "Ada lives in London",
                                            "meta": {"source": "wiki"}}
    answer = SPANS.parse_answer(settings, data, prior)
    outcome = SPANS.aggregate(settings, data, [_vote(answer)])
    row = SPANS.export_row("records", settings, record_view(data, outcome.answer))
    original = [r["value"] for r in LS_TASKS[0]["annotations"][1]["result"]
                if r["type"] == "labels"]
    assert [{"start": s["start"], "end": s["end"], "text": s["text"], "labels": [s["label"]]}
            for s in row["spans"]] == original
    assert imported[1] == ("18", {"text": "Great food"}, None, 2)


def test_label_studio_classify_round_trip():
    settings = CLASSIFY.parse_settings({"labels": ["positive", "neutral", "negative"]})
    (_, data, prior, _), (_, data2, prior2, _) = label_studio(LS_TASKS, "classify")
    assert data == {"text": "Ada lives in London", "meta": {"source": "wiki"}}
    assert prior == {"label": "neutral"} and prior2 is None and data2 == {"text": "Great food"}
    answer = CLASSIFY.parse_answer(settings, data, prior)
    outcome = CLASSIFY.aggregate(settings, data, [_vote(answer)])
    row = CLASSIFY.export_row("records", settings, record_view(data, outcome.answer))
    assert row["item"]["text"] == LS_TASKS[0]["data"]["text"] and row["label"] == "neutral"


@pytest.mark.parametrize(
    ("task", "message"),
    [
        ({"data": "x"}, "line 1: data"),
        ({"data": {"text": "abc"}, "annotations": [{"result": [
            {"type": "labels", "value": {"start": 0, "end": 2, "text": "bc", "labels": ["A"]}}]}]},
         "line 1: result.0.value.text"),
        ({"data": {"text": "abc"}, "annotations": [{"result": [
            {"type": "labels", "value": {"start": 0, "end": 9, "labels": ["A"]}}]}]},
         "line 1: result.0.value.end"),
        ({"data": {"a": "x", "b": "y"}}, "line 1: data"),
    ],
)
def test_label_studio_errors(task, message):
    with pytest.raises(InvalidInput) as err:
        list(label_studio([task], "spans"))
    assert err.value.message.startswith(message)


def test_label_studio_unknown_primitive():
    with pytest.raises(InvalidInput) as err:
        list(label_studio([], "rank"))
    assert err.value.field == "primitive"
