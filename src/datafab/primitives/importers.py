"""Parsers of public annotation formats into Datafab items and prior answers.

Each importer is pure and streaming: it takes an iterable of lines (``str``/``bytes`` of
JSON) or already-parsed objects, and yields ``(external_id, data, prior_answer | None)`` one
line at a time, so a file of any size passes in constant memory. Every item (and, where the
primitive's default settings suffice, every prior answer) is validated as it passes; a bad
line raises ``InvalidInput("line N: …", field="line N")``, lines counted from 1 (blank lines
count but are skipped).

* :func:`hh_rlhf` — Anthropic's HH-RLHF ``{"chosen", "rejected"}`` transcripts → ``compare``
  items: the turns both transcripts share become the prompt messages, the two differing last
  assistant turns become responses ``a`` (chosen) and ``b`` (rejected), prior answer
  ``{"choice": "a"}``.
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
from collections.abc import Iterable, Iterator
from typing import Any

from datafab.errors import InvalidInput
from datafab.primitives.classify import CLASSIFY
from datafab.primitives.compare import COMPARE
from datafab.primitives.spans import SPANS
from datafab.primitives.steps import STEPS

Imported = tuple[str, dict[str, Any], dict[str, Any] | None]


def _objects(lines: Iterable[Any]) -> Iterator[tuple[int, Any]]:
    """(line number, parsed object) for each non-blank line."""
    for n, line in enumerate(lines, start=1):
        if isinstance(line, bytes):
            line = line.decode("utf-8")
        if isinstance(line, str):
            if not line.strip():
                continue
            try:
                line = json.loads(line)
            except json.JSONDecodeError as exc:
                raise _error(n, f"not valid JSON ({exc.msg} at column {exc.colno})") from exc
        if not isinstance(line, dict):
            raise _error(n, "expected a JSON object")
        yield n, line


def _error(n: int, message: str) -> InvalidInput:
    return InvalidInput(f"line {n}: {message}", field=f"line {n}")


def _digest(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _checked(n: int, check, *args) -> Any:
    """Run a primitive's parser; a failure becomes an error naming the line."""
    try:
        return check(*args)
    except InvalidInput as exc:
        raise _error(n, exc.message) from exc


# --- HH-RLHF ---------------------------------------------------------------------------------

_HH_TURN = re.compile(r"\n\n(Human|Assistant): ?")
_HH_ROLE = {"Human": "user", "Assistant": "assistant"}


def _hh_turns(n: int, text: Any, key: str) -> list[dict[str, str]]:
    if not isinstance(text, str):
        raise _error(n, f"{key}: expected a string")
    parts = _HH_TURN.split(text)
    if parts[0] != "" or len(parts) < 3:
        raise _error(n, f"{key}: a transcript starts with '\\n\\nHuman: '")
    return [
        {"role": _HH_ROLE[parts[i]], "content": parts[i + 1]} for i in range(1, len(parts), 2)
    ]


def hh_rlhf(lines: Iterable[Any]) -> Iterator[Imported]:
    """``compare`` items from HH-RLHF lines ``{"chosen": "\\n\\nHuman: …\\n\\nAssistant: …",
    "rejected": …}``."""
    settings = COMPARE.parse_settings({})
    for n, line in _objects(lines):
        chosen = _hh_turns(n, line.get("chosen"), "chosen")
        rejected = _hh_turns(n, line.get("rejected"), "rejected")
        for key, turns in (("chosen", chosen), ("rejected", rejected)):
            if turns[-1]["role"] != "assistant" or len(turns) < 2:
                raise _error(n, f"{key}: the transcript must end with an Assistant turn")
        if chosen[:-1] != rejected[:-1]:
            raise _error(n, "chosen and rejected differ before their last Assistant turn")
        data = {
            "prompt": chosen[:-1],
            "a": {"content": chosen[-1]["content"]},
            "b": {"content": rejected[-1]["content"]},
        }
        extra = {k: v for k, v in line.items() if k not in ("chosen", "rejected")}
        if extra:
            data["meta"] = extra
        data = _checked(n, COMPARE.parse_item, settings, data)
        yield "hh-" + _digest(line), data, {"choice": "a"}


# --- PRM800K ---------------------------------------------------------------------------------

_QUESTION_CORE = ("problem", "ground_truth_answer", "ground_truth_solution")


def prm800k(lines: Iterable[Any]) -> Iterator[Imported]:
    """``steps`` items from PRM800K lines (see the openai/prm800k README).

    The item's steps are the labelled trajectory — per labelled step the chosen completion,
    else the human completion, else the first completion (the step the labeler found wrong) —
    followed by any pre-generated steps past the last labelled one. The prior answer holds
    the ratings of those labelled steps (a human completion counts +1), the finish reason and
    the flagged steps."""
    settings = STEPS.parse_settings({})
    for n, line in _objects(lines):
        question, label = line.get("question"), line.get("label")
        if not isinstance(question, dict) or not isinstance(label, dict):
            raise _error(n, "a PRM800K line has 'question' and 'label' objects")
        label_steps = label.get("steps") or []
        if not isinstance(label_steps, list):
            raise _error(n, "label.steps: expected a list")
        texts, ratings, sources, flagged = [], [], [], []
        for k, step in enumerate(label_steps):
            text, rating, source, flag = _prm800k_step(n, k, step)
            texts.append(text)
            ratings.append(rating)
            sources.append(source)
            if flag:
                flagged.append(k)
        pre = question.get("pre_generated_steps") or []
        if not isinstance(pre, list):
            raise _error(n, "question.pre_generated_steps: expected a list")
        steps = texts + list(pre[len(texts):])
        if not steps:
            raise _error(n, "no steps to label: label.steps and pre_generated_steps are empty")
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
        data = _checked(n, STEPS.parse_item, settings, {k: v for k, v in data.items()
                                                         if v is not None})
        prior: dict[str, Any] = {"ratings": ratings}
        if label.get("finish_reason") is not None:
            prior["finish_reason"] = label["finish_reason"]
        if flagged:
            prior["flagged"] = flagged
        prior = _checked(n, STEPS.parse_answer, settings, data, prior)
        yield "prm800k-" + _digest(line), data, prior


def _prm800k_step(n: int, k: int, step: Any) -> tuple[str, int, int | None, bool]:
    """(text, rating, index of the completion it came from or None for a human one, flagged)."""
    where = f"label.steps.{k}"
    if not isinstance(step, dict):
        raise _error(n, f"{where}: expected an object")
    completions = step.get("completions") or []
    chosen = step.get("chosen_completion")
    human = step.get("human_completion")
    if chosen is None and human is not None:
        if not isinstance(human, str):
            raise _error(n, f"{where}.human_completion: expected a string")
        return human, 1, None, False
    index = 0 if chosen is None else chosen
    if not isinstance(index, int) or not 0 <= index < len(completions):
        raise _error(n, f"{where}.chosen_completion: no completion {index}")
    completion = completions[index]
    if not isinstance(completion, dict) or not isinstance(completion.get("text"), str):
        raise _error(n, f"{where}.completions.{index}: expected an object with a 'text'")
    rating = completion.get("rating")
    if rating not in (-1, 0, 1) or isinstance(rating, bool):
        raise _error(n, f"{where}.completions.{index}.rating: expected -1, 0 or 1, got {rating!r}")
    return completion["text"], rating, index, completion.get("flagged") is True


# --- Label Studio ----------------------------------------------------------------------------

LABEL_STUDIO_PRIMITIVES = ("classify", "spans")


def label_studio(tasks: Iterable[Any], primitive: str) -> Iterator[Imported]:
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
    for n, task in _objects(tasks):
        data = task.get("data")
        if not isinstance(data, dict):
            raise _error(n, "data: expected an object")
        external_id = str(task["id"]) if task.get("id") is not None else "ls-" + _digest(task)
        results = _first_results(n, task.get("annotations"))
        if primitive == "classify":
            item = _checked(n, CLASSIFY.item_model.model_validate, _classify_data(data))
            item = item.model_dump(mode="json", exclude_none=True)
            yield external_id, item, _choices(n, results)
        else:
            key = _text_key(n, data)
            text = data[key]
            meta = {k: v for k, v in data.items() if k != key}
            item = {"text": text, **({"meta": meta} if meta else {})}
            item = _checked(n, SPANS.item_model.model_validate, item)
            item = item.model_dump(mode="json", exclude_none=True)
            yield external_id, item, _spans(n, text, results)


def _text_key(n: int, data: dict[str, Any]) -> str:
    if isinstance(data.get("text"), str):
        return "text"
    strings = [k for k, v in data.items() if isinstance(v, str)]
    if len(strings) != 1:
        raise _error(n, "data: no 'text' field, and not exactly one string field to use")
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


def _first_results(n: int, annotations: Any) -> list[dict[str, Any]] | None:
    if annotations is None:
        return None
    if not isinstance(annotations, list):
        raise _error(n, "annotations: expected a list")
    for k, annotation in enumerate(annotations):
        if not isinstance(annotation, dict):
            raise _error(n, f"annotations.{k}: expected an object")
        if annotation.get("was_cancelled"):
            continue
        results = annotation.get("result") or []
        if not isinstance(results, list):
            raise _error(n, f"annotations.{k}.result: expected a list")
        return results
    return None


def _choices(n: int, results: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    if results is None:
        return None
    for k, result in enumerate(results):
        if isinstance(result, dict) and result.get("type") == "choices":
            choices = (result.get("value") or {}).get("choices")
            if not isinstance(choices, list) or not choices or not all(
                isinstance(c, str) for c in choices
            ):
                raise _error(n, f"result.{k}.value.choices: expected a list of strings")
            return {"label": choices[0]} if len(choices) == 1 else {"labels": list(choices)}
    return None


def _spans(n: int, text: str, results: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    if results is None:
        return None
    spans = []
    for k, result in enumerate(results):
        if not isinstance(result, dict) or result.get("type") != "labels":
            continue
        value = result.get("value") or {}
        start, end, labels = value.get("start"), value.get("end"), value.get("labels")
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end:
            raise _error(n, f"result.{k}.value: start and end must be integers, start < end")
        if end > len(text):
            raise _error(n, f"result.{k}.value.end: {end} is past the end of the text")
        if "text" in value and text[start:end] != value["text"]:
            raise _error(
                n, f"result.{k}.value.text: {value['text']!r} is not the text at {start}..{end}"
            )
        if not isinstance(labels, list) or not labels:
            raise _error(n, f"result.{k}.value.labels: expected a non-empty list")
        spans += [{"start": start, "end": end, "label": label} for label in labels]
    return {"spans": spans}
