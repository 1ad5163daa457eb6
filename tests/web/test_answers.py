"""Workbench forms become primitive answers; what cannot be read names the answer field."""

from __future__ import annotations

import io

import pytest
from starlette.datastructures import FormData, UploadFile

from datafab.errors import InvalidInput
from datafab.primitives import get_primitive
from datafab.web.answers import answer_from, parse_trace

from .conftest import SETTINGS, _item


def form(**fields) -> FormData:
    return FormData([(k.replace("__", "."), v) for k, v in fields.items()])


def valid(primitive: str, fields: FormData, item=None) -> dict:
    item = item or _item(primitive, 3)
    p = get_primitive(primitive)
    settings = p.parse_settings(SETTINGS.get(primitive, {}))
    data = p.parse_item(settings, item)
    answer = answer_from(primitive, fields, data, settings.model_dump(mode="json"))
    return p.parse_answer(settings, data, answer)


def test_every_primitive_form_reads_into_a_valid_answer():
    assert valid("classify", form(label="neutral")) == {"label": "neutral"}
    assert valid("compare", form(choice="b", strength="decisive", criterion__honesty="b",
                                 rationale=" the other is wrong "))["criteria"] == {
        "honesty": "b"}
    assert valid("compare", form(choice="tie", strength="clear")) == {"choice": "tie"}
    assert valid("rank", form(order="2,0,1"))["order"] == [2, 0, 1]
    spans = valid("spans", form(spans='[{"start": 0, "end": 3, "label": "PERSON"}]'))
    assert spans["spans"] == [{"start": 0, "end": 3, "label": "PERSON"}]
    steps = valid("steps", form(rating__0="1", rating__1="-1", rating__2="1",
                                explanation="wrong sum"))
    assert steps["ratings"] == [1, -1] and steps["finish_reason"] == "found_error"
    write = valid("write", form(final="The number 3 is prime."))
    assert write["draft"] == "The number 3 is a number." and write["edit_distance"] > 0
    trajectory = valid("trajectory", form(verdict__1="bad", note__1="wrong city",
                                          final="It is 18°C."))
    assert trajectory["steps"][1]["verdict"] == "bad"
    assert trajectory["steps"][-1] == {"type": "final", "text": "It is 18°C."}
    grade = valid("grade", form(score__accuracy="4", score__clarity="2",
                                justification__clarity="rambles"))
    assert grade == {"scores": {"accuracy": 4, "clarity": 2},
                     "justifications": {"clarity": "rambles"}}


def test_a_trace_is_written_one_step_per_line():
    item = {"task": "Weather in Oslo?", "tools": _item("trajectory", 0)["tools"]}
    trace = ('thought: look it up\ncall: get_weather {"city": "Oslo"}\n'
             "error: timeout\ncall: get_weather {\"city\": \"Oslo\"}\nresult: 3°C\nfinal: 3°C")
    answer = valid("trajectory", form(trace=trace), item)
    assert [s["type"] for s in answer["steps"]] == [
        "thought", "tool_call", "tool_result", "tool_call", "tool_result", "final"]
    assert answer["steps"][2]["is_error"] and answer["steps"][4]["call_id"] == "call_3"
    with pytest.raises(InvalidInput) as bad:
        parse_trace("thought: ok\nshout: hey")
    assert bad.value.field == "answer.steps" and "line 2" in bad.value.message
    with pytest.raises(InvalidInput, match="line 1"):
        parse_trace("call: get_weather {oops")
    with pytest.raises(InvalidInput) as wrong_args:
        valid("trajectory", form(trace='call: get_weather {"town": "Oslo"}'), item)
    assert wrong_args.value.field.startswith("answer.steps.0.arguments")


@pytest.mark.parametrize(("primitive", "fields", "field"), [
    ("classify", form(), "answer.label"),
    ("compare", form(), "answer.choice"),
    ("rank", form(order="0,1"), "answer.order"),
    ("spans", form(spans="[{"), "answer.spans"),
    ("steps", form(rating__0="1"), "answer.ratings"),
    ("write", form(final="  "), "answer.final"),
    ("grade", form(score__accuracy="4"), "answer.scores.clarity"),
    ("grade", form(score__accuracy="x"), "answer.scores.accuracy"),
])
def test_unreadable_or_incomplete_forms_name_their_field(primitive, fields, field):
    with pytest.raises(InvalidInput) as refused:
        valid(primitive, fields)
    assert refused.value.field == field


def test_a_file_where_a_ticked_replacement_belongs_is_refused_by_name():
    # A hand-made multipart form can carry a file under any name; it is not a number.
    upload = UploadFile(io.BytesIO(b"0"), filename="0.txt")
    item = {"text": "Call [PHONE] now", "redactions": []}
    with pytest.raises(InvalidInput) as refused:
        answer_from("redaction_review", FormData([("wrong", upload)]), item, {})
    assert refused.value.field == "answer.wrong"
