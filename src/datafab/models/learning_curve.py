"""The built-in learner's learning curve: what a project's labels buy a model, measured
locally as they accumulate.

The project's final records people made (never those accepted on a model's own answer)
are read through the REST API in the order they were made (their first aggregation). A
fixed share of them, chosen by a hash of the item's external id (so the same items stay out
on every call), is held out as the test set, its records' labels the reference. At
``points`` checkpoints the learner (``TextClassifier``) is trained on the first ``n`` of
the others and scored on the held-out set; each checkpoint is set against the human hours
the project had taken when its last training record was made (people's submission seconds,
from the effort report, gold and held-out labels included: they were spent too). ``gain``
is the accuracy over the first checkpoint's; ``majority`` is what always answering the
commonest training label would score. Single-label classify projects; needs the
``learner`` extra.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from datafab.models.learner import TextClassifier, item_text
from datafab.sdk.client import Client

MAX_BUCKETS = 900  # the effort report keeps its last 1000 time buckets


@dataclass(frozen=True)
class CurvePoint:
    records: int  # training records the learner saw
    hours: float  # people's hours on the project when the last of them was made
    accuracy: float  # on the held-out records
    majority: float  # always the commonest training label, on the same records
    gain: float  # accuracy minus the first checkpoint's


def held_out(external_id: str, share: float) -> bool:
    digest = hashlib.sha256(external_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < share


def learning_curve(client: Client, project_id: int, *, points: int = 6,
                   holdout: float = 0.25, features: str = "tfidf") -> dict[str, Any]:
    """The learner's accuracy on held-out records against people's hours (see the module)."""
    if not 2 <= points <= 50:
        raise ValueError("points: between 2 and 50")
    if not 0.05 <= holdout <= 0.5:
        raise ValueError("holdout: between 0.05 and 0.5")
    rows = _labelled(client, project_id)
    return curve_of(project_id, rows, lambda bucket: client.effort(project_id, bucket=bucket),
                    points=points, holdout=holdout, features=features)


def curve_of(project_id: int, rows: list[dict[str, Any]],
             effort: Callable[[int], dict[str, Any]], *, points: int = 6,
             holdout: float = 0.25, features: str = "tfidf") -> dict[str, Any]:
    """The curve from the people-made final records as ``labelled_rows`` gives them and the
    project's effort report (``effort(bucket_seconds)``): the part :func:`learning_curve`
    and the dashboard share."""
    if not 2 <= points <= 50:
        raise ValueError("points: between 2 and 50")
    if not 0.05 <= holdout <= 0.5:
        raise ValueError("holdout: between 0.05 and 0.5")
    test = [r for r in rows if held_out(r["external_id"], holdout)]
    train = [r for r in rows if not held_out(r["external_id"], holdout)]
    if not test or len({r["label"] for r in train}) < 2:
        raise ValueError("records: too few labelled records to train and test on")
    hours_at = _hours(effort, [r["created_at"] for r in train])
    curve: list[CurvePoint] = []
    for n in _checkpoints(len(train), points):
        point = _measure(train[:n], test, hours_at[n - 1], features, curve)
        if point is not None:
            curve.append(point)
    return {"project_id": project_id, "train": len(train), "held_out": len(test),
            "points": [asdict(p) for p in curve]}


def _labelled(client: Client, project_id: int) -> list[dict[str, Any]]:
    return labelled_rows(client.records(project_id, final=True),
                         client.items(project_id, status="done"))


def labelled_rows(records_read: Iterable[dict[str, Any]],
                  items_read: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """(external_id, text, label, created_at) of the people-made final records (as the
    records API gives them) of the done items (as the items API gives them), in the order
    they were made (a refit moves ``updated_at``, never ``created_at``)."""
    records = [r for r in records_read
               if r["method"] != "model" and r["answer"] and "label" in r["answer"]]
    texts = {i["external_id"]: item_text(i["data"]) for i in items_read}
    records.sort(key=lambda r: (r["created_at"], r["id"]))
    return [{"external_id": r["external_id"], "text": texts[r["external_id"]],
             "label": str(r["answer"]["label"]), "created_at": float(r["created_at"])}
            for r in records if r["external_id"] in texts]


def _hours(effort: Callable[[int], dict[str, Any]], times: list[float]) -> list[float]:
    """People's hours on the project by each of these times (one effort bucket fine)."""
    if not times:
        return []
    span = max(times) - min(times)
    bucket = max(60, math.ceil(span / MAX_BUCKETS) + 1)
    series = effort(bucket)["series"]
    starts = np.array([s["start"] for s in series], dtype=float)
    seconds = np.cumsum([s["human_seconds"] for s in series])
    out = []
    for t in times:
        k = int(np.searchsorted(starts, t, side="right"))  # buckets starting by t
        out.append(float(seconds[k - 1]) / 3600 if k else 0.0)
    return out


def _checkpoints(n: int, points: int) -> list[int]:
    """``points`` training sizes spread from a tenth of the records (at least 4) to all."""
    first = min(n, max(4, n // 10))
    return sorted({int(round(x)) for x in np.linspace(first, n, points)})


def _measure(train: list[dict[str, Any]], test: list[dict[str, Any]], hours: float,
             features: str, curve: list[CurvePoint]) -> CurvePoint | None:
    labels = [r["label"] for r in train]
    try:
        model = TextClassifier(features=features).fit([r["text"] for r in train], labels)
    except ValueError:  # a label with a single record so far: no point yet
        return None
    assert model.classes_ is not None
    proba = model.predict_proba([r["text"] for r in test])
    truth = np.array([r["label"] for r in test])
    accuracy = float(np.mean(model.classes_[proba.argmax(1)] == truth))
    commonest = Counter(labels).most_common(1)[0][0]
    majority = float(np.mean(truth == commonest))
    gain = accuracy - curve[0].accuracy if curve else 0.0
    return CurvePoint(len(train), round(hours, 6), round(accuracy, 6), round(majority, 6),
                      round(gain, 6))
