"""Bradley–Terry: hand-computable cases, recovery of known strengths, bootstrap intervals."""

from __future__ import annotations

import numpy as np
import pytest

from datafab.quality import BradleyTerry
from datafab.quality.bradley_terry import ELO_SCALE


def test_two_items_by_hand():
    # A beats B three times, B beats A once: the MLE gap is log 3 (the prior is tiny)
    m = BradleyTerry(l2=1e-9).fit([0, 0, 0, 1], [1, 1, 1, 0])
    np.testing.assert_allclose(m.scores_, [np.log(3) / 2, -np.log(3) / 2], atol=1e-6)
    np.testing.assert_allclose(m.ratings_ - 1000, ELO_SCALE * m.scores_)
    np.testing.assert_allclose(m.predict_proba([0], [1]), [0.75], atol=1e-6)


def test_ties_count_half_a_win():
    # A beats B once, and they tie twice: A has 2 "wins" of 3 -> gap log 2
    m = BradleyTerry(l2=1e-9).fit([0, 0, 1], [1, 1, 0], ties=np.array([False, True, True]))
    np.testing.assert_allclose(m.scores_[0] - m.scores_[1], np.log(2), atol=1e-6)


def test_an_item_that_never_wins_stays_finite():
    m = BradleyTerry().fit([0, 0, 1], [1, 2, 2])
    assert np.all(np.isfinite(m.scores_))
    assert m.scores_[0] > m.scores_[1] > m.scores_[2]
    assert abs(m.scores_.mean()) < 1e-9


def test_recovers_known_strengths():
    rng = np.random.default_rng(0)
    n = 8
    true = np.linspace(-1.5, 1.5, n)
    a = rng.integers(0, n, 40_000)
    b = (a + rng.integers(1, n, a.size)) % n
    p = 1 / (1 + np.exp(true[b] - true[a]))
    a_wins = rng.random(a.size) < p
    winner, loser = np.where(a_wins, a, b), np.where(a_wins, b, a)
    m = BradleyTerry().fit(winner, loser).bootstrap(n_rounds=200, seed=1)
    np.testing.assert_allclose(m.scores_, true - true.mean(), atol=0.1)
    assert m.ci_.shape == (n, 2)
    assert np.all(m.ci_[:, 0] <= m.scores_) and np.all(m.scores_ <= m.ci_[:, 1])
    covered = (m.ci_[:, 0] <= true - true.mean()) & (true - true.mean() <= m.ci_[:, 1])
    assert covered.sum() >= n - 2
    np.testing.assert_allclose(m.ratings_ci_, 1000 + ELO_SCALE * m.ci_)


def test_bootstrap_is_reproducible_and_narrows_with_data():
    rng = np.random.default_rng(2)
    w = rng.integers(0, 4, 2_000)
    lo = (w + rng.integers(1, 4, w.size)) % 4
    small = BradleyTerry().fit(w[:200], lo[:200]).bootstrap(100, seed=3)
    again = BradleyTerry().fit(w[:200], lo[:200]).bootstrap(100, seed=3)
    big = BradleyTerry().fit(w, lo).bootstrap(100, seed=3)
    np.testing.assert_array_equal(small.ci_, again.ci_)
    assert np.all(np.diff(big.ci_, axis=1) < np.diff(small.ci_, axis=1))


@pytest.mark.parametrize("n_rounds", [1, 7, 300])
def test_bootstrap_round_counts(n_rounds):
    m = BradleyTerry().fit([0, 1, 2, 0], [1, 2, 0, 2]).bootstrap(n_rounds, seed=0)
    assert m.bootstrap_scores_.shape == (n_rounds, 3)


def test_poisson_bootstrap_agrees_with_multinomial():
    rng = np.random.default_rng(4)
    w = rng.integers(0, 5, 5_000)
    lo = (w + rng.integers(1, 5, w.size)) % 5
    m = BradleyTerry().fit(w, lo)
    multi = m.bootstrap(300, seed=0).ci_.copy()
    pois = m.bootstrap(300, seed=0, resample="poisson").ci_
    np.testing.assert_allclose(pois, multi, atol=0.03)
    with pytest.raises(ValueError, match="resample"):
        m.bootstrap(10, resample="jackknife")
