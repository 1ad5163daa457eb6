"""What a requester's dashboard reads: projects with progress and spend, throughput over time,
the confidence of records, a confusion matrix, the cost/quality curve, and a records browser
with the submissions behind each record. Everything is scoped to one organization (another
organization's project is not found)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from datafab import quality as engine
from datafab.errors import InvalidInput, NotFound
from datafab.foundry import Foundry
from datafab.primitives import Vote
from datafab.quality.counts import confusion_from_counts
from datafab.services.pagination import check_limit, decode_cursor, encode_cursor
from datafab.services.projects import Project, load_project
from datafab.services.quality import is_model_based
from datafab.services.site_keys import Pseudonyms
from datafab.store import dashboard as queries

CURVE_SAMPLE = 1000  # items the cost/quality curve replays (the latest records)
HISTOGRAM_BINS = 10


@dataclass(frozen=True)
class ProjectRow:
    project: Project
    items: int
    done: int
    open: int
    gold: int
    labels: int

    @property
    def share_done(self) -> float:
        return self.done / self.items if self.items else 0.0


def overview(foundry: Foundry, organization: int) -> list[ProjectRow]:
    """Every project of the organization with items by status and labels spent."""
    with foundry.db.read() as conn:
        rows = queries.project_ids(conn, organization)
        found = [load_project(conn, organization, pid) for pid in rows]
        counts = queries.items_by_status(conn, rows) if rows else []
        labels = queries.counted_labels(conn, rows) if rows else {}
    by_project: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for pid, status, n in counts:
        by_project[pid][status] += n
    out = []
    for project in found:
        c = by_project[project.id]
        total = sum(n for status, n in c.items() if status != "gold")  # open, model stage, done
        out.append(ProjectRow(project, total, c["done"], total - c["done"], c["gold"],
                              int(labels.get(project.id, 0))))
    return out


def project_row(foundry: Foundry, organization: int, project_id: int) -> ProjectRow:
    for row in overview(foundry, organization):
        if row.project.id == project_id:
            return row
    raise NotFound(f"project {project_id} not found", field="project_id")


@dataclass(frozen=True)
class Series:
    """Counts per time bucket: ``start`` of the first bucket, ``width`` in seconds."""

    start: float
    width: float
    counts: list[int]


def throughput(foundry: Foundry, organization: int, project_id: int,
               buckets: int = 24) -> Series:
    """Labels per time bucket, from the first label to now."""
    now = foundry.now()
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        first = queries.first_label_at(conn, project.id)
        if first is None:
            return Series(now - 3600, 3600 / buckets, [0] * buckets)
        width = max((now - first) / buckets, 60.0)
        start = now - width * buckets
        rows = queries.labels_per_bucket(conn, project.id, start, width)
    counts = [0] * buckets
    for b, n in rows:
        counts[min(max(int(b), 0), buckets - 1)] += n
    return Series(start, width, counts)


def confidence_histogram(foundry: Foundry, organization: int, project_id: int,
                         bins: int = HISTOGRAM_BINS) -> list[int]:
    """How many records fall in each confidence bin [0, 0.1), … [0.9, 1.0]."""
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        rows = queries.records_per_bin(conn, project.id, bins)
    counts = [0] * bins
    for k, n in rows:
        counts[min(max(int(k), 0), bins - 1)] += n
    return counts


def confusion(foundry: Foundry, organization: int,
              project_id: int) -> tuple[list[str], list[list[int]]] | None:
    """For categorical projects: rows are the records' answers, columns the labels
    contributors gave on those items (counted submissions). ``None`` otherwise."""
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        names = project.primitive.class_names(project.settings)
        if names is None:
            return None
        rows = queries.records_and_given(conn, project.id)
    k = len(names)
    matrix = [[0] * k for _ in range(k)]
    encode = project.primitive.encode
    for consensus, given in rows:
        if consensus is None:
            continue
        matrix[encode(project.settings, consensus)][encode(project.settings, given)] += 1
    return names, matrix


def cost_quality_curve(foundry: Foundry, organization: int,
                       project_id: int) -> list[tuple[float, float]]:
    """(labels spent, estimated accuracy) had every item stopped at 1, 2, … labels: the
    latest records' votes replayed in the order they came, each prefix aggregated the way
    the project aggregates (the posterior under the current contributor skills for
    model-based methods, the primitive's own rule otherwise). Estimated accuracy is the mean
    confidence; labels are scaled from the sample to every record."""
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        n_records = queries.record_count(conn, project.id)
        sample = queries.latest_records(conn, project.id, CURVE_SAMPLE)
        if not sample:
            return []
        ids = [r.item_id for r in sample]
        votes: dict[int, list[Vote]] = defaultdict(list)
        for r in queries.counted_votes(conn, ids):
            votes[r.item_id].append(Vote(r.contributor_id, r.answer))
        scorer = _scorer(conn, project)
    data = {r.item_id: r.data for r in sample}
    depth = max((len(v) for v in votes.values()), default=0)
    scale = n_records / len(sample)
    curve = []
    for k in range(1, depth + 1):
        spent, confidence = 0, []
        for item_id, item_votes in votes.items():
            prefix = item_votes[:k]
            spent += len(prefix)
            confidence.append(scorer(data[item_id], prefix))
        curve.append((spent * scale, float(np.mean(confidence))))
    return curve


def _scorer(conn, project: Project):
    """A function (item data, votes) -> confidence, as the project aggregates."""
    if not is_model_based(project):
        return lambda data, votes: project.primitive.aggregate(
            project.settings, data, votes).confidence
    names = project.primitive.classes(project.settings)
    k = len(names)
    prior = queries.class_prior(conn, project.id)
    prior = np.asarray(prior) if prior is not None and len(prior) == k else np.full(k, 1.0 / k)
    skills = queries.skill_counts(conn, project.id)
    index = {}
    counts: list[Any] = []
    for cid, stored in skills:
        if stored and np.shape(stored) == (k, k):
            index[cid] = len(counts)
            counts.append(stored)
    confusions = confusion_from_counts(np.array(counts)) if counts else np.zeros((0, k, k))

    def score(data, votes):
        labels = np.array([project.primitive.encode(project.settings, v.answer) for v in votes])
        workers = np.array([index.get(v.contributor, -1) for v in votes])
        return float(np.max(engine.item_posterior(labels, workers, confusions, prior)))

    return score


# -- records -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RecordFilter:
    min_confidence: float | None = None
    max_confidence: float | None = None
    disagreement: bool = False
    status: str | None = None  # "done", "open" or None for both

    def check(self) -> None:
        for name in ("min_confidence", "max_confidence"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise InvalidInput(f"{name}: between 0 and 1, e.g. 0.8", field=name)
        if (self.min_confidence is not None and self.max_confidence is not None
                and self.min_confidence > self.max_confidence):
            raise InvalidInput("max_confidence: must not be below the minimum",
                               field="max_confidence")
        if self.status not in (None, "done", "open"):
            raise InvalidInput("status: 'done', 'open' or empty", field="status")


def browse_records(foundry: Foundry, organization: int, project_id: int, chosen: RecordFilter,
                   *, cursor: str | None = None,
                   limit: int = 50) -> tuple[list[dict[str, Any]], str | None]:
    """Records matching the filter, oldest first, a page at a time. "Disagreement": the
    counted submissions behind the record do not all give the same answer."""
    chosen.check()
    after, limit = decode_cursor(cursor), check_limit(limit)
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        rows = queries.records_page(
            conn, project.id, after=after, limit=limit + 1,
            min_confidence=chosen.min_confidence, max_confidence=chosen.max_confidence,
            status=chosen.status, disagreement=chosen.disagreement)
    page = [{
        "id": r.id, "item_id": r.item_id, "external_id": r.external_id, "answer": r.answer,
        "confidence": r.confidence, "method": r.method, "n_submissions": r.n_submissions,
        "final": r.item_status == "done", "data": r.data,
    } for r in rows[:limit]]
    return page, encode_cursor(page[-1]["id"]) if len(rows) > limit else None


def record_detail(foundry: Foundry, organization: int, project_id: int,
                  record_id: int) -> dict[str, Any]:
    """A record, its item, and the submissions behind it (contributors pseudonymised)."""
    pseudonym = Pseudonyms(foundry)
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        row = queries.record_with_item(conn, project.id, record_id)
        if row is None:
            raise NotFound(f"record {record_id} not found", field="record_id")
        behind = queries.submissions_behind(conn, row.item_id)
    return {
        "id": row.id, "item_id": row.item_id, "external_id": row.external_id, "data": row.data,
        "answer": row.answer, "confidence": row.confidence, "method": row.method,
        "details": row.details, "final": row.item_status == "done",
        "submissions": [{
            "contributor": pseudonym(project.id, s.contributor_id), "answer": s.answer,
            "seconds_spent": s.seconds_spent, "created_at": s.created_at,
            "guideline_version": s.guideline_version, "counted": s.counted,
        } for s in behind],
    }


def model_work(foundry: Foundry, organization: int, project_id: int) -> dict[str, Any] | None:
    """What models did in a project, for its dashboard page: records a model's answer
    finished alone (auto-accepted), the models' share of all answers, what their calls
    cost (in total and per record), and each model's answers by route. ``None`` when no
    model has answered or reported usage here."""
    from datafab.services import effort  # the effort report holds these figures

    report = effort.effort(foundry, organization, project_id)
    model, people = report["model"], report["people"]
    if not model["answers"] and not model["calls"]:
        return None
    answers = model["answers"] + people["labels"]
    records_ = report["records"]
    return {
        "auto_accepted": report["auto_accepted"],
        "records": records_,
        "auto_share": report["auto_accepted"] / records_ if records_ else None,
        "model_answers": model["answers"],
        "people_answers": people["labels"],
        "model_share": model["answers"] / answers if answers else None,
        "calls": model["calls"],
        "tokens": model["prompt_tokens"] + model["completion_tokens"],
        "cost": model["cost"],
        "cost_per_record": model["cost_per_record"],
        "models": [{"name": m["name"], "answers": m["answers"], "routes": m["routes"]}
                   for m in report["models"]],
    }
