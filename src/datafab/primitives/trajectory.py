"""``trajectory``: the contributor records, or corrects, an agent's tool-use trace — thoughts,
tool calls, tool results, recovery from errors, the final answer — and may judge each step.

An item is a task (a prompt or messages, optional ``system``), the ``tools`` the agent may call
(OpenAI-style ``{"type": "function", "function": {"name", "description", "parameters"}}``
with a JSON-schema ``parameters``) and optionally the agent's recorded ``steps`` to review.

An answer is a list of ``steps``, each with a ``type``:

* ``thought`` — ``text``;
* ``tool_call`` — ``name`` of a defined tool, ``arguments`` (an object satisfying the tool's
  parameters schema), optional ``id`` (``call_<step index>`` when missing);
* ``tool_result`` — ``content``, ``is_error``, optional ``call_id`` (an earlier call's id; when
  missing, the earliest call not answered yet);
* ``final`` — ``text``; only as the last step.

Every step may carry a ``verdict`` (``good``/``bad``) and a ``note``. Arguments are checked
against the tool's schema with a small validator for the subset tool definitions use —
``type`` (object, string, number, integer, boolean, array, null, or a list of these),
``properties``, ``required``, ``additionalProperties`` (false or a schema), ``items``,
``enum``, ``const``, ``minimum``/``maximum``, ``minLength``/``maxLength``,
``minItems``/``maxItems`` — naming the failing value, e.g.
``answer.steps.4.arguments.city``. Annotation keywords (``description``, ``title``,
``default``, ``examples``, ``format``, ``$schema``) are ignored; any other keyword
(``anyOf``, ``$ref``, ``pattern`` …) is refused when the item is uploaded, so no argument is
ever accepted on a schema rule Datafab did not check.

Aggregation: like ``write``, no vote — the record is the accepted submission (highest weight,
latest among equals); a review pass judges it.

Exports: ``tools`` — ``{"messages", "tools"}`` rows in the tool-calling format TRL and the
models' chat templates (``apply_chat_template(messages, tools=tools)``) take: assistant
messages carry ``tool_calls`` (``[{"id", "type": "function", "function": {"name",
"arguments": <object>}}]`` — an object, not a JSON string, since templates write it with
``tojson`` and a string would come out encoded twice; thoughts before a call or the final
answer become the start of that assistant message's content), and ``tool`` messages carry
``tool_call_id`` and the ``name`` of the tool that answered. Each tool definition and each
call's ``arguments`` are free-form JSON (``FreeJson``): a Parquet export keeps them as JSON
values, so one row's tool never takes another row's parameters. Their keys are written in one
order on every database (conventional keys first, then sorted; arguments sorted), since
PostgreSQL keeps no key order. A record with a step
judged ``bad`` is left out unless the project sets ``export_bad_steps`` (``is_error`` results
and the recovery after them are kept: recovering is what the data teaches). ``records`` — the
item and the steps.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field

from datafab.errors import InvalidInput
from datafab.primitives.base import FreeJson, Outcome, Primitive, RecordView, Schema, Vote
from datafab.primitives.messages import MAX_TEXT, Prompt, copy_messages
from datafab.primitives.write import accepted_submission

MAX_STEPS = 1000
MAX_TOOLS = 256

StepType = Literal["thought", "tool_call", "tool_result", "final"]
STEP_FIELDS = {
    "thought": {"text"},
    "tool_call": {"id", "name", "arguments"},
    "tool_result": {"call_id", "content", "is_error"},
    "final": {"text"},
}
OPTIONAL_FIELDS = {"id", "call_id", "is_error"}


class TrajectorySettings(Schema):
    export_bad_steps: bool = False


class Function(Schema):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    description: str | None = Field(default=None, max_length=20_000)
    parameters: dict[str, Any] | None = None


class Tool(Schema):
    type: Literal["function"] = "function"
    function: Function


class Step(Schema):
    type: StepType
    text: str | None = Field(default=None, max_length=MAX_TEXT)
    id: str | None = Field(default=None, min_length=1, max_length=200)
    name: str | None = Field(default=None, max_length=64)
    arguments: dict[str, Any] | None = None
    call_id: str | None = Field(default=None, min_length=1, max_length=200)
    content: str | None = Field(default=None, max_length=MAX_TEXT)
    is_error: bool | None = None
    verdict: Literal["good", "bad"] | None = None
    note: str | None = Field(default=None, max_length=20_000)


class TrajectoryItem(Schema):
    task: Prompt
    system: str | None = Field(default=None, max_length=MAX_TEXT)
    tools: list[Tool] = Field(default_factory=list, max_length=MAX_TOOLS)
    steps: list[Step] | None = Field(default=None, max_length=MAX_STEPS)
    meta: dict[str, Any] | None = None


class TrajectoryAnswer(Schema):
    steps: list[Step] = Field(min_length=1, max_length=MAX_STEPS)


class Trajectory(Primitive[TrajectorySettings, TrajectoryItem, TrajectoryAnswer]):
    name = "trajectory"
    settings_model = TrajectorySettings
    item_model = TrajectoryItem
    answer_model = TrajectoryAnswer
    export_formats = ("tools", "records")

    def check_item(self, settings: TrajectorySettings, item: TrajectoryItem, prefix: str) -> None:
        seen: set[str] = set()
        for k, tool in enumerate(item.tools):
            where = f"{prefix}.tools.{k}.function"
            if tool.function.name in seen:
                raise InvalidInput(f"{where}.name: tool {tool.function.name!r} is defined twice",
                                   field=f"{where}.name")
            seen.add(tool.function.name)
            if tool.function.parameters is not None:
                check_schema(tool.function.parameters, f"{where}.parameters")
        if item.steps is not None:
            _check_steps(item.steps, None, f"{prefix}.steps")

    def check_answer(
        self, settings: TrajectorySettings, item: dict[str, Any], answer: TrajectoryAnswer,
        prefix: str,
    ) -> None:
        tools = {t["function"]["name"]: t["function"] for t in item.get("tools", [])}
        _check_steps(answer.steps, tools, f"{prefix}.steps")

    def aggregate(
        self, settings: TrajectorySettings, item: dict[str, Any], votes: Sequence[Vote]
    ) -> Outcome:
        return accepted_submission(votes)

    def export_row(
        self, fmt: str, settings: TrajectorySettings, record: RecordView
    ) -> dict[str, Any] | None:
        if fmt == "records":
            return {"item": record.item, **(record.answer or {}), **record.lineage()}
        if fmt != "tools":
            raise InvalidInput(f"trajectory exports tools, records, not {fmt!r}", field="format")
        steps = (record.answer or {}).get("steps")
        if not steps:
            return None
        if not settings.export_bad_steps and any(s.get("verdict") == "bad" for s in steps):
            return None
        return {
            "messages": tool_messages(record.item, steps),
            "tools": [_tool(t["function"]) for t in record.item.get("tools", [])],
            **record.lineage(),
        }


def _tool(function: dict[str, Any]) -> FreeJson:
    """A tool definition as the item gave it, in canonical key order: its keys (a description
    or not, its parameters schema) are its own, never merged with another tool's."""
    function = _ordered(function, _FUNCTION_KEYS)
    if isinstance(function.get("parameters"), dict):
        function["parameters"] = _schema(function["parameters"])
    return FreeJson({"type": "function", "function": function})


# Key order in the tools export. The database may not keep an object's key order (PostgreSQL's
# JSONB does not), so the export writes every object in one order of its own: the keys tool
# definitions conventionally lead with, then the rest sorted. The same project then exports
# the same text on SQLite and PostgreSQL, and a chat template renders it the same.
_FUNCTION_KEYS = ("name", "description", "parameters")
_SCHEMA_KEYS = ("type", "description", "enum", "const", "properties", "items", "required")


def _ordered(obj: dict[str, Any], first: tuple[str, ...]) -> dict[str, Any]:
    return {**{k: obj[k] for k in first if k in obj},
            **{k: obj[k] for k in sorted(obj) if k not in first}}


def _schema(schema: dict[str, Any]) -> dict[str, Any]:
    out = _ordered(schema, _SCHEMA_KEYS)
    if isinstance(out.get("properties"), dict):
        out["properties"] = {name: _schema(sub) if isinstance(sub, dict) else sub
                             for name, sub in sorted(out["properties"].items())}
    for key in ("items", "additionalProperties"):
        if isinstance(out.get(key), dict):
            out[key] = _schema(out[key])
    return out


def _sorted(value: Any) -> Any:
    """A call's arguments with every object's keys sorted (the order of the schema's
    properties in the export)."""
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def _check_steps(
    steps: list[Step], tools: dict[str, dict[str, Any]] | None, prefix: str
) -> None:
    """Structure of a trace; with ``tools``, also every call's tool and arguments. Fills in
    missing call ids and result call ids."""
    open_calls: list[str] = []
    ids: set[str] = set()
    for k, step in enumerate(steps):
        where = f"{prefix}.{k}"
        wanted = STEP_FIELDS[step.type]
        for name in ("text", "id", "name", "arguments", "call_id", "content", "is_error"):
            value = getattr(step, name)
            if value is not None and name not in wanted:
                raise InvalidInput(f"{where}.{name}: a {step.type} step has no {name}",
                                   field=f"{where}.{name}")
            if value is None and name in wanted and name not in OPTIONAL_FIELDS:
                raise InvalidInput(f"{where}.{name}: a {step.type} step needs {name}",
                                   field=f"{where}.{name}")
        if step.type == "final" and k != len(steps) - 1:
            raise InvalidInput(f"{where}.type: the final answer must be the last step",
                               field=f"{where}.type")
        if step.type == "tool_call":
            if step.id is None:
                step.id = f"call_{k}"
            if step.id in ids:
                raise InvalidInput(f"{where}.id: call id {step.id!r} is used twice",
                                   field=f"{where}.id")
            ids.add(step.id)
            open_calls.append(step.id)
            if tools is not None:
                _check_call(step, tools, where)
        elif step.type == "tool_result":
            if step.is_error is None:
                step.is_error = False
            if step.call_id is None:
                if not open_calls:
                    raise InvalidInput(f"{where}: a tool result needs an earlier tool call",
                                       field=where)
                step.call_id = open_calls[0]
            elif step.call_id not in ids:
                raise InvalidInput(f"{where}.call_id: no earlier tool call has id "
                                   f"{step.call_id!r}", field=f"{where}.call_id")
            if step.call_id in open_calls:
                open_calls.remove(step.call_id)


def _check_call(step: Step, tools: dict[str, dict[str, Any]], where: str) -> None:
    assert step.name is not None  # a tool call's name was required before
    if step.name not in tools:
        close = difflib.get_close_matches(step.name, tools, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        known = ", ".join(sorted(tools)) or "none"
        raise InvalidInput(f"{where}.name: no tool named {step.name!r}{hint} (tools: {known})",
                           field=f"{where}.name")
    schema = tools[step.name].get("parameters")
    if schema is not None:
        check_value(step.arguments, schema, f"{where}.arguments")


# --- the JSON-schema subset ------------------------------------------------------------------

JSON_TYPES = ("object", "string", "number", "integer", "boolean", "array", "null")
CHECKED = {"type", "properties", "required", "additionalProperties", "items", "enum", "const",
           "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems"}
IGNORED = {"description", "title", "default", "examples", "format", "$schema"}


def check_schema(schema: Any, path: str) -> None:
    """Refuse a schema that uses keywords the validator does not check."""
    if not isinstance(schema, dict):
        raise InvalidInput(f"{path}: a schema is a JSON object", field=path)
    for key in schema:
        if key not in CHECKED and key not in IGNORED:
            raise InvalidInput(
                f"{path}.{key}: schema keyword {key!r} is not supported (supported: "
                f"{', '.join(sorted(CHECKED))})",
                field=f"{path}.{key}",
            )
    types = schema.get("type")
    listed = types if isinstance(types, list) else [types] if types is not None else []
    for t in listed:
        if t not in JSON_TYPES:
            raise InvalidInput(f"{path}.type: unknown type {t!r}", field=f"{path}.type")
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        raise InvalidInput(f"{path}.properties: expected an object", field=f"{path}.properties")
    for name, sub in properties.items():
        check_schema(sub, f"{path}.properties.{name}")
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise InvalidInput(f"{path}.required: expected a list of names", field=f"{path}.required")
    extra = schema.get("additionalProperties", True)
    if isinstance(extra, dict):
        check_schema(extra, f"{path}.additionalProperties")
    elif not isinstance(extra, bool):
        raise InvalidInput(f"{path}.additionalProperties: expected a boolean or a schema",
                           field=f"{path}.additionalProperties")
    if "items" in schema:
        check_schema(schema["items"], f"{path}.items")
    if "enum" in schema and not isinstance(schema["enum"], list):
        raise InvalidInput(f"{path}.enum: expected a list", field=f"{path}.enum")


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


def _is(value: Any, json_type: str) -> bool:
    actual = _type_of(value)
    if json_type == "number":
        return actual in ("integer", "number")
    if json_type == "integer":
        return actual == "integer" or (actual == "number" and float(value).is_integer())
    return actual == json_type


def _same(a: Any, b: Any) -> bool:
    """JSON equality: ``True`` is not ``1``."""
    numbers = ("integer", "number")
    if _type_of(a) in numbers and _type_of(b) in numbers:
        return bool(a == b)
    return _type_of(a) == _type_of(b) and bool(a == b)


def check_value(value: Any, schema: dict[str, Any], path: str) -> None:
    """Raise ``InvalidInput`` naming ``path`` (dotted) where ``value`` breaks ``schema``."""
    def fail(message: str, where: str = path) -> InvalidInput:
        return InvalidInput(f"{where}: {message}", field=where)

    types = schema.get("type")
    if types is not None:
        allowed = types if isinstance(types, list) else [types]
        if not any(_is(value, t) for t in allowed):
            raise fail(f"expected {' or '.join(allowed)}, got {_type_of(value)}")
    if "enum" in schema and not any(_same(value, option) for option in schema["enum"]):
        raise fail(f"{value!r} is not one of {schema['enum']}")
    if "const" in schema and not _same(value, schema["const"]):
        raise fail(f"must be {schema['const']!r}")
    if _type_of(value) in ("integer", "number"):
        if "minimum" in schema and value < schema["minimum"]:
            raise fail(f"must be at least {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            raise fail(f"must be at most {schema['maximum']}")
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            raise fail(f"must be at least {schema['minLength']} characters")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise fail(f"must be at most {schema['maxLength']} characters")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                raise fail("required", f"{path}.{name}")
        extra = schema.get("additionalProperties", True)
        for name, sub in value.items():
            if name in properties:
                check_value(sub, properties[name], f"{path}.{name}")
            elif extra is False:
                known = ", ".join(sorted(properties)) or "none"
                raise fail(f"unexpected argument (known: {known})", f"{path}.{name}")
            elif isinstance(extra, dict):
                check_value(sub, extra, f"{path}.{name}")
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            raise fail(f"needs at least {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            raise fail(f"takes at most {schema['maxItems']} items")
        if isinstance(schema.get("items"), dict):
            for i, sub in enumerate(value):
                check_value(sub, schema["items"], f"{path}.{i}")


# --- export ----------------------------------------------------------------------------------


def tool_messages(item: dict[str, Any], steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation in OpenAI/TRL tool-calling form."""
    system = [{"role": "system", "content": item["system"]}] if item.get("system") else []
    messages: list[dict[str, Any]] = system + copy_messages(item["task"])
    thoughts: list[str] = []
    calls: list[dict[str, Any]] = []
    names: dict[str, str] = {}  # call id → the tool it called

    def flush() -> None:
        if calls or thoughts:
            message: dict[str, Any] = {
                "role": "assistant", "content": "\n\n".join(thoughts) if thoughts else None
            }
            if calls:
                message["tool_calls"] = list(calls)
            messages.append(message)
        thoughts.clear()
        calls.clear()

    for step in steps:
        kind = step["type"]
        if kind == "thought":
            if calls:
                flush()
            thoughts.append(step["text"])
        elif kind == "tool_call":
            names[step["id"]] = step["name"]
            calls.append({
                "id": step["id"],
                "type": "function",
                "function": {"name": step["name"],
                             "arguments": FreeJson(_sorted(step["arguments"]))},
            })
        elif kind == "tool_result":
            flush()
            messages.append({"role": "tool", "tool_call_id": step["call_id"],
                             "name": names[step["call_id"]], "content": step["content"]})
        else:  # final: the thoughts before it lead into it, as before a call
            if calls:
                flush()
            messages.append(
                {"role": "assistant", "content": "\n\n".join([*thoughts, step["text"]])}
            )
            thoughts.clear()
    flush()
    return messages


TRAJECTORY = Trajectory()
