"""Prompts from primitives, and answers from a model's reply.

A prompt is what a contributor sees, written for a chat model: the primitive's instruction,
the project's guidelines, the item as JSON, and the answer format (the primitive's answer
schema as JSON Schema, the label list for categorical work). The model replies with one JSON
object ``{"answer": …, "confidence": p}``, ``p`` being its probability that the answer is
right. :func:`parse_reply` checks the answer with the primitive itself; anything else raises
``MalformedAnswer``, and the worker hands the item to people instead.

Nothing here sees gold answers: a :class:`~datafab.models.base.Job` holds only what a lease
gives.
"""

from __future__ import annotations

import json
import re
from typing import Any

from datafab.errors import InvalidInput
from datafab.models.base import Job, MalformedAnswer
from datafab.primitives import Primitive, get_primitive
from datafab.primitives.declarative import DeclarativePrimitive

SYSTEM = (
    "You are a careful expert contributor to a data foundry. Follow the project's guidelines "
    "exactly. Reply with one JSON object and nothing else."
)

INSTRUCTIONS: dict[str, str] = {
    "classify": "Classify the item: pick the label that fits it best.",
    "compare": "Two responses, a and b, answer the same prompt. Say which is better overall "
               "(or tie), how much better (slight, clear, decisive), and why in one sentence.",
    "rank": "Order the responses from best to worst by their ids.",
    "steps": "Rate each reasoning step of the solution: 1 correct and useful, 0 neutral or "
             "unhelpful, -1 wrong. Stop rating after the first wrong step.",
    "write": "Write the ideal assistant response to the conversation. Be correct, helpful, "
             "honest and concise.",
    "trajectory": "Record the agent's trajectory for the task: its thoughts, tool calls and "
                  "results, step by step, recovering from errors.",
    "grade": "Score the response against every rubric criterion, with a one-line "
             "justification for each.",
    "redaction_review": "Check the redacted text: list the indices of replacements that hid "
                        "nothing personal (wrong), and every span of personal data still in "
                        "the text, with its type (missed).",
    "spans": "Mark every span of the text that carries one of the labels, by character "
             "offsets (start inclusive, end exclusive).",
    "boxes": "Draw a box around every object of the project's labels in the image: pixels, "
             "x and y the top-left corner, w and h the width and height, inside the image.",
    "polygons": "Outline every object of the project's labels in the image as a closed "
                "polygon of pixel points [x, y] that does not cross itself.",
    "keypoints": "Place every named keypoint of the object in the image (pixels), saying "
                 "whether it is visible, occluded (placed where it must be) or absent.",
    "tracks": "Follow every object of the project's labels through the video: one track "
              "per object, with boxes at keyframes (increasing frames) where it moves.",
}
GENERIC = "Answer the item as the guidelines ask."


def build_messages(job: Job) -> list[dict[str, Any]]:
    """The chat messages for one item; an image goes with the text as an ``image_url``
    part, as OpenAI-compatible vision endpoints take it."""
    system = SYSTEM
    if job.guidelines.strip():
        system += "\n\nProject guidelines:\n" + job.guidelines.strip()
    user = "\n\n".join([
        INSTRUCTIONS.get(job.primitive, _described(job)),
        "Item:\n```json\n" + json.dumps(job.data, ensure_ascii=False, indent=1) + "\n```",
        answer_format(job),
    ])
    if job.image is not None:
        return [{"role": "system", "content": system},
                {"role": "user", "content": [{"type": "text", "text": user},
                                             {"type": "image_url",
                                              "image_url": {"url": job.image}}]}]
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def primitive_of(job: Job) -> Primitive:
    """The job's primitive: a built-in one, or a customer's from the definition the project's
    instructions carry."""
    if job.definition is not None:
        return DeclarativePrimitive.from_raw(job.definition)
    return get_primitive(job.primitive)


def answer_format(job: Job) -> str:
    primitive = primitive_of(job)
    settings = primitive.parse_settings(job.settings)
    names = primitive.class_names(settings)
    schema = primitive.answer_json_schema(settings)
    lines = [
        'Reply with exactly one JSON object: {"answer": ANSWER, "confidence": P}, where P is '
        "the probability (0 to 1) that your answer is right.",
        "ANSWER follows this JSON Schema:\n```json\n"
        + json.dumps(schema, separators=(",", ":")) + "\n```",
    ]
    if job.primitive == "classify" and names is not None:
        lines.append('ANSWER is {"label": L} with L one of: ' + json.dumps(names))
    elif job.primitive == "classify":
        lines.append('ANSWER is {"labels": [L, …]} with each L one of: '
                     + json.dumps(settings.labels))
    return "\n".join(lines)


def _described(job: Job) -> str:
    """A customer primitive's own description, else the generic instruction."""
    described = (job.definition or {}).get("description")
    return described.strip() if isinstance(described, str) and described.strip() else GENERIC


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


def parse_reply(job: Job, text: str) -> tuple[dict[str, Any], float | None]:
    """The validated answer and the stated confidence in a model's reply."""
    reply = _json_object(text)
    if not isinstance(reply.get("answer"), dict):
        raise MalformedAnswer('the reply has no "answer" object')
    confidence = reply.get("confidence")
    if confidence is not None:
        if isinstance(confidence, bool) or not isinstance(confidence, int | float) \
                or not 0.0 <= confidence <= 1.0:
            raise MalformedAnswer(f"confidence {confidence!r} is not a probability")
        confidence = float(confidence)
    primitive = primitive_of(job)
    try:
        answer = primitive.parse_answer(primitive.parse_settings(job.settings), job.data,
                                        reply["answer"])
    except InvalidInput as exc:
        raise MalformedAnswer(f"the answer is not valid: {exc.message}") from exc
    return answer, confidence


def _json_object(text: str) -> dict[str, Any]:
    candidates = [m.group(1) for m in _FENCE.finditer(text or "")] + [text or ""]
    for candidate in candidates:
        start, end = candidate.find("{"), candidate.rfind("}")
        if start < 0 or end <= start:
            continue
        try:
            value = json.loads(candidate[start:end + 1])
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    raise MalformedAnswer("the reply holds no JSON object: " + repr((text or "")[:200]))
