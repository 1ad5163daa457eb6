"""Parsers of public annotation formats into Datafab items and prior answers.

Each importer is pure and streaming: it takes an iterable of lines (``str``/``bytes`` of
JSON) or already-parsed objects, and yields ``Imported(external_id, data, prior, line)`` one
line at a time, so a file of any size passes in constant memory. Every item (and, where the
primitive's default settings suffice, every prior answer) is validated as it passes, and then
given to the caller's ``check`` (a project's own settings). A line that cannot be imported
raises ``InvalidInput("line N: …", field="line N")`` — or, when the caller passes ``on_skip``,
is reported to it as a :class:`Skipped` (line, reason) and left out, so a few odd lines in a
published file do not refuse the rest. Lines are counted from 1 (blank lines count but are
skipped; in a JSON array, an object's position).

* :func:`hh_rlhf` — Anthropic's HH-RLHF ``{"chosen", "rejected"}`` transcripts → ``compare``
  items: the turns both transcripts share, up to the last shared Human turn, become the
  prompt messages; the rest of each transcript (usually one Assistant turn) becomes responses
  ``a`` (chosen) and ``b`` (rejected), prior answer ``{"choice": "a"}``.
* :func:`prm800k` — OpenAI's PRM800K lines → ``steps`` items with the labeler's ratings as
  the prior answer; everything else on the line is kept under ``meta.prm800k`` so the
  ``prm800k`` export writes the line back.
* :func:`label_studio` — Label Studio JSON tasks → ``classify`` or ``spans`` items, with the
  first non-cancelled annotation as the prior answer.

External ids: a Label Studio task's ``id``; for the formats without ids, a hash of the line's
content (``hh-…``, ``prm800k-…``), so importing a file twice is idempotent.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from pydantic import ValidationError

from datafab.errors import InvalidInput, from_pydantic
from datafab.primitives.classify import CLASSIFY
from datafab.primitives.compare import COMPARE
from datafab.primitives.spans import SPANS
from datafab.primitives.steps import STEPS

Parsed = tuple[str, dict[str, Any], dict[str, Any] | None]  # one line's (id, data, prior)


class Imported(NamedTuple):
    """One imported line: the item's external id, its data, the answer it carries (or None),
    and the line it came from."""

    external_id: str
    data: dict[str, Any]
    prior: dict[str, Any] | None
    line: int

#: What an importer does with each imported row before yielding it (for instance, validate it
#: against a project's settings); it raises ``InvalidInput`` to refuse the row.
Check = Callable[[dict[str, Any], dict[str, Any] | None],
                 tuple[dict[str, Any], dict[str, Any] | None]]


@dataclass(frozen=True)
class Skipped:
    """A line an importer left out, and why (lines counted from 1; in a JSON array, the
    object's position)."""

    line: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason}


class _Refused(Exception):
    """One line cannot be imported; ``reason`` says why, in the format's own terms."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _rows(
    lines: Iterable[Any],
    parse_line: Callable[[dict[str, Any]], Parsed],
    check: Check | None,
    on_skip: Callable[[Skipped], None] | None,
    *,
    distinct_ids: bool = False,
) -> Iterator[Imported]:
    """Each line parsed (and checked). A line that cannot be imported raises
    ``InvalidInput("line N: …")`` — or, given ``on_skip``, is reported to it and left out.
    With ``distinct_ids`` (ids the file chose), a later line reusing an earlier line's id for
    different content is refused; the same content again is passed on (and changes nothing)."""
    seen: dict[str, tuple[int, str]] = {}
    for n, line in enumerate(lines, start=1):
        try:
            obj = _object(line)
            if obj is None:
                continue
            external_id, data, prior = parse_line(obj)
            if check is not None:
                data, prior = _checked(check, data, prior)
            if distinct_ids:
                digest = _digest([data, prior])
                first, first_digest = seen.setdefault(external_id, (n, digest))
                if first_digest != digest:
                    raise _Refused(f"id {external_id!r} was already used on line {first} "
                                   "for different content")
        except _Refused as refused:
            if on_skip is None:
                raise InvalidInput(f"line {n}: {refused.reason}", field=f"line {n}") from None
            on_skip(Skipped(n, refused.reason))
            continue
        yield Imported(external_id, data, prior, n)


def _object(line: Any) -> dict[str, Any] | None:
    """The line's JSON object; None for a blank line."""
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Refused(f"not UTF-8 text (byte {exc.start + 1})") from exc
    if isinstance(line, str):
        if not line.strip():
            return None
        try:
            line = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _Refused(f"not valid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(line, dict):
        raise _Refused("expected a JSON object")
    return line


def _digest(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _checked(check: Callable[..., Any], *args: Any) -> Any:
    """Run a parser; its refusal becomes the line's reason."""
    try:
        return check(*args)
    except InvalidInput as exc:
        raise _Refused(exc.message) from exc
    except ValidationError as exc:
        raise _Refused(from_pydantic(exc, "data").message) from exc


# --- HH-RLHF ---------------------------------------------------------------------------------

_HH_TURN = re.compile(r"\n\n(Human|Assistant): ?")
_HH_ROLE = {"Human": "user", "Assistant": "assistant"}
_COMPARE_SETTINGS = COMPARE.parse_settings({})


def _hh_turns(text: Any, key: str) -> list[dict[str, str]]:
    if not isinstance(text, str):
        raise _Refused(f"{key}: expected a string")
    parts = _HH_TURN.split(text)
    if parts[0] != "" or len(parts) < 3:
        raise _Refused(f"{key}: a transcript starts with '\\n\\nHuman: '")
    turns = [{"role": _HH_ROLE[parts[i]], "content": parts[i + 1]}
             for i in range(1, len(parts), 2)]
    if turns[-1]["role"] != "assistant" or len(turns) < 2:
        raise _Refused(f"{key}: the transcript must end with an Assistant turn")
    return turns


def hh_rlhf(
    lines: Iterable[Any], *, check: Check | None = None,
    on_skip: Callable[[Skipped], None] | None = None,
) -> Iterator[Imported]:
    """``compare`` items from HH-RLHF lines ``{"chosen": "\\n\\nHuman: …\\n\\nAssistant: …",
    "rejected": …}``.

    The prompt is the turns both transcripts share, up to and including the last shared Human
    turn; responses ``a`` (chosen) and ``b`` (rejected) are each transcript's turns after it.
    Usually that is one Assistant turn each, but in some published pairs the two transcripts
    part earlier (the conversation went on differently after an earlier Assistant turn): those
    pairs keep every turn after the shared prompt as the response, so prompt + chosen and
    prompt + rejected give back the two transcripts exactly. A pair whose transcripts share no
    Human turn has no prompt and is refused."""
    return _rows(lines, _hh_line, check, on_skip)


def _hh_line(line: dict[str, Any]) -> Parsed:
    chosen = _hh_turns(line.get("chosen"), "chosen")
    rejected = _hh_turns(line.get("rejected"), "rejected")
    shared = 0
    while (shared < min(len(chosen), len(rejected)) - 1
           and chosen[shared] == rejected[shared]):
        shared += 1
    while shared and chosen[shared - 1]["role"] != "user":
        shared -= 1
    if not shared:
        raise _Refused("chosen and rejected share no Human turn to use as the prompt")
    data = {
        "prompt": chosen[:shared],
        "a": {"content": chosen[shared:]},
        "b": {"content": rejected[shared:]},
    }
    extra = {k: v for k, v in line.items() if k not in ("chosen", "rejected")}
    if extra:
        data["meta"] = extra
    data = _checked(COMPARE.parse_item, _COMPARE_SETTINGS, data)
    return "hh-" + _digest(line), data, {"choice": "a"}


# --- PRM800K ---------------------------------------------------------------------------------

_QUESTION_CORE = ("problem", "ground_truth_answer", "ground_truth_solution")
_STEPS_SETTINGS = STEPS.parse_settings({})


def prm800k(
    lines: Iterable[Any], *, check: Check | None = None,
    on_skip: Callable[[Skipped], None] | None = None,
) -> Iterator[Imported]:
    """``steps`` items from PRM800K lines (see the openai/prm800k README).

    The item's steps are the labelled trajectory — per labelled step the chosen completion,
    else the human completion, else the first completion (the step the labeler found wrong) —
    followed by any pre-generated steps past the last labelled one. The prior answer holds
    the ratings of those labelled steps (a human completion counts +1), the finish reason and
    the flagged steps."""
    return _rows(lines, _prm800k_line, check, on_skip)


def _prm800k_line(line: dict[str, Any]) -> Parsed:
    question, label = line.get("question"), line.get("label")
    if not isinstance(question, dict) or not isinstance(label, dict):
        raise _Refused("a PRM800K line has 'question' and 'label' objects")
    label_steps = label.get("steps") or []
    if not isinstance(label_steps, list):
        raise _Refused("label.steps: expected a list")
    texts, ratings, sources, flagged = [], [], [], []
    for k, step in enumerate(label_steps):
        text, rating, source, flag = _prm800k_step(k, step)
        texts.append(text)
        ratings.append(rating)
        sources.append(source)
        if flag:
            flagged.append(k)
    pre = question.get("pre_generated_steps") or []
    if not isinstance(pre, list):
        raise _Refused("question.pre_generated_steps: expected a list")
    steps = texts + list(pre[len(texts):])
    if not steps:
        raise _Refused("no steps to label: label.steps and pre_generated_steps are empty")
    data = {
        "problem": question.get("problem"),
        "steps": steps,
        "ground_truth_answer": question.get("ground_truth_answer"),
        "ground_truth_solution": question.get("ground_truth_solution"),
        "meta": {
            "prm800k": {
                "line": {k: v for k, v in line.items() if k not in ("question", "label")},
                "question": {k: v for k, v in question.items() if k not in _QUESTION_CORE},
                "question_core": [k for k in _QUESTION_CORE if k in question],
                "label": {k: v for k, v in label.items()
                          if k not in ("steps", "finish_reason")},
                "label_steps": label_steps,
                "step_sources": sources,
            }
        },
    }
    data = _checked(STEPS.parse_item, _STEPS_SETTINGS, {k: v for k, v in data.items()
                                                     if v is not None})
    prior: dict[str, Any] = {"ratings": ratings}
    if label.get("finish_reason") is not None:
        prior["finish_reason"] = label["finish_reason"]
    if flagged:
        prior["flagged"] = flagged
    prior = _checked(STEPS.parse_answer, _STEPS_SETTINGS, data, prior)
    return "prm800k-" + _digest(line), data, prior


def _prm800k_step(k: int, step: Any) -> tuple[str, int, int | None, bool]:
    """(text, rating, index of the completion it came from or None for a human one, flagged)."""
    where = f"label.steps.{k}"
    if not isinstance(step, dict):
        raise _Refused(f"{where}: expected an object")
    completions = step.get("completions") or []
    chosen = step.get("chosen_completion")
    human = step.get("human_completion")
    if chosen is None and human is not None:
        if not isinstance(human, str):
            raise _Refused(f"{where}.human_completion: expected a string")
        return human, 1, None, False
    index = 0 if chosen is None else chosen
    if not isinstance(index, int) or not 0 <= index < len(completions):
        raise _Refused(f"{where}.chosen_completion: no completion {index}")
    completion = completions[index]
    if not isinstance(completion, dict) or not isinstance(completion.get("text"), str):
        raise _Refused(f"{where}.completions.{index}: expected an object with a 'text'")
    rating = completion.get("rating")
    if rating not in (-1, 0, 1) or isinstance(rating, bool):
        raise _Refused(f"{where}.completions.{index}.rating: expected -1, 0 or 1, got {rating!r}")
    return completion["text"], rating, index, completion.get("flagged") is True


# --- Label Studio ----------------------------------------------------------------------------

LABEL_STUDIO_PRIMITIVES = ("classify", "spans")


def label_studio(
    tasks: Iterable[Any], primitive: str, *, check: Check | None = None,
    on_skip: Callable[[Skipped], None] | None = None,
) -> Iterator[Imported]:
    """``classify`` or ``spans`` items from Label Studio JSON tasks
    ``{"id", "data": {...}, "annotations": [{"result": [...]}]}``.

    The text is ``data["text"]``, or the only string in ``data``; for ``classify`` an
    ``image`` (or ``image_url``) becomes ``image_url``, and the other data fields go to
    ``meta``. The prior answer comes from the first annotation not marked ``was_cancelled``:
    its ``choices`` results (one choice → ``label``, several → ``labels``) or its ``labels``
    results (one span per label). Spans whose ``text`` does not match the offsets are refused
    (Label Studio counts offsets in UTF-16 code units in the browser; Datafab counts code
    points).
    """
    if primitive not in LABEL_STUDIO_PRIMITIVES:
        raise InvalidInput(
            f"primitive: Label Studio imports into {', '.join(LABEL_STUDIO_PRIMITIVES)}, "
            f"not {primitive!r}",
            field="primitive",
        )
    return _rows(tasks, lambda task: _label_studio_task(task, primitive), check, on_skip,
                 distinct_ids=True)


def _label_studio_task(task: dict[str, Any], primitive: str) -> Parsed:
    data = task.get("data")
    if not isinstance(data, dict):
        raise _Refused("data: expected an object")
    external_id = str(task["id"]) if task.get("id") is not None else "ls-" + _digest(task)
    results = _first_results(task.get("annotations"))
    if primitive == "classify":
        item = _checked(CLASSIFY.item_model.model_validate, _classify_data(data))
        item = item.model_dump(mode="json", exclude_none=True)
        return external_id, item, _choices(results)
    else:
        key = _text_key(data)
        text = data[key]
        meta = {k: v for k, v in data.items() if k != key}
        item = {"text": text, **({"meta": meta} if meta else {})}
        item = _checked(SPANS.item_model.model_validate, item)
        item = item.model_dump(mode="json", exclude_none=True)
        return external_id, item, _spans(text, results)


def _text_key(data: dict[str, Any]) -> str:
    if isinstance(data.get("text"), str):
        return "text"
    strings = [k for k, v in data.items() if isinstance(v, str)]
    if len(strings) != 1:
        raise _Refused("data: no 'text' field, and not exactly one string field to use")
    return strings[0]


def _classify_data(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    rest = dict(data)
    for key in ("image_url", "image"):
        if isinstance(rest.get(key), str):
            out["image_url"] = rest.pop(key)
            break
    if isinstance(rest.get("text"), str):
        out["text"] = rest.pop("text")
    elif "image_url" not in out:
        strings = [k for k, v in rest.items() if isinstance(v, str)]
        if len(strings) == 1:
            out["text"] = rest.pop(strings[0])
    if rest:
        out["meta"] = rest
    return out


def _first_results(annotations: Any) -> list[dict[str, Any]] | None:
    if annotations is None:
        return None
    if not isinstance(annotations, list):
        raise _Refused("annotations: expected a list")
    for k, annotation in enumerate(annotations):
        if not isinstance(annotation, dict):
            raise _Refused(f"annotations.{k}: expected an object")
        if annotation.get("was_cancelled"):
            continue
        results = annotation.get("result") or []
        if not isinstance(results, list):
            raise _Refused(f"annotations.{k}.result: expected a list")
        return results
    return None


def _choices(results: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    if results is None:
        return None
    for k, result in enumerate(results):
        if isinstance(result, dict) and result.get("type") == "choices":
            choices = (result.get("value") or {}).get("choices")
            if not isinstance(choices, list) or not choices or not all(
                isinstance(c, str) for c in choices
            ):
                raise _Refused(f"result.{k}.value.choices: expected a list of strings")
            return {"label": choices[0]} if len(choices) == 1 else {"labels": list(choices)}
    return None


def _spans(text: str, results: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    if results is None:
        return None
    spans = []
    for k, result in enumerate(results):
        if not isinstance(result, dict) or result.get("type") != "labels":
            continue
        value = result.get("value") or {}
        start, end, labels = value.get("start"), value.get("end"), value.get("labels")
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end:
            raise _Refused(f"result.{k}.value: start and end must be integers, start < end")
        if end > len(text):
            raise _Refused(f"result.{k}.value.end: {end} is past the end of the text")
        if "text" in value and text[start:end] != value["text"]:
            raise _Refused(
                f"result.{k}.value.text: {value['text']!r} is not the text at {start}..{end}")
        if not isinstance(labels, list) or not labels:
            raise _Refused(f"result.{k}.value.labels: expected a non-empty list")
        spans += [{"start": start, "end": end, "label": label} for label in labels]
    return {"spans": spans}
