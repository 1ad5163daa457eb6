"""Which aggregation a project really uses."""

from __future__ import annotations

from datafab import quality
from datafab.services.projects import Project


def method_of(project: Project) -> str:
    """The aggregation a project really uses: a model-based estimator needs categorical
    answers; anything else aggregates per item with the primitive's own rule ("majority").
    ``auto`` is the primitive's default (Dawid–Skene for classify)."""
    method = project.policy.method
    if method == "auto":
        method = project.primitive.default_method
    categorical = project.primitive.class_names(project.settings) is not None
    return method if categorical else "majority"


def is_model_based(project: Project) -> bool:
    return method_of(project) in quality.SKILL_ESTIMATORS
