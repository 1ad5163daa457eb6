"""Leaderboard ratings: Datafab's Bradley–Terry against the method Chatbot Arena published,
and the time of a full bootstrap leaderboard.

1. Comparison. Battles are drawn from known strengths (``--models`` models, Elo-scale
   strengths spread over ``--spread`` points, ``--battles`` battles between random pairs,
   ``--tie-rate`` of them ties). Datafab's ``quality.leaderboard.bradley_terry_board`` (a
   Newton fit of the Bradley–Terry likelihood, batched warm-started Newton for the
   bootstrap) is compared with the Arena method as published in FastChat's
   ``elo_analysis.py`` (``compute_mle_elo``): scikit-learn's ``LogisticRegression``
   without penalty or intercept on ±ln(10) design rows, a tie counted as half a win for
   each side, rating = 400 · coefficient + 1000; intervals from refitting on battles
   resampled with replacement (``--arena-rounds`` rounds; it is slow, hence fewer). Both
   ratings are centred on 1000 before comparing.

2. Timing. ``bradley_terry_board`` with ``--rounds`` bootstrap rounds over the battles of 1
   (default: 1,000 rounds, 100,000 battles, 50 models; target under 2 s).

    .venv/bin/python bench/evals.py
    .venv/bin/python bench/evals.py --models 20 --battles 20000

Ends with ``RESULT max_rating_diff_vs_arena_method=… bootstrap_seconds=…``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from datafab.quality.leaderboard import bradley_terry_board

LN10 = np.log(10.0)


def battles(n_models: int, n_battles: int, *, spread: float = 400.0, tie_rate: float = 0.1,
            seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(winner, loser, tie, true Elo strengths) for random pairs of models."""
    rng = np.random.default_rng(seed)
    elo = np.sort(rng.uniform(-spread / 2, spread / 2, n_models))[::-1]
    a = rng.integers(0, n_models, n_battles)
    b = (a + rng.integers(1, n_models, n_battles)) % n_models
    p_a = 1.0 / (1.0 + 10 ** ((elo[b] - elo[a]) / 400.0))
    tie = rng.random(n_battles) < tie_rate
    a_wins = rng.random(n_battles) < p_a
    winner = np.where(a_wins, a, b)
    loser = np.where(a_wins, b, a)
    return winner, loser, tie, elo + 1000.0


def arena_ratings(winner, loser, tie, n_models: int) -> np.ndarray:
    """The Arena method: logistic regression on battle outcomes (FastChat
    ``compute_mle_elo``), one weighted row per ordered pair."""
    from sklearn.linear_model import LogisticRegression

    wins = np.zeros((n_models, n_models))
    np.add.at(wins, (winner[~tie], loser[~tie]), 2.0)  # a decisive battle: two half-wins
    np.add.at(wins, (winner[tie], loser[tie]), 1.0)  # a tie: one half-win each way
    np.add.at(wins, (loser[tie], winner[tie]), 1.0)
    rows, ys, weights = [], [], []
    for i in range(n_models):
        for j in range(i + 1, n_models):
            if wins[i, j] + wins[j, i] == 0:
                continue
            x = np.zeros(n_models)
            x[i], x[j] = LN10, -LN10
            rows += [x, x]
            ys += [1, 0]
            weights += [wins[i, j], wins[j, i]]
    with warnings.catch_warnings():  # newer scikit-learn spells "no penalty" differently
        warnings.simplefilter("ignore", FutureWarning)
        lr = LogisticRegression(fit_intercept=False, penalty=None, tol=1e-8, max_iter=10_000)
        lr.fit(np.array(rows), np.array(ys), sample_weight=np.array(weights))
    ratings = 400.0 * lr.coef_[0]
    return ratings - ratings.mean() + 1000.0


def arena_bootstrap(winner, loser, tie, n_models: int, rounds: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    out = np.empty((rounds, n_models))
    for r in range(rounds):
        pick = rng.integers(0, winner.size, winner.size)
        out[r] = arena_ratings(winner[pick], loser[pick], tie[pick], n_models)
    return np.percentile(out, [2.5, 97.5], axis=0).T


def compare(n_models: int, n_battles: int, *, arena_rounds: int = 50, rounds: int = 1000,
            seed: int = 0) -> dict[str, float]:
    w, lose, tie, truth = battles(n_models, n_battles, seed=seed)
    ours = bradley_terry_board(w, lose, ties=tie, n_models=n_models, n_rounds=rounds,
                               seed=seed)
    ref = arena_ratings(w, lose, tie, n_models)
    ref_ci = arena_bootstrap(w, lose, tie, n_models, arena_rounds, seed=seed) \
        if arena_rounds else None
    ours_centred = ours.estimate - ours.estimate.mean() + 1000.0
    shift = ours.estimate.mean() - 1000.0
    out = {
        "max_rating_diff": float(np.abs(ours_centred - ref).max()),
        "same_ranking": bool((np.argsort(-ours_centred) == np.argsort(-ref)).all()),
        "max_error_vs_truth_ours": float(np.abs(ours_centred - (truth - truth.mean() + 1000))
                                         .max()),
    }
    if ref_ci is not None:
        ours_ci = np.stack([ours.lo, ours.hi], axis=1) - shift
        out["max_ci_bound_diff"] = float(np.abs(ours_ci - ref_ci).max())
        out["mean_ci_width_ours"] = float((ours.hi - ours.lo).mean())
        out["mean_ci_width_arena"] = float((ref_ci[:, 1] - ref_ci[:, 0]).mean())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--battles", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--arena-rounds", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    started = time.perf_counter()
    result = compare(args.models, args.battles, arena_rounds=args.arena_rounds,
                     rounds=200, seed=args.seed)
    print(f"comparison on {args.battles:,} battles, {args.models} models "
          f"({time.perf_counter() - started:.1f}s):")
    for key, value in result.items():
        print(f"  {key}: {value:.4f}" if isinstance(value, float) else f"  {key}: {value}")

    w, lose, tie, _ = battles(args.models, args.battles, seed=args.seed + 1)
    bradley_terry_board(w, lose, ties=tie, n_models=args.models, n_rounds=5)  # warm up
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        bradley_terry_board(w, lose, ties=tie, n_models=args.models, n_rounds=args.rounds,
                            seed=args.seed)
        timings.append(time.perf_counter() - started)
    seconds = float(np.median(timings))
    print(f"leaderboard: {args.rounds} bootstrap rounds over {args.battles:,} battles between "
          f"{args.models} models: median {seconds:.3f}s of 3 (runs: "
          f"{', '.join(f'{t:.3f}' for t in timings)})")
    print(f"RESULT max_rating_diff_vs_arena_method={result['max_rating_diff']:.4f} "
          f"bootstrap_seconds={seconds:.3f}")


if __name__ == "__main__":
    main()
