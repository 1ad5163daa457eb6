"""Leaderboard maths: mean scores with paired bootstrap intervals, Bradley–Terry ratings with
bootstrap intervals, ranks that tie where intervals overlap, and judge/people agreement.

Plain arrays in, plain arrays out; nothing here knows about eval sets or the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._inputs import as_codes, count
from .bradley_terry import BradleyTerry


@dataclass(frozen=True)
class Board:
    """One figure per model: ``estimate`` with its ``[lo, hi]`` interval, ``n`` judgments
    behind it, and ``rank`` (1 + the number of models whose interval lies wholly above)."""

    estimate: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    n: np.ndarray
    rank: np.ndarray


def tied_ranks(lo: Any, hi: Any) -> np.ndarray:
    """Rank of each model: 1 + how many models are better beyond doubt (their lower bound
    above this model's upper bound). Models whose intervals overlap share a rank, as the
    Chatbot Arena leaderboard shows them."""
    lo_, hi_ = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    if lo_.shape != hi_.shape or lo_.ndim != 1:
        raise ValueError("lo and hi must be 1-D arrays of equal length")
    result: np.ndarray = 1 + (lo_[None, :] > hi_[:, None]).sum(axis=1)
    return result


def mean_scores(
    model: Any,
    item: Any,
    score: Any,
    *,
    n_models: int | None = None,
    n_items: int | None = None,
    n_rounds: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> Board:
    """Each model's mean score over the items it answered, with a percentile bootstrap
    interval that resamples *items* (paired: one draw serves every model, so two models
    scored on the same hard items move together, as they should).

    ``model``, ``item``: integer codes; ``score``: floats (typically in [0, 1]). A repeated
    (model, item) pair is averaged first. A model without scores gets NaN."""
    m = as_codes(model, "model")
    i = as_codes(item, "item")
    s = np.asarray(score, dtype=float)
    if not (m.size == i.size == s.size):
        raise ValueError(f"model, item and score must have equal lengths, got {m.size}, "
                         f"{i.size}, {s.size}")
    if not np.all(np.isfinite(s)):
        raise ValueError("score must be finite numbers")
    if n_rounds < 1:
        raise ValueError(f"n_rounds must be a positive integer, got {n_rounds!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    k = count(n_models, m, "n_models", "model")
    n = count(n_items, i, "n_items", "item")
    sums = np.zeros((n, k))
    hits = np.zeros((n, k))
    np.add.at(sums, (i, m), s)
    np.add.at(hits, (i, m), 1.0)
    seen = hits > 0
    cell = np.divide(sums, hits, out=np.zeros_like(sums), where=seen)  # per (item, model) mean
    mask = seen.astype(float)
    judged = mask.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = cell.sum(axis=0) / judged
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, np.full(n, 1.0 / n), size=n_rounds).astype(float) if n else \
        np.zeros((n_rounds, 0))
    with np.errstate(invalid="ignore", divide="ignore"):
        boot = (draws @ cell) / (draws @ mask)
    lo_q, hi_q = (1 - level) / 2 * 100, (1 + level) / 2 * 100
    lo = np.full(k, np.nan)
    hi = np.full(k, np.nan)
    for j in range(k):
        column = boot[:, j]
        column = column[np.isfinite(column)]
        if judged[j] and column.size:
            lo[j], hi[j] = np.percentile(column, [lo_q, hi_q])
    rank = tied_ranks(np.nan_to_num(lo, nan=-np.inf), np.nan_to_num(hi, nan=-np.inf))
    return Board(estimate, lo, hi, hits.sum(axis=0).astype(int), rank)


def bradley_terry_board(
    winner: Any,
    loser: Any,
    *,
    ties: Any = None,
    n_models: int | None = None,
    n_rounds: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    anchor: float = 1000.0,
    prior_ties: int = 1,
) -> Board:
    """Elo-scale Bradley–Terry ratings from battles with bootstrap intervals over battles
    (the Chatbot Arena method; see :class:`~datafab.quality.BradleyTerry`). ``n`` counts the
    battles each model fought.

    Regularised: every pair of models that met gets ``prior_ties`` virtual ties, which are
    resampled with the real battles. Without them a one-sided record (A won every battle
    with B) resamples to itself every round, and the interval collapses to a point — as if
    25 wins out of 25 proved an exact rating gap; with them the gap is finite and its
    interval says how little the battles pin it down. On thousands of battles per pair the
    prior moves ratings by well under one Elo point. ``prior_ties=0`` is the plain fit."""
    w = as_codes(winner, "winner")
    lose = as_codes(loser, "loser")
    if prior_ties < 0:
        raise ValueError(f"prior_ties must be >= 0, got {prior_ties!r}")
    tie = np.zeros(w.size, dtype=bool) if ties is None else np.asarray(ties)
    fit_w, fit_l, fit_t = w, lose, tie
    if prior_ties and w.size and w.size == lose.size and tie.shape == w.shape:
        pairs = np.unique(np.stack([np.minimum(w, lose), np.maximum(w, lose)], axis=1),
                          axis=0)
        pairs = pairs[pairs[:, 0] != pairs[:, 1]]
        extra = np.repeat(pairs, prior_ties, axis=0)
        fit_w = np.concatenate([w, extra[:, 0]])
        fit_l = np.concatenate([lose, extra[:, 1]])
        fit_t = np.concatenate([tie.astype(bool), np.ones(len(extra), dtype=bool)])
    bt = BradleyTerry(anchor=anchor).fit(fit_w, fit_l, ties=fit_t, n_items=n_models)
    bt.bootstrap(n_rounds=n_rounds, seed=seed, level=level)
    fought = np.bincount(np.concatenate([w, lose]), minlength=bt.n_items_)
    lo, hi = bt.ratings_ci_[:, 0], bt.ratings_ci_[:, 1]
    return Board(bt.ratings_, lo, hi, fought.astype(int), tied_ranks(lo, hi))


def score_agreement(a: Any, b: Any, *, threshold: float = 0.5) -> dict[str, Any]:
    """How two graders agree on the same responses (scores in [0, 1]): the share on the same
    side of ``threshold`` (pass/fail), Cohen's κ on that, Pearson's r and the mean absolute
    difference. ``n`` is the number of responses both graded."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError("a and b must be 1-D arrays of equal length")
    out: dict[str, Any] = {"n": int(x.size), "pass_agreement": None, "kappa": None,
                           "correlation": None, "mean_abs_diff": None}
    if x.size == 0:
        return out
    px, py = x >= threshold, y >= threshold
    observed = float(np.mean(px == py))
    chance = float(px.mean() * py.mean() + (1 - px.mean()) * (1 - py.mean()))
    out["pass_agreement"] = observed
    out["kappa"] = 1.0 if chance == 1.0 else (observed - chance) / (1.0 - chance)
    out["mean_abs_diff"] = float(np.mean(np.abs(x - y)))
    if x.size > 1 and x.std() > 0 and y.std() > 0:
        out["correlation"] = float(np.corrcoef(x, y)[0, 1])
    return out
