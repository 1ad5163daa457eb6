"""The quality engine in the line: posteriors after each answer, contributor evidence, gold,
periodic full refits, and a project's quality summary.

After each submission the item's posterior is recomputed from its labels and the
contributors' confusion matrices (a warm start: no refit), and the new label's evidence is
added to its contributor's counts; then the project's other open items are rescored with
the contributors' current counts (``rescore_open``). Every so often (see ``Refits``) the
estimator is refitted on all labels, with gold items clamped; that replaces the counts, the
class prior, every record and the open/done state of every item.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sqlalchemy import Connection, bindparam, select, text

from datafab import quality
from datafab.foundry import Foundry
from datafab.primitives import Outcome, Vote
from datafab.quality.counts import (
    confusion_from_counts,
    expected_counts,
    skill_from_confusion,
)
from datafab.services import webhooks
from datafab.services.projects import Project, load_project
from datafab.services.records import store_record
from datafab.store import submitting
from datafab.store.gold_tallies import gold_tallies
from datafab.store.tables import Json, contributor_skills, items, project_fits, submissions

log = logging.getLogger("datafab.quality")
REFIT_MIN_LABELS = 50  # refit after this many new labels …
REFIT_GROWTH = 0.10  # … or this share of the labels the last fit saw, whichever is larger
RESCORE_MAX_OPEN = 2_000  # after a submission, rescore its contributor's open items up to this


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


# -- per item, in the submit transaction ------------------------------------------------------

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
    confusions = _confusions(conn, project.id, voters, len(names), evidence)
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
        stored = [c for c in conn.execute(
            select(contributor_skills.c.counts).where(
                contributor_skills.c.project_id == project.id)
        ).scalars() if c is not None and np.shape(c) == (k, k)]
        counts = np.array(stored, dtype=np.float64) if stored else np.zeros((1, k, k))
        crowd = quality.population_confusion(confusion_from_counts(counts))
        foundry.cache.put(("crowd", project.id), crowd)
    return crowd


def _outcome(project: Project, posterior: np.ndarray, method: str) -> Outcome:
    names = project.primitive.classes(project.settings)
    code = int(np.argmax(posterior))
    confidence = float(posterior[code])
    return Outcome(
        answer=project.primitive.decode(project.settings, code, confidence),
        confidence=confidence,
        method=method,
        details={"posterior": {n: round(float(p), 6) for n, p in zip(names, posterior,
                                                                    strict=True) if p >= 1e-6}},
    )


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
            stored = conn.execute(_SKILL_COUNTS, {"project": project_id,
                                                  "contributor": contributor}).scalar()
            evidence.remember(project_id, contributor,
                              np.asarray(stored) if stored else None)
        counts, add = evidence.stored[key], evidence.counts.get(key)
        if add is not None:
            counts = add if counts is None or counts.shape != add.shape else counts + add
        seen, correct = evidence.gold.get(key, (0, 0))
        conn.execute(_ADD_SKILLS, {
            "project": project_id, "contributor": contributor, "now": now,
            "counts": counts.tolist() if counts is not None else [],
            "n_labels": evidence.labels.get(key, 0), "gold_seen": seen, "gold_correct": correct,
        })


_SKILL_COUNTS = text(
    "SELECT counts FROM contributor_skills WHERE project_id = :project "
    "AND contributor_id = :contributor"
).columns(counts=Json)
_ADD_SKILLS = text(
    "INSERT INTO contributor_skills (project_id, contributor_id, counts, n_labels, gold_seen, "
    "gold_correct, updated_at) VALUES (:project, :contributor, :counts, :n_labels, :gold_seen, "
    ":gold_correct, :now) ON CONFLICT (project_id, contributor_id) DO UPDATE SET "
    "counts = excluded.counts, n_labels = contributor_skills.n_labels + excluded.n_labels, "
    "gold_seen = contributor_skills.gold_seen + excluded.gold_seen, "
    "gold_correct = contributor_skills.gold_correct + excluded.gold_correct, "
    "updated_at = excluded.updated_at"
).bindparams(bindparam("counts", type_=Json))
_REPLACE_SKILLS = text(
    "INSERT INTO contributor_skills (project_id, contributor_id, counts, n_labels, gold_seen, "
    "gold_correct, updated_at) VALUES (:project, :contributor, :counts, :n_labels, :gold_seen, "
    ":gold_correct, :now) ON CONFLICT (project_id, contributor_id) DO UPDATE SET "
    "counts = excluded.counts, n_labels = excluded.n_labels, gold_seen = excluded.gold_seen, "
    "gold_correct = excluded.gold_correct, updated_at = excluded.updated_at"
).bindparams(bindparam("counts", type_=Json))


def _class_prior(foundry: Foundry, conn: Connection, project_id: int, k: int) -> np.ndarray:
    """The last fit's class prior (uniform before the first fit), cached for a moment."""
    prior = foundry.cache.get(("prior", project_id))
    if prior is None:
        stored = conn.execute(
            select(project_fits.c.class_prior).where(project_fits.c.project_id == project_id)
        ).scalar()
        prior = np.asarray(stored if stored is not None and len(stored) == k
                           else np.full(k, 1.0 / k), dtype=np.float64)
        foundry.cache.put(("prior", project_id), prior)
    return prior


def _confusions(
    conn: Connection, project_id: int, voters: list[int], k: int, evidence: Evidence
) -> np.ndarray:
    rows = dict(
        conn.execute(
            select(contributor_skills.c.contributor_id, contributor_skills.c.counts).where(
                contributor_skills.c.project_id == project_id,
                contributor_skills.c.contributor_id.in_(voters),
            )
        ).all()
    )
    counts = np.zeros((len(voters), k, k))
    for i, voter in enumerate(voters):
        stored = rows.get(voter)
        if stored and np.shape(stored) == (k, k):
            counts[i] = stored
        evidence.remember(project_id, voter, counts[i].copy() if stored else None)
    return confusion_from_counts(counts)


# -- full refits ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Labels:
    """A project's labels as the quality engine's arrays, with the ids behind the codes."""

    item: np.ndarray
    worker: np.ndarray
    label: np.ndarray
    item_ids: np.ndarray
    contributor_ids: np.ndarray
    gold: dict[int, int]
    n_classes: int
    last_submission: int = 0  # the newest submission read: later ones are not in the arrays


def load_labels(conn: Connection, project: Project) -> Labels | None:
    """Every counted label of a categorical project, in one query."""
    names = project.primitive.class_names(project.settings)
    if names is None:
        return None
    rows = conn.execute(
        select(submissions.c.id, submissions.c.item_id, submissions.c.contributor_id,
               submissions.c.answer)
        .where(submissions.c.project_id == project.id, submissions.c.counted)
        .order_by(submissions.c.id)
    ).all()
    gold_rows = conn.execute(
        select(items.c.id, items.c.gold_answer).where(
            items.c.project_id == project.id, items.c.status == "gold"
        )
    ).all()
    raw_items = np.fromiter((r.item_id for r in rows), dtype=np.int64, count=len(rows))
    raw_workers = np.fromiter((r.contributor_id for r in rows), dtype=np.int64, count=len(rows))
    encode = project.primitive.encode
    label = np.fromiter((encode(project.settings, r.answer) for r in rows), dtype=np.int64,
                        count=len(rows))
    item_ids, item = np.unique(raw_items, return_inverse=True)
    contributor_ids, worker = np.unique(raw_workers, return_inverse=True)
    position = {int(i): n for n, i in enumerate(item_ids)}
    gold = {position[g.id]: encode(project.settings, g.gold_answer)
            for g in gold_rows if g.id in position}
    return Labels(item, worker, label, item_ids, contributor_ids, gold, len(names),
                  max((r.id for r in rows), default=0))


class Refits:
    """When to refit, and where: at most one refit per project at a time in this process,
    after enough new labels (``REFIT_MIN_LABELS`` or ``REFIT_GROWTH`` of what the last fit
    saw), in one background thread — or inline, for tests and scripts. Enough labels that
    arrive while a refit runs make it run again at once."""

    def __init__(self, *, background: bool = True) -> None:
        self.background = background
        self._guard = threading.Lock()
        self._running: set[int] = set()
        self._since: dict[int, int] = defaultdict(int)
        self._fitted: dict[int, int] = {}
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def note(self, foundry: Foundry, project_id: int, n_labels: int) -> None:
        """Count new labels; start a refit if one is due and none is running."""
        with self._guard:
            self._since[project_id] += n_labels
            if not self._due(project_id) or project_id in self._running:
                return
            self._running.add(project_id)
            self._since[project_id] = 0
        if self.background:
            self._worker().put((foundry, project_id))
        else:
            self._run(foundry, project_id)

    def _due(self, project_id: int) -> bool:
        since = self._since[project_id]
        return since >= max(REFIT_MIN_LABELS, REFIT_GROWTH * self._fitted.get(project_id, 0))

    def _run(self, foundry: Foundry, project_id: int) -> None:
        while True:
            try:
                fitted = refit(foundry, project_id)
                if fitted is not None:
                    self._fitted[project_id] = fitted
            except Exception:  # a failed refit leaves the warm posteriors; retried later
                log.exception("refit of project %s failed", project_id)
                with self._guard:
                    self._running.discard(project_id)
                return
            with self._guard:
                if not self._due(project_id):  # labels that came in meanwhile: once more
                    self._running.discard(project_id)
                    return
                self._since[project_id] = 0

    def _worker(self) -> queue.SimpleQueue[Any]:
        with self._guard:
            if self._thread is None:
                self._queue = queue.SimpleQueue()
                self._thread = threading.Thread(target=self._loop, name="datafab-refits",
                                                daemon=True)
                self._thread.start()
        return self._queue

    def _loop(self) -> None:
        while (job := self._queue.get()) is not None:
            self._run(*job)

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None


def after_submissions(foundry: Foundry, project_ids: dict[int, int],
                      contributor: int | None = None) -> None:
    """Called after a submit commits, before it answers: bring the open items' posteriors up
    to date with the skill the new labels changed (``rescore_open``), then count the labels
    and refit the projects that are due."""
    for project_id, n in project_ids.items():
        if contributor is not None:
            rescore_open(foundry, project_id, contributor)
        refits(foundry).note(foundry, project_id, n)


def refits(foundry: Foundry) -> Refits:
    """The process's refit scheduler, kept by the Foundry and stopped when it closes."""
    return foundry.worker(
        "refits", lambda: Refits(background=foundry.settings.refit_in_background))


def rescore_open(foundry: Foundry, project_id: int, contributor: int) -> int:
    """Recompute the posterior of every open item of a model-based project that
    ``contributor`` labelled — the items whose posterior their new evidence changes — from
    its labels and its contributors' current skill counts (the warm start ``item_outcome``
    uses), and close the items that are now finished, so no further label is bought on a
    posterior made with an older skill. Skipped (0) when more than ``RESCORE_MAX_OPEN`` such
    items are open: there the periodic refit keeps them current. How many records
    changed."""
    now = foundry.now()
    with foundry.db.write() as conn:
        project = load_project(conn, None, project_id)
        if not is_model_based(project) or project.status != "active":
            return 0
        ids = submitting.open_labelled(conn, project.id, contributor, RESCORE_MAX_OPEN + 1)
        if not ids or len(ids) > RESCORE_MAX_OPEN:
            return 0
        locked = submitting.lock_items(conn, ids)
        ids = [i for i in ids if locked[i].status == "open"]
        rows = submitting.votes_of(conn, ids) if ids else []
        if not rows:
            return 0
        names = project.primitive.classes(project.settings)
        k = len(names)
        voters = sorted({r.contributor_id for r in rows})
        confusions = _confusions(conn, project.id, voters, k, Evidence())
        prior = _class_prior(foundry, conn, project.id, k)
        position = {item_id: n for n, item_id in enumerate(ids)}
        voter = {c: n for n, c in enumerate(voters)}
        encode = project.primitive.encode
        post = quality.posteriors(
            np.array([position[r.item_id] for r in rows], dtype=np.int64),
            np.array([voter[r.contributor_id] for r in rows], dtype=np.int64),
            np.array([encode(project.settings, r.answer) for r in rows], dtype=np.int64),
            confusions, prior, n_items=len(ids),
        )
        per_item = np.bincount([position[r.item_id] for r in rows], minlength=len(ids))
        before = submitting.confidence_of(conn, ids)
        method, changed, finished = method_of(project), 0, False
        for n, item_id in enumerate(ids):
            outcome = _outcome(project, post[n], method)
            if abs(before.get(item_id, -1.0) - outcome.confidence) <= 1e-6:
                continue
            changed += 1
            store_record(conn, project.id, item_id, outcome, int(per_item[n]), now)
            item = locked[item_id]
            if _finished(project, item.n_labels, outcome,
                         lambda: _average_confusion(foundry, conn, project)):
                submitting.settle(conn, item=item_id, n_labels=item.n_labels,
                                  n_live=item.n_live, slots=0, status="done")
                webhooks.record_finished(conn, project.organization_id, project.id, item_id,
                                         now)
                finished = True
        if finished:
            webhooks.projects_finished(conn, {(project.organization_id, project.id)}, now)
    return changed


def refit(foundry: Foundry, project_id: int) -> int | None:
    """Refit the project's estimator on all its labels; rewrite skills, records and item
    states. Returns how many labels the fit saw (``None``: not a model-based project)."""
    fit = fit_project(foundry, project_id)
    return fit if fit is None or isinstance(fit, int) else apply_fit(foundry, fit)


@dataclass
class Fit:
    """A fitted estimator and what it was fitted on, not yet written back."""

    project: Project
    data: Labels
    state: Sequence[Any]
    estimator: Any
    counts: np.ndarray


def fit_project(foundry: Foundry, project_id: int) -> Fit | int | None:
    """The read-and-fit half of ``refit``: a ``Fit`` to write with ``apply_fit``, or what
    ``refit`` returns when there is nothing to write (labels seen, or ``None``)."""
    with foundry.db.read() as conn:
        project = load_project(conn, None, project_id)
        if not is_model_based(project):
            return _refit_whole_project(foundry, conn, project)
        data = load_labels(conn, project)
        state = conn.execute(
            select(items.c.id, items.c.status, items.c.n_labels).where(
                items.c.project_id == project.id, items.c.status != "gold"
            )
        ).all()
    if data is None or len(data.label) == 0:
        return 0
    estimator = quality.get_estimator(method_of(project))().fit(
        data.item, data.worker, data.label, n_items=len(data.item_ids),
        n_workers=len(data.contributor_ids), n_classes=data.n_classes, gold=data.gold or None,
    )
    counts = expected_counts(data.item, data.worker, data.label, estimator.probas_,
                             n_workers=len(data.contributor_ids))
    return Fit(project, data, state, estimator, counts)


def apply_fit(foundry: Foundry, fit: Fit) -> int:
    """The write half of ``refit``: skills (with the labels stored since the fit read its
    data), the class prior, records and item states. How many labels the fit saw."""
    project, data, state, estimator, counts = (fit.project, fit.data, fit.state,
                                               fit.estimator, fit.counts)
    now = foundry.now()
    with foundry.db.write() as conn:
        _write_skills(conn, project, data, estimator, counts, now)
    foundry.cache.forget(("prior", project.id))
    foundry.cache.forget(("crowd", project.id))
    crowd = quality.population_confusion(confusion_from_counts(counts))
    rows = sorted(state, key=lambda r: r.id)
    for start in range(0, len(rows), REFIT_CHUNK):
        with foundry.db.write() as conn:
            _write_records(conn, project, data, estimator, rows[start:start + REFIT_CHUNK], now,
                           crowd)
    return len(data.label)


REFIT_CHUNK = 500  # items per write transaction, so a refit never holds many locks for long


def _refit_whole_project(foundry: Foundry, conn: Connection, project: Project) -> int | None:
    """For primitives with a project-wide rule (grade's rater bias): re-aggregate every item
    and rewrite the records nobody answered since. ``None`` when the primitive has none."""
    rows = conn.execute(
        select(submissions.c.item_id, submissions.c.contributor_id, submissions.c.answer,
               items.c.data)
        .join(items, items.c.id == submissions.c.item_id)
        .where(submissions.c.project_id == project.id, submissions.c.counted,
               items.c.status != "gold")
        .order_by(submissions.c.id)
    ).all()
    votes_by_item: dict[int, tuple[dict, list[Vote]]] = {}
    for r in rows:
        votes_by_item.setdefault(r.item_id, (r.data, []))[1].append(
            Vote(contributor=r.contributor_id, answer=r.answer))
    outcomes = project.primitive.aggregate_project(project.settings, votes_by_item)
    if outcomes is None:
        return None
    now = foundry.now()
    updates = [{"item": key, "n": len(votes_by_item[key][1]), "answer": o.answer,
                "confidence": float(o.confidence), "method": o.method,
                "details": o.details or None, "now": now} for key, o in outcomes.items()]
    for start in range(0, len(updates), REFIT_CHUNK):
        chunk = updates[start:start + REFIT_CHUNK]
        with foundry.db.write() as write:
            submitting.lock_items(write, [u["item"] for u in chunk])
            write.execute(_REFIT_RECORD, chunk)
    return len(rows)


def _write_skills(conn, project, data: Labels, estimator, counts, now: float) -> None:
    _upsert_fit(conn, project.id, method_of(project), estimator.priors_.tolist(),
                len(data.label), now)
    gold_seen = np.zeros(len(data.contributor_ids), dtype=np.int64)
    gold_right = np.zeros(len(data.contributor_ids), dtype=np.int64)
    n_labels = np.bincount(data.worker, minlength=len(data.contributor_ids))
    for i, w, lab in zip(data.item, data.worker, data.label, strict=True):
        if int(i) in data.gold:
            gold_seen[w] += 1
            gold_right[w] += int(data.gold[int(i)] == lab)
    counts = counts.copy()
    _add_later_labels(conn, project, data, counts, n_labels, gold_seen, gold_right)
    conn.execute(_REPLACE_SKILLS, [
        {"project": project.id, "contributor": int(cid), "counts": counts[w].tolist(),
         "n_labels": int(n_labels[w]), "gold_seen": int(gold_seen[w]),
         "gold_correct": int(gold_right[w]), "now": now}
        for w, cid in enumerate(data.contributor_ids)
    ])


def _add_later_labels(conn, project, data: Labels, counts, n_labels, gold_seen,
                      gold_right) -> None:
    """Add the evidence of labels stored while the fit ran (the fit never saw them) to what
    is written back, as the submit that stored them did: without this, a refit would take
    back those labels' counts, gold answers and evidence until the next one."""
    position = {int(cid): w for w, cid in enumerate(data.contributor_ids)}
    names = project.primitive.class_names(project.settings)
    encode = project.primitive.encode
    for row in submitting.counted_after(conn, project.id, data.last_submission):
        w = position.get(row.contributor_id)
        if w is None:  # a newcomer: the submit's own evidence stands, the refit leaves it
            continue
        label = encode(project.settings, row.answer)
        n_labels[w] += 1
        if row.status == "gold" and row.gold_answer is not None:
            truth = encode(project.settings, row.gold_answer)
            gold_seen[w] += 1
            gold_right[w] += int(truth == label)
            counts[w, truth, label] += 1.0
            continue
        posterior = (row.details or {}).get("posterior") or {}
        counts[w, :, label] += np.array([posterior.get(n, 0.0) for n in names])


def _write_records(
    conn, project, data: Labels, estimator, rows, now: float, crowd: np.ndarray
) -> None:
    """Records and open/done states for a chunk of items, locked in id order first (the
    order a submit takes them), so a refit and the line never deadlock."""
    submitting.lock_items(conn, [row.id for row in rows])
    method, policy = method_of(project), project.policy
    per_item = np.bincount(data.item, minlength=len(data.item_ids))
    position = {int(item_id): n for n, item_id in enumerate(data.item_ids)}
    record_rows, state_rows = [], []
    for row in rows:
        n = position.get(row.id)
        if n is None:
            continue
        outcome = _outcome(project, estimator.probas_[n], method)
        record_rows.append({"item": row.id, "n": int(per_item[n]), "answer": outcome.answer,
                            "confidence": outcome.confidence, "method": method,
                            "details": outcome.details, "now": now})
        done = _finished(project, row.n_labels, outcome, lambda: crowd)
        if done != (row.status == "done"):
            state_rows.append({"item": row.id, "n_labels": row.n_labels,
                               "status": "done" if done else "open",
                               "wanted": 0 if done else policy.wanted(row.n_labels)})
    if record_rows:
        conn.execute(_REFIT_RECORD, record_rows)
    if state_rows:
        conn.execute(_REFIT_STATE, state_rows)
        finished = [r["item"] for r in state_rows if r["status"] == "done"]
        if finished:
            from datafab.services import webhooks

            webhooks.items_finished(conn, project, finished, now)


_REFIT_RECORD = text(
    "UPDATE records SET answer = :answer, confidence = :confidence, method = :method, "
    "details = :details, updated_at = :now WHERE item_id = :item AND n_submissions = :n "
    "AND method != 'review'"  # an audit's reviewed correction stands (services.curation)
).bindparams(bindparam("answer", type_=Json), bindparam("details", type_=Json))
# Only items nobody answered since the fit read them (n_labels unchanged) change state.
_REFIT_STATE = text(
    "UPDATE items SET status = :status, slots = CASE WHEN :wanted - n_labels - n_live > 0 "
    "THEN :wanted - n_labels - n_live ELSE 0 END WHERE id = :item AND n_labels = :n_labels "
    "AND status != 'gold'"
)


_UPSERT_FIT = text(
    "INSERT INTO project_fits (project_id, method, class_prior, n_labels, fitted_at) "
    "VALUES (:project, :method, :prior, :n, :now) ON CONFLICT (project_id) DO UPDATE SET "
    "method = excluded.method, class_prior = excluded.class_prior, "
    "n_labels = excluded.n_labels, fitted_at = excluded.fitted_at"
).bindparams(bindparam("prior", type_=Json))


def _upsert_fit(conn, project_id: int, method: str, prior: list[float], n: int,
                now: float) -> None:
    conn.execute(_UPSERT_FIT, {"project": project_id, "method": method, "prior": prior, "n": n,
                               "now": now})


# -- the summary a requester reads ----------------------------------------------------------

def summary(foundry: Foundry, organization: int, project_id: int) -> dict[str, Any]:
    """Agreement, per-contributor accuracy and skill, label spend, estimated record accuracy."""
    from datafab.services.site_keys import Pseudonyms

    anonymise = Pseudonyms(foundry)
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        data = load_labels(conn, project)
        sets = load_label_sets(conn, project) if data is None else None
        skills = {s.contributor_id: s for s in conn.execute(
            select(contributor_skills).where(contributor_skills.c.project_id == project.id)
        ).all()}
        per_contributor = submitting.labels_per_contributor(conn, project.id)
        fit = conn.execute(
            select(project_fits).where(project_fits.c.project_id == project.id)
        ).first()
        spend = conn.execute(text(
            "SELECT count(*), coalesce(avg(r.confidence), 0), "
            "coalesce(sum(CASE WHEN i.status = 'done' THEN 1 ELSE 0 END), 0) "
            "FROM records r JOIN items i ON i.id = r.item_id WHERE r.project_id = :p"
        ), {"p": project.id}).one()
        n_labels = conn.execute(text(
            "SELECT count(*) FROM submissions WHERE project_id = :p AND counted"
        ), {"p": project.id}).scalar_one()
    prior = np.asarray(fit.class_prior) if fit is not None else None
    if data is not None:
        consensus_share = _agreement_with_consensus(data)
        agreement = _agreement(data)
    elif sets is not None:
        consensus_share = _set_agreement_with_consensus(sets)
        agreement = _set_agreement(sets)
    else:
        consensus_share, agreement = {}, _NO_AGREEMENT
    contributors = []
    for contributor_id in sorted(set(skills) | set(per_contributor)):
        s = skills.get(contributor_id)
        seen, right = (s.gold_seen, s.gold_correct) if s is not None else (0, 0)
        low, high = quality.wilson_interval(right, seen)
        entry = {
            "contributor": anonymise(project.id, contributor_id),
            "labels": per_contributor.get(contributor_id, 0),
            "gold_seen": seen,
            "gold_correct": right,
            "gold_accuracy": right / seen if seen else None,
            "gold_accuracy_ci": [float(low), float(high)] if seen else None,
            "agreement_with_consensus": consensus_share.get(contributor_id),
            "skill": None,
        }
        if (s is not None and s.counts and prior is not None
                and np.shape(s.counts) == (len(prior), len(prior))):
            entry["skill"] = skill_from_confusion(confusion_from_counts(s.counts), prior)
        contributors.append(entry)
    records, mean_confidence, finished = spend
    return {
        "method": method_of(project),
        "fitted_at": fit.fitted_at if fit is not None else None,
        "labels": int(n_labels),
        "records": int(records),
        "finished_records": int(finished),
        "labels_per_record": n_labels / records if records else None,
        "estimated_accuracy": float(mean_confidence) if records else None,
        "agreement": agreement,
        "contributors": sorted(contributors, key=lambda c: -c["labels"]),
    }


_NO_AGREEMENT: dict[str, Any] = {"krippendorff_alpha": None, "fleiss_kappa": None,
                                 "cohen_kappa": None, "distance": None}


def _number(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _agreement(data: Labels) -> dict[str, Any]:
    """Krippendorff's alpha and Fleiss' kappa over every item labelled twice or more, and
    Cohen's kappa when exactly two contributors labelled the project (on the items both
    labelled)."""
    out = dict(_NO_AGREEMENT, distance="nominal")
    if len(data.label) < 2:
        return out
    out["krippendorff_alpha"] = _number(
        quality.krippendorff_alpha_from_labels(data.item, data.label))
    out["fleiss_kappa"] = _number(quality.fleiss_kappa(quality.category_counts(
        data.item, data.label, n_items=len(data.item_ids), n_classes=data.n_classes)))
    if len(data.contributor_ids) == 2:
        first = {int(i): int(lab) for i, w, lab in zip(data.item, data.worker, data.label,
                                                        strict=True) if w == 0}
        second = {int(i): int(lab) for i, w, lab in zip(data.item, data.worker, data.label,
                                                         strict=True) if w == 1}
        both = sorted(set(first) & set(second))
        if both:
            out["cohen_kappa"] = _number(quality.cohen_kappa(
                [first[i] for i in both], [second[i] for i in both],
                n_classes=data.n_classes))
    return out


@dataclass(frozen=True)
class LabelSets:
    """A multi-label project's answers: one label set per (item, contributor)."""

    item: np.ndarray
    worker: np.ndarray
    sets: list[frozenset]
    contributor_ids: np.ndarray


def load_label_sets(conn: Connection, project: Project) -> LabelSets | None:
    """Every counted answer of a multi-label classify project, as label sets."""
    if not getattr(project.settings, "multi_label", False):
        return None
    rows = conn.execute(
        select(submissions.c.item_id, submissions.c.contributor_id, submissions.c.answer)
        .join(items, items.c.id == submissions.c.item_id)
        .where(submissions.c.project_id == project.id, submissions.c.counted,
               items.c.status != "gold")
        .order_by(submissions.c.id)
    ).all()
    raw_items = np.array([r.item_id for r in rows], dtype=np.int64)
    raw_workers = np.array([r.contributor_id for r in rows], dtype=np.int64)
    _, item = np.unique(raw_items, return_inverse=True)
    contributor_ids, worker = np.unique(raw_workers, return_inverse=True)
    sets = [frozenset((r.answer or {}).get("labels") or ()) for r in rows]
    return LabelSets(item.astype(np.int64), worker.astype(np.int64), sets, contributor_ids)


def _set_agreement(data: LabelSets) -> dict[str, Any]:
    out = dict(_NO_AGREEMENT, distance="masi")
    if len(data.sets) > 1:
        out["krippendorff_alpha"] = _number(quality.krippendorff_alpha_sets(data.item,
                                                                            data.sets))
    return out


def _set_agreement_with_consensus(data: LabelSets) -> dict[int, float | None]:
    """Each contributor's mean MASI similarity to the item's consensus set (the labels more
    than half of its labellers chose, as the record is made), on items labelled twice or
    more."""
    if not data.sets:
        return {}
    n_items = int(data.item.max()) + 1
    per_item: list[list[frozenset]] = [[] for _ in range(n_items)]
    for i, s in zip(data.item.tolist(), data.sets, strict=True):
        per_item[i].append(s)
    consensus: list[frozenset | None] = []
    for answers in per_item:
        if len(answers) < 2:
            consensus.append(None)
            continue
        votes: dict[Any, int] = defaultdict(int)
        for s in answers:
            for label in s:
                votes[label] += 1
        consensus.append(frozenset(k for k, v in votes.items() if v > len(answers) / 2))
    share = quality.set_agreement(data.item, data.worker, data.sets, consensus,
                                  n_workers=len(data.contributor_ids))
    return {int(cid): _number(v) for cid, v in zip(data.contributor_ids, share, strict=True)}


def _agreement_with_consensus(data: Labels) -> dict[int, float | None]:
    if len(data.label) == 0:
        return {}
    consensus = quality.MajorityVote().fit(
        data.item, data.worker, data.label, n_items=len(data.item_ids),
        n_workers=len(data.contributor_ids), n_classes=data.n_classes,
    ).labels_
    share = quality.worker_agreement(data.item, data.worker, data.label, consensus,
                                     n_workers=len(data.contributor_ids))
    return {int(cid): (None if np.isnan(v) else float(v))
            for cid, v in zip(data.contributor_ids, share, strict=True)}
