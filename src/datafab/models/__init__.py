"""Model backends, by name: models as contributors to the line.

``get_backend("openai")`` returns the backend class; an unknown name gets a "did you mean"
error. Entries load lazily from ``"module:attribute"``, so the ``openai`` client or
scikit-learn are imported only when their backend is used.

Layer rule: this package talks to Datafab only over HTTP (``datafab.sdk``) and uses
``datafab.primitives`` to build prompts and check answers; it never imports the store,
services or API.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable

from datafab.errors import InvalidInput
from datafab.models.base import (
    Backend,
    Completion,
    Job,
    MalformedAnswer,
    ModelAnswer,
    ModelError,
    ModelUnavailable,
    Usage,
)

_REGISTRY: dict[str, str] = {
    "openai": "datafab.models.openai_chat:OpenAIChat",
    "learner": "datafab.models.learner:Learner",
}
_LOADED: dict[str, type[Backend]] = {}


def register(name: str, target: str) -> None:
    """Register a backend under ``name``; ``target`` is ``"module:attribute"``."""
    _REGISTRY[name] = target
    _LOADED.pop(name, None)


def backend_names() -> list[str]:
    return sorted(_REGISTRY)


def get_backend(name: str) -> Callable[..., Backend]:
    """The backend class, called with that backend's own options."""
    if name in _LOADED:
        return _LOADED[name]
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, _REGISTRY, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InvalidInput(
            f"unknown model backend {name!r}{hint} (known: {', '.join(backend_names())})",
            field="backend",
        )
    module_name, attr = _REGISTRY[name].split(":")
    backend = getattr(importlib.import_module(module_name), attr)
    if not (isinstance(backend, type) and issubclass(backend, Backend)):
        raise TypeError(f"{_REGISTRY[name]} is not a Backend")
    _LOADED[name] = backend
    return backend


__all__ = [
    "Backend", "Completion", "Job", "MalformedAnswer", "ModelAnswer", "ModelError",
    "ModelUnavailable", "Usage", "backend_names", "get_backend", "register",
]
