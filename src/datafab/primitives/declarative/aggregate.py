"""Answers to one item combined field by field, each by the aggregation its definition names.

* choice — per item a weighted vote (one option: the option with the most weight, ties to
  the first listed; several options: each option kept when more than half the weight chose
  it); across the project (:func:`fit_choices`) the estimator the field names from
  ``quality.ESTIMATORS`` (Dawid–Skene, GLAD, MACE …), each option a yes/no question when
  several may be chosen;
* number, rating — ``median``, ``trimmed_mean`` (a tenth cut from each end) or ``mean``; the
  confidence is the share of the weight within a tenth of the field's range of the result;
* text — ``keep_all`` (every distinct text, first given first) or ``best_by_vote`` (the text
  most weight gave, compared without case and spacing);
* spans — ``span_vote``: a span is kept when more than half the weight marked it exactly;
* ranking, pair — ``bradley_terry`` over the pairs each answer implies;
* list over an item list — ``per_entry``: entry *i* of every answer aggregated field by
  field; a free list — ``keep_all``.

A field's confidence is ``None`` when it has none to give (``keep_all``); the record's
confidence is the least confident field's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from datafab import quality
from datafab.primitives.declarative.fields import AnswerField

TRIM = 0.1  # share cut from each end by trimmed_mean
BAND = 0.1  # share of a number field's range that counts as agreeing with the result


@dataclass(frozen=True)
class Given:
    """One contributor's value for one field."""

    contributor: int
    value: Any
    weight: float = 1.0


@dataclass(frozen=True)
class FieldOutcome:
    value: Any
    confidence: float | None
    details: dict[str, Any] = field(default_factory=dict)


def aggregate_fields(fields: Sequence[AnswerField], item: dict[str, Any],
                     answers: Sequence[Given]) -> dict[str, FieldOutcome]:
    """Every field's outcome from whole answers (``Given.value`` is an answer object)."""
    out = {}
    for f in fields:
        given = [Given(a.contributor, a.value[f.name], a.weight) for a in answers
                 if a.value.get(f.name) is not None]
        if given:
            out[f.name] = aggregate_field(f, item, given)
    return out


def aggregate_field(f: AnswerField, item: dict[str, Any],
                    given: Sequence[Given]) -> FieldOutcome:
    if f.type == "choice":
        return _multiple(f, given) if f.multiple else _single(f, given)
    if f.type in ("number", "rating"):
        return _number(f, given)
    if f.type == "text":
        return _text(f, given)
    if f.type == "spans":
        return _spans(given)
    if f.type == "ranking":
        return _ranking(len(item.get(f.over or "") or []), given)
    if f.type == "pair":
        return _pair(given)
    return _entries(f, item, given)


def least_confidence(outcomes: dict[str, FieldOutcome]) -> float:
    known = [o.confidence for o in outcomes.values() if o.confidence is not None]
    return min(known, default=1.0)


def _single(f: AnswerField, given: Sequence[Given]) -> FieldOutcome:
    weights = dict.fromkeys(f.options, 0.0)
    for g in given:
        weights[g.value] += g.weight
    total = sum(weights.values()) or 1.0
    winner = max(f.options, key=lambda o: weights[o])
    shares = {o: round(w / total, 6) for o, w in weights.items() if w}
    return FieldOutcome(winner, weights[winner] / total, {"method": "vote", "shares": shares})


def _multiple(f: AnswerField, given: Sequence[Given]) -> FieldOutcome:
    total = sum(g.weight for g in given) or 1.0
    share = {o: sum(g.weight for g in given if o in g.value) / total for o in f.options}
    chosen = [o for o in f.options if share[o] > 0.5]
    confidence = min(max(p, 1.0 - p) for p in share.values())
    return FieldOutcome(chosen, confidence, {"method": "vote",
                                             "shares": {o: round(p, 6) for o, p in share.items()
                                                        if p}})


def _number(f: AnswerField, given: Sequence[Given]) -> FieldOutcome:
    """Plain Python: an item has a handful of values, where NumPy's call costs dominate."""
    values = sorted(float(g.value) for g in given)
    n = len(values)
    if f.aggregation == "median":
        middle = n // 2
        result = values[middle] if n % 2 else (values[middle - 1] + values[middle]) / 2
    elif f.aggregation == "trimmed_mean":
        cut = int(n * TRIM)
        kept = values[cut:n - cut]
        result = sum(kept) / len(kept)
    else:
        result = sum(values) / n
    band = BAND * ((f.maximum or 0.0) - (f.minimum or 0.0)) + 1e-12
    total = sum(g.weight for g in given) or 1.0
    close = sum(g.weight for g in given if abs(float(g.value) - result) <= band)
    mean = sum(values) / n
    spread = (sum((v - mean) ** 2 for v in values) / n) ** 0.5
    value: float | int = round(result) if f.integer and f.aggregation == "median" \
        and result.is_integer() else round(result, 6)
    return FieldOutcome(value, close / total, {"method": f.aggregation,
                                               "spread": round(spread, 6)})


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _text(f: AnswerField, given: Sequence[Given]) -> FieldOutcome:
    if f.aggregation == "keep_all":
        kept: list[str] = []
        for g in given:
            if g.value not in kept:
                kept.append(g.value)
        return FieldOutcome(kept, None, {"method": "keep_all"})
    weight: dict[str, float] = {}
    first: dict[str, str] = {}
    for g in given:
        key = _normal(g.value)
        weight[key] = weight.get(key, 0.0) + g.weight
        first.setdefault(key, g.value)
    best = max(weight, key=lambda k: weight[k])  # first given on ties
    return FieldOutcome(first[best], weight[best] / (sum(weight.values()) or 1.0),
                        {"method": "best_by_vote", "distinct": len(weight)})


def _spans(given: Sequence[Given]) -> FieldOutcome:
    total = sum(g.weight for g in given) or 1.0
    mass: dict[tuple[int, int, str], float] = {}
    for g in given:
        for s in g.value:
            key = (s["start"], s["end"], s["label"])
            mass[key] = mass.get(key, 0.0) + g.weight
    shares = {k: m / total for k, m in mass.items()}
    kept = sorted(k for k, p in shares.items() if p > 0.5)
    return FieldOutcome(
        [{"start": s, "end": e, "label": lab} for s, e, lab in kept],
        min((max(p, 1.0 - p) for p in shares.values()), default=1.0),
        {"method": "span_vote",
         "shares": [[s, e, lab, round(p, 6)] for (s, e, lab), p in sorted(shares.items())]})


def _battles(given: Sequence[Given]) -> tuple[list[int], list[int], list[bool]]:
    win: list[int] = []
    lose: list[int] = []
    ties: list[bool] = []
    for g in given:
        order = g.value
        for i, a in enumerate(order):
            for b in order[i + 1:]:
                win.append(a)
                lose.append(b)
                ties.append(False)
    return win, lose, ties


def _ranking(n: int, given: Sequence[Given]) -> FieldOutcome:
    if n < 2:
        return FieldOutcome(list(range(n)), 1.0, {"method": "bradley_terry"})
    win, lose, ties = _battles(given)
    bt = quality.BradleyTerry().fit(np.array(win), np.array(lose), ties=np.array(ties),
                                    n_items=n)
    order = sorted(range(n), key=lambda i: (-bt.scores_[i], i))
    steps = [1.0 / (1.0 + np.exp(bt.scores_[b] - bt.scores_[a]))
             for a, b in zip(order, order[1:], strict=False)]
    return FieldOutcome(order, float(min(steps)),
                        {"method": "bradley_terry",
                         "scores": [round(float(s), 6) for s in bt.scores_]})


def _pair(given: Sequence[Given]) -> FieldOutcome:
    win = [0 if g.value in ("a", "tie") else 1 for g in given]
    lose = [1 - w for w in win]
    ties = [g.value == "tie" for g in given]
    bt = quality.BradleyTerry().fit(np.array(win), np.array(lose), ties=np.array(ties),
                                    n_items=2)
    p_a = float(1.0 / (1.0 + np.exp(bt.scores_[1] - bt.scores_[0])))
    tie_share = sum(g.weight for g in given if g.value == "tie") / \
        (sum(g.weight for g in given) or 1.0)
    if abs(p_a - 0.5) < 1e-6:
        return FieldOutcome("tie", tie_share, {"method": "bradley_terry", "p_a": 0.5})
    value = "a" if p_a > 0.5 else "b"
    return FieldOutcome(value, max(p_a, 1.0 - p_a),
                        {"method": "bradley_terry", "p_a": round(p_a, 6)})


def _entries(f: AnswerField, item: dict[str, Any], given: Sequence[Given]) -> FieldOutcome:
    if f.aggregation == "keep_all":
        kept: list[Any] = []
        for g in given:
            kept.extend(e for e in g.value if e not in kept)
        return FieldOutcome(kept, None, {"method": "keep_all"})
    n = len(item.get(f.over or "") or [])
    entries, confidences, details = [], [], []
    for i in range(n):
        at = [Given(g.contributor, g.value[i], g.weight) for g in given if len(g.value) > i]
        outcomes = aggregate_fields(f.fields, item, at)
        entries.append({k: o.value for k, o in outcomes.items()})
        confidences.append(least_confidence(outcomes))
        details.append({k: o.details for k, o in outcomes.items()})
    return FieldOutcome(entries, min(confidences, default=1.0),
                        {"method": "per_entry", "entries": details})


# -- across the project: the named estimator on each choice field ---------------------------

def fit_choices(f: AnswerField, answers: Mapping[Any, Sequence[Given]]) -> dict[Any, FieldOutcome]:
    """The field's outcome on every item, from the estimator it names fitted on every item's
    answers at once (item key → that item's values of the field)."""
    keys = [k for k, given in answers.items() if given]
    contributors = sorted({g.contributor for k in keys for g in answers[k]})
    index = {c: i for i, c in enumerate(contributors)}
    if not f.multiple:
        probas = _fit(f.aggregation, keys, answers, index,
                      lambda v: f.options.index(v), len(f.options))
        out = {}
        for k, p in zip(keys, probas, strict=True):
            best = int(np.argmax(p))
            out[k] = FieldOutcome(f.options[best], float(p[best]),
                                  {"method": f.aggregation,
                                   "posterior": {o: round(float(q), 6)
                                                 for o, q in zip(f.options, p, strict=True)}})
        return out
    per_option = {o: _fit(f.aggregation, keys, answers, index, lambda v, o=o: int(o in v), 2)
                  for o in f.options}
    out = {}
    for n, k in enumerate(keys):
        yes = {o: float(per_option[o][n][1]) for o in f.options}
        out[k] = FieldOutcome([o for o in f.options if yes[o] > 0.5],
                              min(max(p, 1.0 - p) for p in yes.values()),
                              {"method": f.aggregation,
                               "shares": {o: round(p, 6) for o, p in yes.items()}})
    return out


def _fit(method: str, keys: list[Any], answers: Mapping[Any, Sequence[Given]],
         index: dict[int, int], code: Any, k: int) -> np.ndarray:
    item, worker, label = [], [], []
    for n, key in enumerate(keys):
        for g in answers[key]:
            item.append(n)
            worker.append(index[g.contributor])
            label.append(code(g.value))
    estimator = quality.ESTIMATORS[method]().fit(
        np.array(item), np.array(worker), np.array(label), n_items=len(keys),
        n_workers=len(index), n_classes=k)
    return np.asarray(estimator.probas_)
