"""``grade``: the contributor scores a response against a rubric of weighted criteria, each on
an integer scale, with a short justification.

The rubric comes from the item (``rubric``) or, when the item has none, from the project
settings; a criterion is ``{"id", "description", "weight" > 0, "min", "max"}``. An answer
gives ``scores`` for every criterion of the rubric (integers within its scale) and, optionally
(required with ``require_justification``), ``justifications`` per criterion.

Aggregation, in two layers:

* per item, as answers arrive: each criterion's score is the ``Vote.weight``-weighted mean;
  ``method = "weighted_mean"``.
* rater-bias correction needs every rater's answers across the project, so it is a project-
  wide pass: :class:`RaterBias` fits ``score[r, i, c] = mean[i, c] + bias[r, c] + noise`` by
  alternating least squares, with a ridge penalty that shrinks a rater with few answers
  towards zero bias, and the raters' biases centred (count-weighted) on zero per criterion.
  :meth:`Grade.rater_biases` runs it over the votes of many items; the services layer then
  re-aggregates each item with ``aggregate(..., bias=biases)``, which subtracts each rater's
  bias before the weighted mean (clipped to the scale); ``method = "bias_corrected_mean"``.

The record's answer holds per-criterion ``scores``, the weighted ``total`` (Σ weight · score /
Σ weight, on the raw scale), ``total_normalised`` (the same over scores rescaled to [0, 1],
comparable across scales) and ``n_raters``. ``confidence`` is one minus the mean, over
criteria, of the weighted standard deviation of the (corrected) scores divided by half the
scale's range: 1.0 for one rater or full agreement, 0 for raters split between the ends.

Exports: ``grades`` (prompt, response, rubric, scores, totals, raters) and ``records``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pydantic import Field, StrictInt, model_validator

from datafab.errors import InvalidInput
from datafab.primitives.base import Outcome, Primitive, RecordView, Schema, Vote
from datafab.primitives.messages import Prompt, Reply, copy_messages

MAX_CRITERIA = 100


class Criterion(Schema):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    description: str = Field(default="", max_length=10_000)
    weight: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    min: StrictInt = 1
    max: StrictInt = 5

    @model_validator(mode="after")
    def _scale(self) -> Criterion:
        if self.max <= self.min:
            raise ValueError(f"max ({self.max}) must be greater than min ({self.min})")
        return self


Rubric = list[Criterion]


def _check_rubric(rubric: list[Criterion], field: str) -> None:
    seen: set[str] = set()
    for k, criterion in enumerate(rubric):
        if criterion.id in seen:
            raise InvalidInput(f"{field}.{k}.id: criterion {criterion.id!r} is listed twice",
                               field=f"{field}.{k}.id")
        seen.add(criterion.id)


class GradeSettings(Schema):
    rubric: list[Criterion] | None = Field(default=None, min_length=1, max_length=MAX_CRITERIA)
    require_justification: bool = False


class GradeItem(Schema):
    prompt: Prompt
    response: Reply
    rubric: list[Criterion] | None = Field(default=None, min_length=1, max_length=MAX_CRITERIA)
    meta: dict[str, Any] | None = None


class GradeAnswer(Schema):
    scores: dict[str, StrictInt]
    justifications: dict[str, str] | None = None


class Grade(Primitive[GradeSettings, GradeItem, GradeAnswer]):
    name = "grade"
    settings_model = GradeSettings
    item_model = GradeItem
    answer_model = GradeAnswer
    export_formats = ("grades", "records")

    def parse_settings(self, raw: dict[str, Any] | None) -> GradeSettings:
        settings = super().parse_settings(raw)
        if settings.rubric is not None:
            _check_rubric(settings.rubric, "settings.rubric")
        return settings

    def check_item(self, settings: GradeSettings, item: GradeItem, prefix: str) -> None:
        if item.rubric is None:
            if settings.rubric is None:
                raise InvalidInput(
                    f"{prefix}.rubric: this project has no rubric in its settings, so every "
                    "item needs one",
                    field=f"{prefix}.rubric",
                )
            return
        _check_rubric(item.rubric, f"{prefix}.rubric")

    def rubric(self, settings: GradeSettings, item: dict[str, Any]) -> list[dict[str, Any]]:
        """The criteria that apply to ``item`` (its own rubric, else the project's)."""
        if item.get("rubric"):
            own: list[dict[str, Any]] = item["rubric"]
            return own
        return [c.model_dump(mode="json") for c in settings.rubric or []]

    def check_answer(
        self, settings: GradeSettings, item: dict[str, Any], answer: GradeAnswer, prefix: str
    ) -> None:
        rubric = {c["id"]: c for c in self.rubric(settings, item)}
        for cid, score in answer.scores.items():
            field = f"{prefix}.scores.{cid}"
            if cid not in rubric:
                raise InvalidInput(f"{field}: no criterion {cid!r} in the rubric "
                                   f"({', '.join(rubric)})", field=field)
            low, high = rubric[cid]["min"], rubric[cid]["max"]
            if not low <= score <= high:
                raise InvalidInput(f"{field}: {score} is outside the scale {low}..{high}",
                                   field=field)
        for cid in rubric:
            if cid not in answer.scores:
                field = f"{prefix}.scores.{cid}"
                raise InvalidInput(f"{field}: every criterion needs a score", field=field)
        for cid in answer.justifications or {}:
            if cid not in rubric:
                field = f"{prefix}.justifications.{cid}"
                raise InvalidInput(f"{field}: no criterion {cid!r} in the rubric", field=field)
        if settings.require_justification:
            for cid in rubric:
                if not (answer.justifications or {}).get(cid, "").strip():
                    field = f"{prefix}.justifications.{cid}"
                    raise InvalidInput(f"{field}: justify the score", field=field)

    def aggregate(
        self, settings: GradeSettings, item: dict[str, Any], votes: Sequence[Vote], *,
        bias: Mapping[int, Mapping[str, float]] | None = None,
    ) -> Outcome:
        """Weighted mean per criterion; with ``bias`` (contributor → criterion → additive
        bias, from :meth:`rater_biases`) each rater's scores are corrected first."""
        method = "weighted_mean" if bias is None else "bias_corrected_mean"
        if not votes:
            return Outcome(answer=None, confidence=0.0, method=method)
        rubric = self.rubric(settings, item)
        weights = np.array([v.weight for v in votes], dtype=float)
        if weights.sum() <= 0:
            weights = np.ones(len(votes))
        scores: dict[str, float] = {}
        spreads = []
        for criterion in rubric:
            cid, low, high = criterion["id"], criterion["min"], criterion["max"]
            given = np.array([
                v.answer["scores"][cid] - ((bias or {}).get(v.contributor) or {}).get(cid, 0.0)
                for v in votes
            ], dtype=float)
            given = np.clip(given, low, high)
            mean = float(np.average(given, weights=weights))
            std = float(np.sqrt(np.average((given - mean) ** 2, weights=weights)))
            scores[cid] = round(mean, 6)
            spreads.append(std / ((high - low) / 2))
        answer = {"scores": scores, **totals(rubric, scores), "n_raters": len(votes)}
        justifications = {
            c["id"]: [v.answer["justifications"][c["id"]] for v in votes
                      if (v.answer.get("justifications") or {}).get(c["id"])]
            for c in rubric
        }
        justifications = {k: v for k, v in justifications.items() if v}
        if justifications:
            answer["justifications"] = justifications
        return Outcome(
            answer=answer,
            confidence=float(np.clip(1.0 - np.mean(spreads), 0.0, 1.0)) if spreads else 0.0,
            method=method,
        )

    def aggregate_project(
        self, settings: GradeSettings,
        votes_by_item: Mapping[Any, tuple[dict[str, Any], Sequence[Vote]]],
    ) -> dict[Any, Outcome] | None:
        """Every item's mean with each rater's bias (fitted over the whole project) removed."""
        if not votes_by_item:
            return {}
        bias = self.rater_biases(settings, votes_by_item)
        return {key: self.aggregate(settings, item, votes, bias=bias)
                for key, (item, votes) in votes_by_item.items()}

    def rater_biases(
        self, settings: GradeSettings,
        votes_by_item: Mapping[Any, tuple[dict[str, Any], Sequence[Vote]]],
        *, l2: float = 1.0,
    ) -> dict[int, dict[str, float]]:
        """Contributor → criterion id → additive bias, fitted over ``votes_by_item``
        (item key → (item data, votes)) with :class:`RaterBias`. Criteria are matched by id
        across items."""
        raters: dict[int, int] = {}
        criteria: dict[str, int] = {}
        rows: list[tuple[int, int, int, float]] = []
        for n, (item, votes) in enumerate(votes_by_item.values()):
            for criterion in self.rubric(settings, item):
                c = criteria.setdefault(criterion["id"], len(criteria))
                for vote in votes:
                    r = raters.setdefault(vote.contributor, len(raters))
                    rows.append((r, n, c, float(vote.answer["scores"][criterion["id"]])))
        if not rows:
            return {}
        r_, i_, c_, s_ = (np.array(col) for col in zip(*rows, strict=True))
        fit = RaterBias(l2=l2).fit(
            r_, i_, c_, s_, n_raters=len(raters), n_items=len(votes_by_item),
            n_criteria=len(criteria),
        )
        names = list(criteria)
        return {
            contributor: {names[c]: float(fit.bias_[r, c]) for c in range(len(names))}
            for contributor, r in raters.items()
        }

    def export_row(
        self, fmt: str, settings: GradeSettings, record: RecordView
    ) -> dict[str, Any] | None:
        if fmt == "records":
            return {"item": record.item, **(record.answer or {}), **record.lineage()}
        if fmt != "grades":
            raise InvalidInput(f"grade exports grades, records, not {fmt!r}", field="format")
        answer = record.answer
        if not answer:
            return None
        return {
            "prompt": copy_messages(record.item["prompt"]),
            "response": copy_messages(record.item["response"]),
            "rubric": [dict(c) for c in self.rubric(settings, record.item)],
            "scores": dict(answer["scores"]),
            "total": answer["total"],
            "total_normalised": answer["total_normalised"],
            "n_raters": answer.get("n_raters", record.n_submissions),
            **record.lineage(),
        }


def totals(rubric: list[dict[str, Any]], scores: Mapping[str, float]) -> dict[str, float]:
    """The weighted total on the raw scale and on [0, 1]."""
    weight = sum(c["weight"] for c in rubric)
    raw = sum(c["weight"] * scores[c["id"]] for c in rubric) / weight
    unit = sum(
        c["weight"] * (scores[c["id"]] - c["min"]) / (c["max"] - c["min"]) for c in rubric
    ) / weight
    return {"total": round(raw, 6), "total_normalised": round(unit, 6)}


class RaterBias:
    r"""Additive rater bias per criterion, by alternating least squares.

    Model: ``score = mean[item, criterion] + bias[rater, criterion] + ε``. Each round sets
    ``mean`` to the average of ``score - bias`` over the item's raters, then
    ``bias[r, c] = Σ (score - mean) / (n[r, c] + l2)`` — the ridge term ``l2`` (in pseudo-
    answers) shrinks a rater seen on few items towards zero — then centres the biases of each
    criterion on zero (weighted by how often each rater scored it) and moves the means by the
    same amount, so the means stay on the raters' average scale. Stops when no value moves by
    more than ``tol``. Inputs are integer codes and float scores, one row per score.
    ``fit`` returns ``self`` with ``bias_`` (n_raters, n_criteria) and ``means_`` (n_items,
    n_criteria; NaN where an item has no score for a criterion).
    """

    def __init__(self, l2: float = 1.0, max_iter: int = 200, tol: float = 1e-9) -> None:
        if not l2 >= 0:
            raise ValueError(f"l2 must be non-negative, got {l2!r}")
        self.l2, self.max_iter, self.tol = float(l2), int(max_iter), float(tol)

    def fit(self, rater: Any, item: Any, criterion: Any, score: Any, *, n_raters: int, n_items: int,
            n_criteria: int) -> RaterBias:
        r, i, c = (np.asarray(a, dtype=np.int64) for a in (rater, item, criterion))
        s = np.asarray(score, dtype=float)
        if not r.shape == i.shape == c.shape == s.shape or r.ndim != 1:
            raise ValueError("rater, item, criterion and score must be 1-D and of equal length")
        rc = r * n_criteria + c
        ic = i * n_criteria + c
        n_rc = np.bincount(rc, minlength=n_raters * n_criteria).astype(float)
        n_ic = np.bincount(ic, minlength=n_items * n_criteria).astype(float)
        bias = np.zeros(n_raters * n_criteria)
        means = np.zeros(n_items * n_criteria)
        with np.errstate(invalid="ignore", divide="ignore"):
            for _ in range(self.max_iter):
                new_means = np.bincount(ic, s - bias[rc], n_items * n_criteria) / n_ic
                new_bias = np.bincount(rc, s - new_means[ic], n_raters * n_criteria) / (
                    n_rc + self.l2
                )
                new_bias = np.where(n_rc > 0, new_bias, 0.0)
                per_c = new_bias.reshape(n_raters, n_criteria)
                counts = n_rc.reshape(n_raters, n_criteria)
                shift = (per_c * counts).sum(axis=0) / np.maximum(counts.sum(axis=0), 1)
                per_c -= np.where(counts > 0, shift, 0.0)
                new_means = (new_means.reshape(n_items, n_criteria) + shift).ravel()
                moved = max(
                    float(np.nanmax(np.abs(new_means - means), initial=0.0)),
                    float(np.abs(per_c.ravel() - bias).max(initial=0.0)),
                )
                bias, means = per_c.ravel(), new_means
                if moved < self.tol:
                    break
        self.bias_ = bias.reshape(n_raters, n_criteria)
        self.means_ = means.reshape(n_items, n_criteria)
        return self


GRADE = Grade()
