"""What a label tells about its contributor: the evidence a submit gathers (from the item's
posterior, or exactly from a gold item) and writes to the contributor's skill counts once,
at the end of its transaction."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from datafab.primitives import Outcome
from datafab.services.projects import Project
from datafab.store import quality as store
from datafab.store.handles import Connection


@dataclass
class Evidence:
    """Label evidence gathered during one submit transaction, written once at its end.

    ``stored`` keeps the counts each contributor had when the transaction read them (the
    posterior needs them anyway), so writing back costs one statement per contributor. Two
    transactions of the same contributor at the same moment may each add only their own
    evidence to what they read — the next refit recomputes every count exactly.
    """

    counts: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    labels: dict[tuple[int, int], int] = field(default_factory=lambda: defaultdict(int))
    gold: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    stored: dict[tuple[int, int], np.ndarray | None] = field(default_factory=dict)

    def add(self, project: int, contributor: int, k: int, label: int, truth: np.ndarray) -> None:
        key = (project, contributor)
        if key not in self.counts:
            self.counts[key] = np.zeros((k, k))
        self.counts[key][:, label] += truth
        self.labels[key] += 1

    def add_gold(self, project: int, contributor: int, correct: bool) -> None:
        seen = self.gold.setdefault((project, contributor), [0, 0])
        seen[0] += 1
        seen[1] += int(correct)

    def remember(self, project: int, contributor: int, counts: np.ndarray | None) -> None:
        self.stored.setdefault((project, contributor), counts)


def label_evidence(
    project: Project, answer: dict[str, Any], outcome: Outcome
) -> tuple[int, np.ndarray] | None:
    """(label code, truth distribution) a new label adds to its contributor's counts."""
    names = project.primitive.class_names(project.settings)
    if names is None:
        return None
    label = project.primitive.encode(project.settings, answer)
    posterior = (outcome.details or {}).get("posterior")
    if posterior is None:  # the per-item vote: its winner is the best guess of the truth
        truth = np.zeros(len(names))
        if outcome.answer is not None:
            truth[project.primitive.encode(project.settings, outcome.answer)] = 1.0
    else:
        truth = np.array([posterior.get(n, 0.0) for n in names])
    return label, truth


def gold_evidence(
    project: Project, answer: dict[str, Any], gold: dict[str, Any]
) -> tuple[bool, tuple[int, np.ndarray] | None]:
    """Whether an answer on a gold item is right, and the exact evidence it gives."""
    names = project.primitive.class_names(project.settings)
    if names is None:
        return project.primitive.matches_gold(project.settings, answer, gold), None
    label = project.primitive.encode(project.settings, answer)
    truth_code = project.primitive.encode(project.settings, gold)
    truth = np.zeros(len(names))
    truth[truth_code] = 1.0
    return label == truth_code, (label, truth)


def write_evidence(conn: Connection, evidence: Evidence, now: float) -> None:
    """Add the gathered evidence to each contributor's stored counts: one upsert each."""
    for project_id, contributor in sorted(set(evidence.counts) | set(evidence.gold)):
        key = (project_id, contributor)
        if key not in evidence.stored:  # only gold answers: the counts were not read yet
            stored = store.skill_counts(conn, project_id, contributor)
            evidence.remember(project_id, contributor,
                              np.asarray(stored) if stored else None)
        counts, add = evidence.stored[key], evidence.counts.get(key)
        if add is not None:
            counts = add if counts is None or counts.shape != add.shape else counts + add
        seen, correct = evidence.gold.get(key, (0, 0))
        store.add_skills(
            conn, project=project_id, contributor=contributor, now=now,
            counts=counts.tolist() if counts is not None else [],
            n_labels=evidence.labels.get(key, 0), gold_seen=seen, gold_correct=correct)
