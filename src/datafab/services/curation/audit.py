"""Auditing a project's labels: every labelled item ranked by the probability that its
current label is wrong (see ``quality.curation`` for the maths and ``docs/audit.md`` for what
the figure means).

The model's evidence is out-of-fold: a classifier trained on the project's own labelled
units (TF-IDF, or embeddings from an OpenAI-compatible endpoint) predicts each fold it did
not see. Where an item has several labels, the project's estimator's posterior (contributor
skills included) is combined with it. A spans project is audited span by span; its item's
figure is its most doubtful span's.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from datafab.errors import InvalidInput
from datafab.foundry import Foundry
from datafab.quality import curation as maths
from datafab.services.curation.embeddings import EmbeddingsEndpoint, embed
from datafab.services.curation.units import Crowd, Units, crowd_posterior, load_units
from datafab.services.projects import Project, load_project

Progress = Callable[[int, int], None]  # (done, total) steps
FOLDS = 5


@dataclass
class AuditReport:
    project_id: int
    features: str
    lines: list[dict[str, Any]]  # sorted by p_wrong, highest first
    item_ids: list[int]  # the item of each line
    n_units: int
    n_flagged: int
    thresholds: dict[str, float]
    crowd_items: int  # items whose several labels entered the figure
    review: dict[str, Any] | None = field(default=None)

    def summary(self) -> dict[str, Any]:
        return {"project_id": self.project_id, "features": self.features,
                "items": len(self.lines), "units": self.n_units, "flagged": self.n_flagged,
                "thresholds": self.thresholds, "crowd_items": self.crowd_items,
                "review": self.review}


@dataclass(frozen=True)
class Prepared:
    """A project's units read and checked: the audit can run (nothing written yet)."""

    project: Project
    units: Units
    crowd: Crowd | None


def prepare(foundry: Foundry, organization: int, project_id: int) -> Prepared:
    """Read the project and its labels; ``InvalidInput`` naming ``project`` when there is
    nothing to audit (no labels, one class)."""
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        units = load_units(conn, project)
        crowd = crowd_posterior(conn, project, units)
    check_units(units)
    return Prepared(project, units, crowd)


def check_units(units: Units) -> None:
    if not units.labels:
        raise InvalidInput("project: no labelled items to audit (no item has a record)",
                           field="project")
    counts = np.bincount(np.asarray(units.labels), minlength=len(units.classes))
    if np.count_nonzero(counts) < 2:
        only = units.classes[int(np.argmax(counts))]
        raise InvalidInput(f"project: every label is {only!r}; an audit needs labels of at "
                           "least two classes", field="project")
    if np.count_nonzero(counts >= 2) < 2:
        raise InvalidInput("project: an audit needs at least two classes with two labelled "
                           "items each", field="project")


def features_for(texts: list[str], embeddings: EmbeddingsEndpoint | None,
                 on_batch: Callable[[int], None] | None = None) -> Any:
    if embeddings is None:
        try:
            return maths.features_of(texts)
        except maths.ClassifierMissing as exc:
            raise InvalidInput(f"features: {exc}", field="features") from exc
    return embed(embeddings, texts, on_batch)


def run_audit(prepared: Prepared, *, embeddings: EmbeddingsEndpoint | None = None,
              on_progress: Progress | None = None) -> AuditReport:
    """The audit of prepared units (pure computation: nothing read or written)."""
    units, project = prepared.units, prepared.project
    k = len(units.classes)
    total = FOLDS + 2 + (len(units.texts) if embeddings is not None else 0)
    done = 0

    def tick(n: int = 1) -> None:
        nonlocal done
        done += n
        if on_progress is not None:
            on_progress(min(done, total), total)

    tick(0)
    x = features_for(units.texts, embeddings, tick)
    y = np.asarray(units.labels, dtype=np.int64)
    try:
        proba = maths.out_of_fold_proba(x, y, k, folds=FOLDS)
    except maths.ClassifierMissing as exc:
        raise InvalidInput(f"features: {exc}", field="features") from exc
    tick(FOLDS)
    thresholds = maths.class_thresholds(proba, y)
    model = maths.adjusted(proba, thresholds)
    crowd = prepared.crowd
    probs = maths.combine(model, None if crowd is None else crowd.posterior,
                          None if crowd is None else crowd.prior,
                          None if crowd is None else crowd.several)
    wrong = maths.p_wrong(probs, y)
    suggested = probs.argmax(axis=1)
    tick()
    lines, item_ids = _item_lines(project, units, wrong, suggested)
    tick()
    flags = maths.flag_by_count(proba, y, maths.confident_joint(proba, y, thresholds))
    if crowd is not None:  # where people disagree, the combined evidence decides
        flags = np.where(crowd.several, maths.flagged(probs, y), flags)
    return AuditReport(
        project.id, "embeddings" if embeddings is not None else "tfidf", lines, item_ids,
        len(units.labels), int(flags.sum()),
        {c: float(t) for c, t in zip(units.classes, thresholds, strict=True)},
        0 if crowd is None else len({units.item_ids[u] for u in np.flatnonzero(crowd.several)}))


def _item_lines(project: Project, units: Units, wrong: np.ndarray,
                suggested: np.ndarray) -> tuple[list[dict[str, Any]], list[int]]:
    """One line per item (its most doubtful unit), highest p_wrong first."""
    worst: dict[int, int] = {}
    for u, item_id in enumerate(units.item_ids):
        if item_id not in worst or wrong[u] > wrong[worst[item_id]]:
            worst[item_id] = u
    rows: list[tuple[dict[str, Any], int]] = []
    for item_id, u in worst.items():
        label, best = units.classes[units.labels[u]], units.classes[int(suggested[u])]
        span = units.spans[u]
        line: dict[str, Any]
        if span is not None:
            line = {"external_id": units.external_ids[u], "label": span,
                    "suggested": {**span, "label": best}, "p_wrong": round(float(wrong[u]), 6)}
        else:
            line = {"external_id": units.external_ids[u], "label": label, "suggested": best,
                    "p_wrong": round(float(wrong[u]), 6)}
        rows.append((line, item_id))
    rows.sort(key=lambda r: (-r[0]["p_wrong"], r[0]["external_id"]))
    return [r[0] for r in rows], [r[1] for r in rows]


def check_output(path: Path) -> None:
    """The output file's folder must exist (checked before any work, so nothing is written
    on a bad path)."""
    if not path.parent.exists() or path.is_dir():
        raise InvalidInput(f"output: cannot write {path} (no such folder, or a folder)",
                           field="output")


def write_jsonl(report: AuditReport, path: Path) -> None:
    """The report's lines as JSON Lines, written whole or not at all."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for line in report.lines:
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
