"""Task types: Scale's task params <-> a Datafab item, its project's settings, and a
record's answer in the shape a Scale task's ``response`` has. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from datafab.errors import InvalidInput


def _text_of(attachment: Any, field: str) -> str:
    """An attachment's text: a string, ``{"type": "text", "content": …}`` or a one-element
    list of those."""
    if isinstance(attachment, list) and len(attachment) == 1:
        attachment = attachment[0]
    if isinstance(attachment, str) and attachment:
        return attachment
    if isinstance(attachment, dict) and isinstance(attachment.get("content"), str) \
            and attachment.get("type", "text") == "text" and attachment["content"]:
        return attachment["content"]
    raise InvalidInput(f"{field}: expected text, or an attachment {{type: 'text', content}}",
                       field=field)


def _labels(raw: Any, field: str) -> list[str]:
    if not isinstance(raw, list) or not raw:
        raise InvalidInput(f"{field}: expected a non-empty list of labels", field=field)
    out = []
    for i, entry in enumerate(raw):
        name = entry.get("name") if isinstance(entry, dict) else entry
        if not isinstance(name, str) or not name:
            raise InvalidInput(f"{field}.{i}: expected a label name", field=f"{field}.{i}")
        out.append(name)
    return out


@dataclass(frozen=True)
class Mapped:
    data: dict[str, Any]
    settings: dict[str, Any]  # what the Datafab project needs to be (or be created with)


def map_task(kind: str, params: dict[str, Any], defaults: dict[str, Any]) -> Mapped:
    """Scale task params (project params as defaults) -> the Datafab item and settings."""
    p = {**defaults, **params}
    instruction = p.get("instruction")
    meta = {"instruction": instruction} if instruction else None
    if kind == "categorization":
        labels = _labels(p.get("categories", p.get("labels")), "categories")
        if len(labels) < 2:
            raise InvalidInput("categories: at least two categories", field="categories")
        attachment = p.get("attachment")
        if not isinstance(attachment, str) or not attachment:
            raise InvalidInput("attachment: expected the text or image URL to categorize",
                               field="attachment")
        key = "image_url" if p.get("attachment_type", "text") == "image" else "text"
        return Mapped({key: attachment, "meta": meta},
                      {"labels": labels, "multi_label": bool(p.get("allow_multiple"))})
    if kind == "comparison":
        attachments = p.get("attachments")
        if not isinstance(attachments, list) or len(attachments) != 2:
            raise InvalidInput("attachments: expected the two responses to compare",
                               field="attachments")
        prompt = p.get("prompt") or instruction
        if not isinstance(prompt, str) or not prompt:
            raise InvalidInput("prompt: the question both responses answer (or instruction)",
                               field="prompt")
        a, b = (_text_of(x, f"attachments.{i}") for i, x in enumerate(attachments))
        return Mapped({"prompt": prompt, "a": {"content": a}, "b": {"content": b},
                       "meta": meta}, {})
    if kind == "textcollection":
        attachments = p.get("attachments") or []
        if not isinstance(attachments, list):
            raise InvalidInput("attachments: expected a list", field="attachments")
        texts = [_text_of(x, f"attachments.{i}") for i, x in enumerate(attachments)]
        prompt = "\n\n".join(texts) or instruction
        if not prompt:
            raise InvalidInput("attachments: text to respond to (or an instruction)",
                               field="attachments")
        return Mapped({"prompt": prompt, "meta": meta}, {})
    # namedentityrecognition
    text = p.get("text")
    if not isinstance(text, str) or not text:
        raise InvalidInput("text: expected the text to annotate", field="text")
    return Mapped({"text": text, "meta": meta}, {"labels": _labels(p.get("labels"), "labels")})


def _response_key(params: dict[str, Any]) -> str:
    fields = params.get("fields")
    if isinstance(fields, list) and fields and isinstance(fields[0], dict):
        return str(fields[0].get("field_id") or "text")
    return "text"


def scale_response(kind: str, params: dict[str, Any], data: dict[str, Any] | None,
                   answer: dict[str, Any] | None) -> dict[str, Any] | None:
    """A Datafab record's answer in the shape a Scale task's ``response`` has."""
    if answer is None:
        return None
    if kind == "categorization":
        return {"category": answer["labels"] if "labels" in answer else answer.get("label")}
    if kind == "comparison":
        return {"choice": answer.get("choice"), "strength": answer.get("strength"),
                "rationales": answer.get("rationales", []),
                "criteria": answer.get("criteria", {})}
    if kind == "textcollection":
        out = {_response_key(params): answer.get("final")}
        if answer.get("critique"):
            out["critique"] = answer["critique"]
        return out
    text = (data or {}).get("text", "")
    return {"annotations": [{**s, "text": text[s["start"]:s["end"]]}
                            for s in answer.get("spans", [])]}
