"""Who else receives an event: the integrations' subscribers, by event type.

The outbox names no integration. An integration subscribes when it is imported (the Scale
adapter's task callbacks); the composition roots import the integrations
(``datafab.integrations.install``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from datafab.store.handles import Connection

EVENT_TYPES = ("record.finished", "project.finished", "budget.reached")

#: A subscriber is called inside the emitting transaction as
#: ``fn(conn, organization, type, subject, data, now)`` and returns one-off targets
#: ``[(url, body_text), …]`` (a task's callback, say).
Subscriber = Callable[[Connection, int, str, str, dict[str, Any], float], list[tuple[str, str]]]

#: Who else receives an event: event type -> subscribers by their qualified name (so an
#: integration imported twice is still one subscriber). See ``subscribe``.
_SUBSCRIBERS: dict[str, dict[str, Subscriber]] = {}
#: Whether a subscriber has anything for an organization at all: ``present(conn, org)``.
Presence = Callable[[Connection, int], bool]
_PRESENT: dict[str, Presence] = {}


def subscribe(kind: str, fn: Subscriber, *, present: Presence | None = None) -> Subscriber:
    """Have ``fn`` add targets to every ``kind`` event from now on, in this process.

    ``present(conn, organization)`` says whether ``fn`` can have anything for the
    organization at all (it has Scale tasks with a callback, say): where it says no, the
    batch path (``emit_many``) never calls ``fn``. The answer is cached per organization
    with the outbox's audience (see ``audience``); whatever makes it turn true must call
    ``forget_audience``."""
    if kind not in EVENT_TYPES:
        raise ValueError(f"unknown event type {kind!r}")
    name = f"{fn.__module__}.{fn.__qualname__}"
    _SUBSCRIBERS.setdefault(kind, {})[name] = fn
    if present is not None:
        _PRESENT[name] = present
    return fn


def subscribers(kind: str) -> list[Subscriber]:
    """The subscribers to ``kind`` events, in the order they subscribed."""
    return list(_SUBSCRIBERS.get(kind, {}).values())


def named_subscribers(kind: str) -> dict[str, Subscriber]:
    """The subscribers to ``kind`` events by their qualified name."""
    return dict(_SUBSCRIBERS.get(kind, {}))


def presences() -> dict[str, Presence]:
    """The subscribers that said when they have something for an organization."""
    return dict(_PRESENT)


def is_conditional(name: str) -> bool:
    """Whether the subscriber named ``name`` said when it has something (``present``)."""
    return name in _PRESENT
