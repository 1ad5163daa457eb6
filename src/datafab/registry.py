"""Things of one kind by name — primitives, model backends — loaded on first use.

An entry is registered as ``"module:attribute"`` so its dependencies are imported only when
it is asked for; an unknown name is an ``InvalidInput`` naming the field and the closest
known name. Like ``errors.py``, any room may import this; it imports nothing else of
Datafab's but the errors.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from typing import Generic, TypeVar

from datafab.errors import InvalidInput

T = TypeVar("T")


class Registry(Generic[T]):
    """Entries of one ``kind`` by name; ``accepts`` says whether a loaded object is one."""

    def __init__(self, kind: str, field: str, accepts: Callable[[object], bool],
                 entries: dict[str, str] | None = None) -> None:
        self.kind = kind
        self.field = field
        self._accepts = accepts
        self._targets: dict[str, str] = dict(entries or {})
        self._loaded: dict[str, T] = {}

    def register(self, name: str, target: str) -> None:
        """Register ``target`` (``"module:attribute"``) under ``name``, replacing any entry."""
        if ":" not in target:
            raise ValueError(f"{self.kind} target {target!r} is not 'module:attribute'")
        self._targets[name] = target
        self._loaded.pop(name, None)

    def unregister(self, name: str) -> None:
        self._targets.pop(name, None)
        self._loaded.pop(name, None)

    def names(self) -> list[str]:
        return sorted(self._targets)

    def __contains__(self, name: object) -> bool:
        return name in self._targets

    def get(self, name: str) -> T:
        """The entry called ``name``, imported on first use."""
        if name in self._loaded:
            return self._loaded[name]
        if name not in self._targets:
            raise self._unknown(name)
        module_name, attr = self._targets[name].split(":")
        entry = getattr(importlib.import_module(module_name), attr)
        if not self._accepts(entry):
            raise TypeError(f"{self._targets[name]} is not a {self.kind}")
        self._loaded[name] = entry
        return entry  # type: ignore[no-any-return]

    def _unknown(self, name: str) -> InvalidInput:
        close = difflib.get_close_matches(name, self._targets, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        known = ", ".join(self.names())
        return InvalidInput(f"unknown {self.kind} {name!r}{hint} (known: {known})",
                            field=self.field)
