"""Per item, in the submit transaction: the item's posterior from its labels and its
contributors' stored skill counts (a warm start: no refit), and whether it is finished."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import numpy as np

from datafab import quality
from datafab.foundry import Foundry
from datafab.primitives import Outcome, Vote
from datafab.quality.counts import confusion_from_counts
from datafab.services.projects import Project
from datafab.services.quality.evidence import Evidence
from datafab.services.quality.methods import is_model_based, method_of
from datafab.store import quality as store
from datafab.store.gold_tallies import gold_tallies
from datafab.store.handles import Connection


def item_outcome(
    foundry: Foundry, conn: Connection, project: Project, data: dict[str, Any],
    votes: list[Vote], evidence: Evidence,
) -> Outcome:
    """The item's aggregated answer given its votes: the warm-started posterior for
    model-based methods, the primitive's own rule otherwise."""
    if not is_model_based(project):
        if project.primitive.skill_weighted:
            votes = skill_weighted(conn, project.id, votes)
        return project.primitive.aggregate(project.settings, data, votes)
    names = project.primitive.classes(project.settings)
    prior = _class_prior(foundry, conn, project.id, len(names))
    voters = sorted({v.contributor for v in votes})
    confusions = _confusions(conn, project, voters, evidence)
    index = {c: i for i, c in enumerate(voters)}
    labels = [project.primitive.encode(project.settings, v.answer) for v in votes]
    posterior = quality.item_posterior(
        np.array(labels, dtype=np.int64),
        np.array([index[v.contributor] for v in votes], dtype=np.int64),
        confusions, prior,
    )
    return _outcome(project, posterior, method_of(project))


def skill_weighted(conn: Connection, project_id: int, votes: list[Vote]) -> list[Vote]:
    """The votes weighed by their contributors' gold accuracy, smoothed towards one half
    ((right + 1) / (seen + 2)): an unmeasured contributor weighs 0.5."""
    tallies = gold_tallies(conn, project_id, sorted({v.contributor for v in votes}))
    return [replace(v, weight=(tallies.get(v.contributor, (0, 0))[1] + 1.0)
                    / (tallies.get(v.contributor, (0, 0))[0] + 2.0)) for v in votes]


def is_done(
    foundry: Foundry, conn: Connection, project: Project, n_labels: int, outcome: Outcome
) -> bool:
    """Whether an item with ``n_labels`` labels and this outcome is finished: confident
    enough, out of labels, or (with ``min_gain``) unlikely to be changed by the rest."""
    return _finished(project, n_labels, outcome,
                     lambda: _average_confusion(foundry, conn, project))


#: A label whose expected gain is below this cannot change the answer (rounding aside).
NO_GAIN = 1e-9


def _finished(project: Project, n_labels: int, outcome: Outcome, crowd) -> bool:
    """Done when confident enough or out of labels; and, once ``min_labels`` are in, when
    the labels still allowed (from the average contributor) could not change the answer at
    all — or, with ``min_gain``, are expected to raise its chance of being right by less."""
    policy = project.policy
    if policy.is_done(n_labels, outcome.confidence):
        return True
    posterior = (outcome.details or {}).get("posterior")
    if n_labels < policy.min_labels or posterior is None:
        return False
    names = project.primitive.classes(project.settings)
    p = np.array([posterior.get(n, 0.0) for n in names])
    left = policy.max_labels - n_labels
    return bool(quality.expected_gain(p, crowd(), left)[0] < max(policy.min_gain, NO_GAIN))


def _average_confusion(foundry: Foundry, conn: Connection, project: Project) -> np.ndarray:
    """The confusion of the project's average contributor (who the next labels would come
    from), from the stored skill counts; cached for a moment."""
    crowd = foundry.cache.get(("crowd", project.id))
    if crowd is None:
        k = len(project.primitive.classes(project.settings))
        stored = [c for c in store.all_skill_counts(conn, project.id)
                  if c is not None and np.shape(c) == (k, k)]
        counts = np.array(stored, dtype=np.float64) if stored else np.zeros((1, k, k))
        crowd = quality.population_confusion(confusion_from_counts(counts))
        foundry.cache.put(("crowd", project.id), crowd)
    return crowd


def _outcome(project: Project, posterior: np.ndarray, method: str) -> Outcome:
    return outcomes(project, posterior[np.newaxis], method)[0]


def outcomes(project: Project, posteriors: np.ndarray, method: str) -> list[Outcome]:
    """The outcome of each row of ``posteriors`` (items × classes): the most likely class,
    its probability as the confidence, and the posterior to 6 places (classes under 1e-6
    left out). One argmax over the rows; the rounding is Python's, row by row."""
    names = project.primitive.classes(project.settings)
    decode, settings = project.primitive.decode, project.settings
    out = []
    for code, row in zip(np.argmax(posteriors, axis=1).tolist(), posteriors.tolist(),
                         strict=True):
        confidence = row[code]
        out.append(Outcome(
            answer=decode(settings, code, confidence), confidence=confidence, method=method,
            details={"posterior": {n: round(p, 6) for n, p in zip(names, row, strict=True)
                                   if p >= 1e-6}}))
    return out


def _class_prior(foundry: Foundry, conn: Connection, project_id: int, k: int) -> np.ndarray:
    """The last fit's class prior (uniform before the first fit), cached for a moment."""
    prior = foundry.cache.get(("prior", project_id))
    if prior is None:
        stored = store.class_prior(conn, project_id)
        prior = np.asarray(stored if stored is not None and len(stored) == k
                           else np.full(k, 1.0 / k), dtype=np.float64)
        foundry.cache.put(("prior", project_id), prior)
    return prior


def read_skills(conn: Connection, project: Project, voters: Iterable[int],
                evidence: Evidence) -> None:
    """The stored skill counts of the voters this transaction has not read yet, in one
    statement, kept in ``evidence`` (what the posteriors and the evidence written back start
    from): a submit reads its whole batch's voters once, not once per item."""
    missing = sorted({v for v in voters if (project.id, v) not in evidence.stored})
    if not missing:
        return
    k = len(project.primitive.classes(project.settings))
    rows = store.skill_counts_of(conn, project.id, missing)
    for voter in missing:
        stored = rows.get(voter)
        counts = None
        if stored:  # counts of another shape (the labels changed) count as none yet
            counts = (np.array(stored, dtype=np.float64) if np.shape(stored) == (k, k)
                      else np.zeros((k, k)))
        evidence.remember(project.id, voter, counts)


def _confusions(
    conn: Connection, project: Project, voters: list[int], evidence: Evidence
) -> np.ndarray:
    read_skills(conn, project, voters, evidence)
    k = len(project.primitive.classes(project.settings))
    counts = np.zeros((len(voters), k, k))
    for i, voter in enumerate(voters):
        stored = evidence.stored[(project.id, voter)]
        if stored is not None and stored.shape == (k, k):
            counts[i] = stored
    return confusion_from_counts(counts)
