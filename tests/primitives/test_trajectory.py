from __future__ import annotations

import pytest

from datafab.errors import InvalidInput
from datafab.primitives import get_primitive

from .conftest import record_view, settle

TRAJECTORY = get_primitive("trajectory")
SETTINGS = TRAJECTORY.parse_settings({})
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "minLength": 1},
                "unit": {"type": "string", "enum": ["c", "f"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
ITEM = TRAJECTORY.parse_item(SETTINGS, {"task": "Weather in Paris?", "system": "Use tools.",
                                        "tools": [WEATHER]})
STEPS = [
    {"type": "thought", "text": "I should look it up."},
    {"type": "tool_call", "name": "get_weather", "arguments": {"city": "Pariss"}},
    {"type": "tool_result", "content": "unknown city", "is_error": True},
    {"type": "tool_call", "name": "get_weather", "arguments": {"city": "Paris", "unit": "c"},
     "verdict": "good"},
    {"type": "tool_result", "content": "18C"},
    {"type": "final", "text": "18°C in Paris.", "note": "fine"},
]


def test_answer_fills_ids_and_result_links():
    answer = TRAJECTORY.parse_answer(SETTINGS, ITEM, {"steps": STEPS})
    steps = answer["steps"]
    assert steps[1]["id"] == "call_1" and steps[2]["call_id"] == "call_1"
    assert steps[4]["call_id"] == "call_3" and steps[4]["is_error"] is False


def _with(k, **change):
    steps = [dict(s) for s in STEPS]
    steps[k] = {**steps[k], **change}
    return steps


@pytest.mark.parametrize(
    ("steps", "field"),
    [
        (_with(3, arguments={"city": "P", "country": "FR"}), "answer.steps.3.arguments.country"),
        (_with(3, arguments={"unit": "c"}), "answer.steps.3.arguments.city"),
        (_with(3, arguments={"city": 5}), "answer.steps.3.arguments.city"),
        (_with(3, arguments={"city": "P", "unit": "k"}), "answer.steps.3.arguments.unit"),
        (_with(3, arguments={"city": "P", "days": 9}), "answer.steps.3.arguments.days"),
        (_with(3, arguments={"city": "P", "days": True}), "answer.steps.3.arguments.days"),
        (_with(3, arguments={"city": "P", "tags": ["a", 1]}), "answer.steps.3.arguments.tags.1"),
        (_with(3, name="get_wether"), "answer.steps.3.name"),
        (_with(3, arguments=None), "answer.steps.3.arguments"),
        (_with(0, text=None), "answer.steps.0.text"),
        (_with(0, content="x"), "answer.steps.0.content"),
        (_with(0, type="final"), "answer.steps.0.type"),
        (_with(4, call_id="nope"), "answer.steps.4.call_id"),
        (_with(3, id="call_1"), "answer.steps.3.id"),
        (_with(5, verdict="meh"), "answer.steps.5.verdict"),
        ([{"type": "tool_result", "content": "x"}], "answer.steps.0"),
        ([], "answer.steps"),
    ],
)
def test_bad_steps_name_the_field(steps, field):
    with pytest.raises(InvalidInput) as err:
        TRAJECTORY.parse_answer(SETTINGS, ITEM, {"steps": steps})
    assert err.value.field == field


def test_did_you_mean():
    with pytest.raises(InvalidInput) as err:
        TRAJECTORY.parse_answer(SETTINGS, ITEM, {"steps": _with(3, name="get_wether")})
    assert "did you mean 'get_weather'" in err.value.message


@pytest.mark.parametrize(
    ("tools", "field"),
    [
        ([WEATHER, WEATHER], "data.tools.1.function.name"),
        ([{"type": "function", "function": {"name": "f", "parameters": {
            "type": "object", "properties": {"x": {"anyOf": []}}}}}],
         "data.tools.0.function.parameters.properties.x.anyOf"),
        ([{"type": "function", "function": {"name": "f", "parameters": {"type": "tuple"}}}],
         "data.tools.0.function.parameters.type"),
        ([{"type": "function", "function": {"name": "bad name"}}], "data.tools.0.function.name"),
    ],
)
def test_bad_tool_definitions(tools, field):
    with pytest.raises(InvalidInput) as err:
        TRAJECTORY.parse_item(SETTINGS, {"task": "t", "tools": tools})
    assert err.value.field == field


def test_tools_export_shape(load_both):
    record = settle(TRAJECTORY, SETTINGS, ITEM, [{"steps": STEPS}])
    row = TRAJECTORY.export_row("tools", SETTINGS, record)
    messages = row["messages"]
    assert [m["role"] for m in messages] == [
        "system", "user", "assistant", "tool", "assistant", "tool", "assistant"]
    first = messages[2]
    assert first["content"] == "I should look it up."
    assert first["tool_calls"] == [{"id": "call_1", "type": "function", "function": {
        "name": "get_weather", "arguments": {"city": "Pariss"}}}]
    assert messages[3] == {"role": "tool", "tool_call_id": "call_1", "name": "get_weather",
                           "content": "unknown city"}
    assert messages[4]["content"] is None and messages[4]["tool_calls"][0]["id"] == "call_3"
    assert messages[-1] == {"role": "assistant", "content": "18°C in Paris."}
    assert row["tools"] == [WEATHER]
    simple = TRAJECTORY.parse_item(SETTINGS, {"task": "2+2?"})
    other = settle(TRAJECTORY, SETTINGS, simple, [{"steps": [
        {"type": "thought", "text": "easy"}, {"type": "final", "text": "4"}]}])
    assert TRAJECTORY.export_row("tools", SETTINGS, other)["messages"][-1] == {
        "role": "assistant", "content": "easy\n\n4"}
    for fmt in TRAJECTORY.export_formats:
        rows = [r for rec in (record, other) for r in TRAJECTORY.export_rows(fmt, SETTINGS, rec)]
        js, pq = load_both(rows, fmt)
        if fmt == "tools":
            call = js[0]["messages"][2]["tool_calls"][0]
            assert call["function"]["arguments"] == {"city": "Pariss"}
            assert pq[0]["messages"][3]["tool_call_id"] == "call_1"


def test_bad_verdicts_left_out_unless_asked():
    steps = TRAJECTORY.parse_answer(SETTINGS, ITEM, {"steps": _with(1, verdict="bad")})
    record = record_view(ITEM, steps)
    assert TRAJECTORY.export_row("tools", SETTINGS, record) is None
    keep = TRAJECTORY.parse_settings({"export_bad_steps": True})
    assert TRAJECTORY.export_row("tools", keep, record) is not None


def test_item_steps_are_checked_for_structure_only():
    item = TRAJECTORY.parse_item(SETTINGS, {"task": "t", "tools": [WEATHER], "steps": [
        {"type": "tool_call", "name": "nonexistent", "arguments": {}}]})
    assert item["steps"][0]["id"] == "call_0"
