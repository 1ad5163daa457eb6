"""Model backends, by name: models as contributors to the line.

``get_backend("openai")`` returns the backend class; an unknown name gets a "did you mean"
error. Entries load lazily from ``"module:attribute"``, so the ``openai`` client or
scikit-learn are imported only when their backend is used.

Layer rule: this package talks to Datafab only over HTTP (``datafab.sdk``) and uses
``datafab.primitives`` to build prompts and check answers; it never imports the store,
services or API.
"""

from __future__ import annotations

from collections.abc import Callable

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
from datafab.registry import Registry

REGISTRY: Registry[type[Backend]] = Registry(
    "model backend", "backend",
    lambda entry: isinstance(entry, type) and issubclass(entry, Backend),
    {
        "openai": "datafab.models.openai_chat:OpenAIChat",
        "learner": "datafab.models.learner:Learner",
        "local": "datafab.models.local_detector:LocalDetector",
    })


def register(name: str, target: str) -> None:
    """Register a backend under ``name``; ``target`` is ``"module:attribute"``."""
    REGISTRY.register(name, target)


def backend_names() -> list[str]:
    return REGISTRY.names()


def get_backend(name: str) -> Callable[..., Backend]:
    """The backend class, called with that backend's own options."""
    return REGISTRY.get(name)


__all__ = [
    "Backend", "Completion", "Job", "MalformedAnswer", "ModelAnswer", "ModelError",
    "ModelUnavailable", "Usage", "backend_names", "get_backend", "register",
]
