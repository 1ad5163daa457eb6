"""Effort accounting: what each accepted record cost in people's labels and time and in
model calls and money, per project and over time (``GET /v1/projects/{id}/effort``).

People's effort counts every human submission, gold included (gold is effort too); records
are the project's finished items. Model usage is what the model workers reported with their
submissions and releases (``model_usage``). Per model contributor the report shows how its
answers were routed, its accuracy and calibration on gold (ECE), and its agreement with
people on the items people also did — the measure that a judge's vote must earn.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import numpy as np

from datafab.errors import InvalidInput
from datafab.foundry import Foundry
from datafab.primitives import object_edits
from datafab.quality.calibration import CONFIDENCE_BINS, ece_from_bins
from datafab.services.projects import Project, load_project
from datafab.store import effort as queries
from datafab.store import model_ledger
from datafab.store.handles import Connection

MIN_BUCKET, MAX_BUCKETS = 60, 1000

def effort(foundry: Foundry, organization: int, project_id: int, *,
           bucket_seconds: int = 86_400) -> dict[str, Any]:
    if not MIN_BUCKET <= bucket_seconds <= 366 * 86_400:
        raise InvalidInput(f"bucket: must be between {MIN_BUCKET} seconds and a year",
                           field="bucket")
    with foundry.db.read() as conn:
        project = load_project(conn, organization, project_id)
        people = queries.people(conn, project.id)
        records = queries.records(conn, project.id)
        routes = queries.routes(conn, project.id)
        usage = queries.usage(conn, project.id)
        drafted = queries.drafted(conn, project.id)
        alongside = queries.alongside(conn, project.id)
        models = _models(conn, project, routes, alongside)
        series = _series(conn, project.id, bucket_seconds)
    spent = {k: sum(getattr(u, k) for u in usage)
             for k in ("calls", "prompt_tokens", "completion_tokens", "cost", "seconds")}
    accepted = sum(r.n for r in routes if r.route == "accepted")
    return {
        "records": records,
        "auto_accepted": accepted,
        "people": {
            "labels": int(people.labels),
            "gold_labels": int(people.gold_labels),
            "seconds": float(people.seconds),
            "labels_per_record": people.labels / records if records else None,
            "seconds_per_record": float(people.seconds) / records if records else None,
        },
        "model": {
            "answers": sum(r.n for r in routes),
            **{k: (float(v) if k in ("cost", "seconds") else int(v)) for k, v in spent.items()},
            "by_outcome": {u.outcome: int(u.calls) for u in usage},
            "cost_per_record": float(spent["cost"]) / records if records else None,
        },
        "suggestions": _suggestions(project, drafted),
        "models": models,
        "series": series,
    }


def _suggestions(project: Project, rows) -> dict[str, Any]:
    """How often people kept the model's suggestion, and (write) how far they edited it."""
    shown = [r for r in rows if isinstance(r.draft, dict) and r.draft.get("source") == "model"]
    followed = sum(1 for r in shown if r.answer == r.draft.get("answer"))
    distances = [r.answer["edit_distance"] for r in rows
                 if isinstance(r.answer.get("edit_distance"), int)]
    seconds = [r.seconds_spent for r in rows if r.seconds_spent is not None]
    objects = ({"objects": object_edits.effort_counts(project.primitive_name, shown)}
               if project.primitive_name in object_edits.KINDS else {})
    return {
        **objects,
        "shown": len(shown),
        "followed": followed,
        "followed_share": followed / len(shown) if shown else None,
        "edited": len(distances),
        "mean_edit_distance": float(np.mean(distances)) if distances else None,
        "mean_seconds": float(np.mean(seconds)) if seconds else None,
    }


def _models(conn: Connection, project: Project, routes, alongside) -> list[dict[str, Any]]:
    by_model: dict[int, dict[str, Any]] = {}
    for r in routes:
        entry = by_model.setdefault(r.contributor_id, {
            "contributor_id": r.contributor_id, "name": r.name, "answers": 0,
            "routes": {"accepted": 0, "audit": 0, "people": 0},
        })
        entry["answers"] += r.n
        if r.route in entry["routes"]:
            entry["routes"][r.route] += r.n
    agreement = _agreement_with_people(project, alongside)
    for cid, entry in by_model.items():
        bins = model_ledger.calibration_bins(conn, project=project.id, contributor=cid)
        seen = np.zeros(CONFIDENCE_BINS)
        right = np.zeros(CONFIDENCE_BINS)
        total = np.zeros(CONFIDENCE_BINS)
        for b in bins:
            seen[b.bin], right[b.bin], total[b.bin] = b.seen, b.correct, b.confidence_sum
        n = int(seen.sum())
        entry["gold"] = {
            "seen": n,
            "correct": int(right.sum()),
            "accuracy": float(right.sum() / n) if n else None,
            "ece": ece_from_bins(seen, right, total) if n else None,
            "reliability": [
                {"bin": i, "seen": int(seen[i]), "accuracy": float(right[i] / seen[i]),
                 "mean_confidence": float(total[i] / seen[i])}
                for i in range(CONFIDENCE_BINS) if seen[i]
            ],
        }
        entry.update(agreement.get(cid, {"items_with_people": 0, "agreement_with_people": None}))
    return sorted(by_model.values(), key=lambda e: e["contributor_id"])


def _agreement_with_people(project: Project, rows) -> dict[int, dict[str, Any]]:
    """Per model: on items people also answered, the share where the model's answer is the
    people's most common answer (a tie for first counts fractionally)."""
    per_item: dict[int, list] = defaultdict(list)
    for r in rows:
        per_item[r.item_id].append(r)
    hits: dict[int, float] = defaultdict(float)
    items: dict[int, int] = defaultdict(int)
    for answers in per_item.values():
        people = Counter(_key(project, a.answer) for a in answers if a.kind == "human")
        if not people:
            continue
        top = max(people.values())
        winners = {k for k, v in people.items() if v == top}
        for a in answers:
            if a.kind == "model":
                items[a.contributor_id] += 1
                if _key(project, a.answer) in winners:
                    hits[a.contributor_id] += 1.0 / len(winners)
    return {cid: {"items_with_people": n, "agreement_with_people": hits[cid] / n}
            for cid, n in items.items()}


def _key(project: Project, answer: dict[str, Any]) -> Any:
    """What two answers must share to agree: the class for categorical answers, else the
    whole answer."""
    if project.primitive.class_names(project.settings) is not None:
        return project.primitive.encode(project.settings, answer)
    return repr(sorted(answer.items()))


def _series(conn: Connection, project_id: int, bucket: int) -> list[dict[str, Any]]:
    work = queries.work_series(conn, project_id, bucket)
    spend = queries.spend_series(conn, project_id, bucket)
    rows: dict[int, dict[str, Any]] = {}
    for w in work:
        rows[int(w.bucket)] = {"human_labels": int(w.human_labels),
                               "human_seconds": float(w.human_seconds),
                               "model_answers": int(w.model_answers),
                               "auto_accepted": int(w.auto_accepted)}
    empty = {"human_labels": 0, "human_seconds": 0.0, "model_answers": 0, "auto_accepted": 0}
    for u in spend:
        entry = rows.setdefault(int(u.bucket), dict(empty))
        entry.update(model_calls=int(u.calls), model_cost=float(u.cost))
    out = [{"start": b * bucket, "model_calls": 0, "model_cost": 0.0, **rows[b]}
           for b in sorted(rows)]
    return out[-MAX_BUCKETS:]
