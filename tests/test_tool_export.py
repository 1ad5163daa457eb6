"""The ``tools`` export is what a model's chat template takes: each row, loaded with
``datasets`` from JSON Lines and from Parquet, renders with a Hermes/Qwen-style tool chat
template to exactly the text its own messages and tools give — arguments written once as an
object, tool replies named, and no row's tool carrying another row's parameters."""

from __future__ import annotations

import json

import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment

# The tool-calling parts of the Qwen2.5 chat template (Hermes-style <tools>/<tool_call> tags),
# rendered the way chat-template code renders them: trim_blocks, lstrip_blocks, and a tojson
# that is json.dumps without HTML escaping.
TEMPLATE = """\
{%- if tools %}
{{- '<|im_start|>system\\n' }}
{%- if messages[0]['role'] == 'system' %}{{- messages[0]['content'] }}
{%- else %}{{- 'You are a helpful assistant.' }}{%- endif %}
{{- "\\n\\n# Tools\\n\\nFunction signatures within <tools></tools>:\\n<tools>" }}
{%- for tool in tools %}
{{- "\\n" }}{{- tool | tojson }}
{%- endfor %}
{{- "\\n</tools><|im_end|>\\n" }}
{%- elif messages[0]['role'] == 'system' %}
{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
{%- endif %}
{%- for message in messages %}
{%- if message.role == "user" or (message.role == "system" and not loop.first)
      or (message.role == "assistant" and not message.tool_calls) %}
{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}
{%- elif message.role == "assistant" %}
{{- '<|im_start|>' + message.role }}
{%- if message.content %}{{- '\\n' + message.content }}{%- endif %}
{%- for tool_call in message.tool_calls %}
{%- if tool_call.function is defined %}{%- set tool_call = tool_call.function %}{%- endif %}
{{- '\\n<tool_call>\\n{"name": "' }}{{- tool_call.name }}{{- '", "arguments": ' }}
{{- tool_call.arguments | tojson }}{{- '}\\n</tool_call>' }}
{%- endfor %}
{{- '<|im_end|>\\n' }}
{%- elif message.role == "tool" %}
{{- '<|im_start|>user\\n<tool_response name="' + message.name + '">\\n' }}
{{- message.content }}{{- '\\n</tool_response><|im_end|>\\n' }}
{%- endif %}
{%- endfor %}
"""


def render(messages, tools) -> str:
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson"] = lambda value: json.dumps(value, ensure_ascii=False)
    return env.from_string(TEMPLATE).render(messages=messages, tools=tools)


WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}
PLOT = {"type": "function", "function": {
    "parameters": {"properties": {
        "x": {"items": {"type": "number"}, "type": "array"},
        "y": {"type": "array", "items": {"type": "number"}},
        "opts": {"type": "object"}}, "type": "object"}, "name": "plot"}}
# The export writes each tool and each call's arguments in one key order on every database
# (conventional keys first, then sorted), whatever order the item was written in.
PLOT_OUT = {"type": "function", "function": {
    "name": "plot",
    "parameters": {"type": "object", "properties": {
        "opts": {"type": "object"},
        "x": {"type": "array", "items": {"type": "number"}},
        "y": {"type": "array", "items": {"type": "number"}}}}}}

ITEMS = [
    ({"task": "Weather in Paris?", "system": "Use tools.", "tools": [WEATHER]},
     {"steps": [{"type": "tool_call", "name": "get_weather", "arguments": {"city": "Paris"}},
                {"type": "tool_result", "content": "18C"},
                {"type": "final", "text": "18°C in Paris."}]}),
    ({"task": "Plot it.", "tools": [PLOT]},
     {"steps": [{"type": "thought", "text": "One call does it."},
                {"type": "tool_call", "name": "plot",
                 "arguments": {"x": [1, 2], "y": [3.5, 4], "opts": {"title": "t"}}},
                {"type": "tool_result", "content": "plotted"},
                {"type": "final", "text": "Done."}]}),
]
# What TRL and the chat templates take for those two records, written out by hand.
EXPECTED = [
    ([{"role": "system", "content": "Use tools."},
      {"role": "user", "content": "Weather in Paris?"},
      {"role": "assistant", "content": None, "tool_calls": [
          {"id": "call_0", "type": "function",
           "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
      {"role": "tool", "tool_call_id": "call_0", "name": "get_weather", "content": "18C"},
      {"role": "assistant", "content": "18°C in Paris."}], [WEATHER]),
    ([{"role": "user", "content": "Plot it."},
      {"role": "assistant", "content": "One call does it.", "tool_calls": [
          {"id": "call_1", "type": "function",
           "function": {"name": "plot",
                        "arguments": {"opts": {"title": "t"}, "x": [1, 2], "y": [3.5, 4]}}}]},
      {"role": "tool", "tool_call_id": "call_1", "name": "plot", "content": "plotted"},
      {"role": "assistant", "content": "Done."}], [PLOT_OUT]),
]


@pytest.fixture
def exported(api, make_org, make_worker, tmp_path, monkeypatch):
    """The two records' ``tools`` export as JSON Lines and as Parquet, each loaded with
    ``datasets``."""
    import datasets

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    datasets.disable_progress_bars()
    org, worker = make_org(), make_worker()
    pid = api.post("/v1/projects", headers=org.headers, json={
        "name": "agents", "primitive": "trajectory",
        "policy": {"min_labels": 1, "max_labels": 1}}).json()["id"]
    r = api.post(f"/v1/projects/{pid}/items", headers=org.headers, json={"items": [
        {"external_id": f"t{k}", "data": data} for k, (data, _) in enumerate(ITEMS)]})
    assert r.status_code == 200, r.text
    for _ in ITEMS:
        (lease,) = api.post(f"/v1/projects/{pid}/leases",
                            headers=worker.headers).json()["leases"]
        answer = ITEMS[int(lease["item"]["external_id"][1:])][1]
        r = api.post(f"/v1/leases/{lease['id']}/submit", json={"answer": answer},
                     headers=worker.headers)
        assert r.status_code == 200, r.text
    loaded = {}
    for kind, params in (("json", {}), ("parquet", {"file": "parquet"})):
        body = api.get(f"/v1/projects/{pid}/export", headers=org.headers,
                       params={"format": "tools", **params})
        assert body.status_code == 200, body.text
        path = tmp_path / f"tools.{'jsonl' if kind == 'json' else 'parquet'}"
        path.write_bytes(body.content)
        loaded[kind] = datasets.load_dataset(kind, data_files=str(path), split="train",
                                             cache_dir=str(tmp_path / "hf-cache"))
    return loaded


def _by_task(dataset):
    return {row["messages"][-1]["content"]: row for row in dataset}


@pytest.mark.parametrize("kind", ["json", "parquet"])
def test_each_tools_row_renders_exactly_as_its_own_messages_and_tools(exported, kind):
    rows = _by_task(exported[kind])
    assert len(rows) == 2
    for messages, tools in EXPECTED:
        row = rows[messages[-1]["content"]]
        assert render(row["messages"], row["tools"]) == render(messages, tools)
    weather = render(rows["18°C in Paris."]["messages"], rows["18°C in Paris."]["tools"])
    assert '{"name": "get_weather", "arguments": {"city": "Paris"}}' in weather
    assert '<tool_response name="get_weather">\n18C\n</tool_response>' in weather
    # The weather tool is described with its own parameters only: nothing of plot's.
    assert (json.dumps(WEATHER, ensure_ascii=False) + "\n</tools>") in weather
    assert '"x"' not in weather and '"opts"' not in weather


def test_the_parquet_keeps_schemas_and_arguments_as_json_values(exported):
    features = exported["parquet"].features
    assert type(features["tools"].feature).__name__ == "Json"
    call = features["messages"].feature["tool_calls"].feature["function"]["arguments"]
    assert type(call).__name__ == "Json"
