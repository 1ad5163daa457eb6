"""Chat messages as the primitives store and export them.

Every prompt is stored as a list of ``{"role", "content"}`` messages, whether the requester sent
a plain string or a conversation: one shape in the store means one shape in the workbench and
one Arrow type per export column (a column that is sometimes a string and sometimes a list
cannot be written to Parquet). A plain string becomes one message with the role the field
implies (``user`` for prompts, ``assistant`` for responses).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from datafab.primitives.base import Schema

MAX_TEXT = 200_000  # characters in one message or text field
MAX_TURNS = 200

Role = Literal["system", "user", "assistant", "tool"]


class Message(Schema):
    role: Role
    content: str = Field(max_length=MAX_TEXT)


def _as_messages(role: str) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, str):
            return [{"role": role, "content": value}]
        return value

    return convert


#: A prompt: a string (one user message) or a list of messages.
Prompt = Annotated[
    list[Message], BeforeValidator(_as_messages("user")), Field(min_length=1, max_length=MAX_TURNS)
]
#: A model's reply: a string (one assistant message) or a list of messages.
Reply = Annotated[
    list[Message],
    BeforeValidator(_as_messages("assistant")),
    Field(min_length=1, max_length=MAX_TURNS),
]


def text_of(messages: list[dict[str, Any]]) -> str:
    """The contents of ``messages`` joined by blank lines (for display and plain-text exports)."""
    return "\n\n".join(m["content"] for m in messages)


def copy_messages(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Plain ``{"role", "content"}`` copies (export rows never share the stored objects)."""
    return [{"role": m["role"], "content": m["content"]} for m in messages]
