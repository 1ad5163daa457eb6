"""Bradley–Terry strengths from pairwise battles, with bootstrap confidence intervals."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._inputs import as_codes, check_positive, count

#: 400 / ln 10: one unit of log-strength in Elo points.
ELO_SCALE = 400.0 / np.log(10.0)


class BradleyTerry:
    r"""Bradley–Terry model (R. A. Bradley and M. E. Terry, "Rank Analysis of Incomplete Block
    Designs: I. The Method of Paired Comparisons", *Biometrika* 39, 1952):
    ``P(i beats j) = σ(s_i - s_j)`` with log-strengths ``s``.

    ``fit(winner, loser, *, ties=None, n_items=None)`` aggregates the battles into a win matrix
    ``W[i, j]`` (a tie counts half a win for each side) and maximises
    ``Σ_ij W_ij log σ(s_i - s_j) - (l2 / 2) Σ s_i²`` by Newton's method (the log-likelihood is
    concave; the small Gaussian prior keeps an item that never wins, or a disconnected
    comparison graph, finite). ``scores_`` are centred (mean 0); ``ratings_`` put them on the
    Elo scale: ``anchor + 400 / ln 10 · s``.

    ``bootstrap(n_rounds=1000, seed=0, level=0.95)`` resamples the battles with replacement
    (a multinomial draw over the distinct (winner, loser, tie) outcomes, which is the same
    distribution; ``resample="poisson"`` draws independent Poisson counts instead — the
    "Poisson bootstrap", about three times cheaper to sample) and refits every round at once —
    batched Newton on (rounds, n, n) arrays, warm-started from the full-data fit —
    then sets ``ci_`` (n, 2) percentile intervals of ``scores_`` and ``ratings_ci_`` the same
    on the Elo scale; ``bootstrap_scores_`` keeps every round's scores.
    """

    def __init__(
        self, l2: float = 1e-3, anchor: float = 1000.0, max_iter: int = 100, tol: float = 1e-10
    ) -> None:
        self.l2 = check_positive(l2, "l2")
        self.anchor = float(anchor)
        self.max_iter = int(max_iter)
        self.tol = check_positive(tol, "tol")

    def fit(
        self, winner: Any, loser: Any, *, ties: Any = None, n_items: int | None = None
    ) -> BradleyTerry:
        win = as_codes(winner, "winner")
        lose = as_codes(loser, "loser")
        if win.size != lose.size:
            raise ValueError(
                f"winner and loser must have equal lengths, got {win.size}, {lose.size}"
            )
        if ties is None:
            tie = np.zeros(win.size, dtype=bool)
        else:
            tie = np.asarray(ties)
            if tie.shape != win.shape or tie.dtype != bool:
                raise ValueError("ties must be a boolean array as long as winner")
        if np.any(win == lose):
            raise ValueError("an item cannot battle itself (winner == loser)")
        n = count(n_items, np.concatenate([win, lose]), "n_items", "winner/loser")
        if n < 2:
            raise ValueError("Bradley–Terry needs at least two items")
        # Distinct outcomes: decisive (i beats j) keyed i*n+j; ties keyed on the ordered pair
        # min*n+max, offset by n*n.
        key = np.where(
            tie, n * n + np.minimum(win, lose) * n + np.maximum(win, lose), win * n + lose
        )
        outcomes, counts = np.unique(key, return_counts=True)
        self.n_items_ = n
        self.n_battles_ = int(win.size)
        self._outcomes = outcomes
        self._counts = counts.astype(np.float64)
        scores = self._solve(self._win_matrix(self._counts[None, :]))[0]
        self.scores_ = scores
        self.ratings_ = self.anchor + ELO_SCALE * scores
        return self

    def _win_matrix(self, counts: np.ndarray) -> np.ndarray:
        """(R, n, n) win matrices from (R, n_outcomes) outcome counts."""
        n = self.n_items_
        r = counts.shape[0]
        flat = np.zeros((r, n * n))
        decisive = self._outcomes < n * n
        flat[:, self._outcomes[decisive]] = counts[:, decisive]
        tkey = self._outcomes[~decisive] - n * n
        if tkey.size:
            half = 0.5 * counts[:, ~decisive]
            i, j = tkey // n, tkey % n
            flat[:, i * n + j] += half
            flat[:, j * n + i] += half
        return flat.reshape(r, n, n)

    def _solve(self, w: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
        """Batched Newton for (R, n, n) win matrices; returns centred (R, n) scores.

        ``start`` (n,) warm-starts every replicate (the bootstrap starts from the full-data
        fit, a few Newton steps from each replicate's optimum)."""
        r, n, _ = w.shape
        games = w + w.transpose(0, 2, 1)
        wins = w.sum(axis=2)
        s = np.zeros((r, n)) if start is None else np.repeat(start[None, :], r, axis=0)
        gauge = np.ones((n, n)) / n
        for _ in range(self.max_iter):
            p = 1.0 / (1.0 + np.exp(s[:, None, :] - s[:, :, None]))  # P(i beats j)
            grad = wins - (games * p).sum(axis=2) - self.l2 * s
            v = games * p * (1.0 - p)
            hess = v.copy()  # off-diagonal second derivatives: +v_ij
            diag = v.sum(axis=2) + self.l2
            hess[:, np.arange(n), np.arange(n)] -= diag
            # The likelihood is flat along the all-ones direction (up to the tiny prior):
            # subtracting 11ᵀ/n fixes that gauge without changing steps orthogonal to it.
            step = np.linalg.solve(hess - gauge, -grad[..., None])[..., 0]
            big = np.abs(step).max(axis=1, keepdims=True)
            step *= np.minimum(1.0, 5.0 / np.maximum(big, 1e-300))
            s += step
            if float(np.abs(step).max()) < 1e-9 or float(np.abs(grad).max()) < self.tol:
                break
        result: np.ndarray = s - s.mean(axis=1, keepdims=True)
        return result

    def bootstrap(
        self,
        n_rounds: int = 1000,
        seed: int = 0,
        level: float = 0.95,
        resample: str = "multinomial",
    ) -> BradleyTerry:
        if not hasattr(self, "scores_"):
            raise ValueError("call fit() before bootstrap()")
        if n_rounds < 1:
            raise ValueError(f"n_rounds must be a positive integer, got {n_rounds!r}")
        if not 0 < level < 1:
            raise ValueError(f"level must be in (0, 1), got {level!r}")
        if resample not in ("multinomial", "poisson"):
            raise ValueError(f"resample must be 'multinomial' or 'poisson', got {resample!r}")
        rng = np.random.default_rng(seed)
        if resample == "multinomial":
            p = self._counts / self._counts.sum()
            draws = rng.multinomial(self.n_battles_, p, size=n_rounds).astype(np.float64)
        else:
            draws = rng.poisson(self._counts, size=(n_rounds, self._counts.size)).astype(float)
        scores = np.empty((n_rounds, self.n_items_))
        chunk = 250  # bounds memory at chunk * n * n floats per temporary
        for start in range(0, n_rounds, chunk):
            block = draws[start : start + chunk]
            scores[start : start + chunk] = self._solve(self._win_matrix(block), self.scores_)
        lo, hi = (1 - level) / 2 * 100, (1 + level) / 2 * 100
        self.bootstrap_scores_ = scores
        self.ci_ = np.percentile(scores, [lo, hi], axis=0).T
        self.ratings_ci_ = self.anchor + ELO_SCALE * self.ci_
        return self

    def predict_proba(self, a: Any, b: Any) -> np.ndarray:
        """P(a beats b) under the fitted scores."""
        a_ = as_codes(a, "a")
        b_ = as_codes(b, "b")
        result: np.ndarray = 1.0 / (1.0 + np.exp(self.scores_[b_] - self.scores_[a_]))
        return result
