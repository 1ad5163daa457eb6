"""Tiny datasets with answers worked out by hand, and edge cases, for every estimator."""

from __future__ import annotations

import numpy as np
import pytest
from quality_helpers import make_crowd

from datafab.quality import (
    GLAD,
    MACE,
    DawidSkene,
    MajorityVote,
    OneCoinDawidSkene,
    WeightedMajorityVote,
)

CATEGORICAL = [MajorityVote, WeightedMajorityVote, DawidSkene, OneCoinDawidSkene, GLAD, MACE]
EM = [DawidSkene, OneCoinDawidSkene, GLAD, MACE]


# ---------------------------------------------------------------- majority votes, by hand


def test_majority_vote_by_hand():
    # item 0: 0,0,1 -> 2/3, 1/3; item 1: 1 -> one-hot; item 2: no labels -> -1 and the
    # prior, the mean share over labelled items: (2/3 + 0) / 2, (1/3 + 1) / 2
    m = MajorityVote().fit([0, 0, 0, 1], [0, 1, 2, 0], [0, 0, 1, 1], n_items=3)
    np.testing.assert_allclose(m.probas_, [[2 / 3, 1 / 3], [0, 1], [1 / 3, 2 / 3]])
    assert m.labels_.tolist() == [0, 1, -1]
    # skills: share of each worker's labels equal to the consensus
    np.testing.assert_allclose(m.skills_, [1.0, 1.0, 0.0])


def test_majority_vote_tie_goes_to_lowest_code():
    m = MajorityVote().fit([0, 0], [0, 1], [2, 1])
    assert m.labels_.tolist() == [1]


def test_weighted_majority_vote_by_hand():
    # worker 0 weighs 3, workers 1 and 2 weigh 1 each: 3 for class 1 beats 2 for class 0
    m = WeightedMajorityVote().fit([0, 0, 0], [0, 1, 2], [1, 0, 0], weights=[3.0, 1.0, 1.0])
    np.testing.assert_allclose(m.probas_, [[0.4, 0.6]])
    assert m.labels_.tolist() == [1]


def test_weighted_majority_vote_default_weights_are_agreement_with_majority():
    # weight = mean vote share of the worker's own labels. Shares: item 0 (0: 2/3, 1: 1/3),
    # item 1 (1: 2/3, 0: 1/3), item 2 (1/2 each). Worker 0: (2/3 + 2/3 + 1/2) / 3 = 11/18;
    # worker 1: 2/3; worker 2: (1/3 + 1/3 + 1/2) / 3 = 7/18 -> worker 0 wins item 2.
    item = [0, 0, 0, 1, 1, 1, 2, 2]
    worker = [0, 1, 2, 0, 1, 2, 0, 2]
    label = [0, 0, 1, 1, 1, 0, 0, 1]
    m = WeightedMajorityVote().fit(item, worker, label)
    np.testing.assert_allclose(m.weights_, [11 / 18, 2 / 3, 7 / 18])
    assert m.labels_.tolist() == [0, 1, 0]


# ---------------------------------------------------------------- Dawid–Skene family


def test_dawid_skene_with_every_item_gold_is_counting():
    # All items gold -> posteriors fixed -> confusions are smoothed counts (by hand).
    item = [0, 1, 2, 3, 0, 1, 2, 3]
    worker = [0, 0, 0, 0, 1, 1, 1, 1]
    label = [0, 0, 1, 1, 0, 1, 0, 1]
    gold = {0: 0, 1: 0, 2: 1, 3: 1}
    m = DawidSkene(prior_correct=1.0, prior_wrong=1.0).fit(item, worker, label, gold=gold)
    # worker 0: truth 0 -> said 0 twice; truth 1 -> said 1 twice: rows (2+1, 0+1)/4
    np.testing.assert_allclose(m.confusions_[0], [[0.75, 0.25], [0.25, 0.75]])
    # worker 1: truth 0 -> 0 once, 1 once; truth 1 -> 0 once, 1 once
    np.testing.assert_allclose(m.confusions_[1], [[0.5, 0.5], [0.5, 0.5]])
    np.testing.assert_allclose(m.priors_, [0.5, 0.5])
    assert m.labels_.tolist() == [0, 0, 1, 1]


def test_dawid_skene_learns_an_adversarial_worker():
    c = make_crowd(n_items=80, n_workers=4, n_classes=2, accuracy=[0.9, 0.9, 0.9, 0.0], seed=3)
    m = DawidSkene().fit(c.item, c.worker, c.label)
    # worker 3 always flips: its confusion is the anti-diagonal
    assert m.confusions_[3, 0, 1] > 0.9 and m.confusions_[3, 1, 0] > 0.9
    assert np.mean(m.labels_ == c.truth) >= 0.97
    # ... so a lone label from worker 3 is evidence for the other class
    assert (
        np.mean(m.labels_ == c.truth)
        > np.mean(MajorityVote().fit_predict(c.item, c.worker, c.label) == c.truth) - 1e-9
    )


def test_dawid_skene_beats_majority_vote_with_spammers():
    acc = [0.95, 0.9, 0.85, 0.34, 0.34, 0.34, 0.34]
    c = make_crowd(n_items=300, n_workers=7, n_classes=3, accuracy=acc, seed=1)
    ds = DawidSkene().fit(c.item, c.worker, c.label)
    mv = MajorityVote().fit(c.item, c.worker, c.label)
    assert np.mean(ds.labels_ == c.truth) > np.mean(mv.labels_ == c.truth)
    assert np.argsort(ds.skills_)[-3:].tolist() == [2, 1, 0]


def test_one_coin_by_hand_one_iteration():
    # Two workers agree on two items. Start: majority vote (one-hot). M-step with Beta(1, 1)
    # pseudo-labels: p = (2 + 1) / (2 + 2) = 3/4. E-step: P(agreed class) =
    # (3/4)^2 / ((3/4)^2 + (1/4)^2) = 9/10. Final M-step: p = (2 * 0.9 + 1) / 4 = 0.7.
    m = OneCoinDawidSkene(n_iter=1, prior_correct=1.0, prior_wrong=1.0).fit(
        [0, 0, 1, 1], [0, 1, 0, 1], [0, 0, 1, 1]
    )
    assert m.labels_.tolist() == [0, 1]
    np.testing.assert_allclose(m.probas_, [[0.9, 0.1], [0.1, 0.9]])
    np.testing.assert_allclose(m.skills_, [0.7, 0.7])


def test_glad_finds_the_adversary_and_the_truth():
    c = make_crowd(n_items=100, n_workers=5, n_classes=2, accuracy=[0.9] * 4 + [0.05], seed=2)
    m = GLAD().fit(c.item, c.worker, c.label)
    assert m.skills_[4] < 0 < m.skills_[:4].min()
    assert np.mean(m.labels_ == c.truth) >= 0.97
    assert m.betas_.shape == (100,) and np.all(m.betas_ > 0)


def test_mace_spots_a_spammer_who_always_says_zero():
    c = make_crowd(n_items=100, n_workers=4, n_classes=3, accuracy=0.9, seed=4)
    label = c.label.copy()
    label[c.worker == 3] = 0
    m = MACE().fit(c.item, c.worker, label)
    assert m.skills_[3] < 0.6 < m.skills_[:3].min()
    assert m.strategies_[3, 0] > 0.8
    assert np.mean(m.labels_ == c.truth) >= 0.95


def test_mace_restarts_are_deterministic():
    c = make_crowd(n_items=50, n_workers=5, n_classes=3, accuracy=0.7, seed=5)
    a = MACE(n_restarts=5).fit(c.item, c.worker, c.label)
    b = MACE(n_restarts=5).fit(c.item, c.worker, c.label)
    np.testing.assert_array_equal(a.probas_, b.probas_)


# ---------------------------------------------------------------- edge cases, all estimators


@pytest.mark.parametrize("est", CATEGORICAL)
def test_all_workers_agree(est):
    m = est().fit([0, 0, 0, 1, 1, 1], [0, 1, 2, 0, 1, 2], [1, 1, 1, 0, 0, 0])
    assert m.labels_.tolist() == [1, 0]
    assert m.probas_[0, 1] > 0.5 and m.probas_[1, 0] > 0.5


@pytest.mark.parametrize("est", CATEGORICAL)
def test_one_worker_one_item(est):
    m = est().fit([0], [0], [1], n_classes=2)
    assert m.labels_.tolist() == [1]
    assert m.probas_.shape == (1, 2) and m.skills_.shape == (1,)
    np.testing.assert_allclose(m.probas_.sum(axis=1), 1.0)


@pytest.mark.parametrize("est", [e for e in CATEGORICAL if e is not OneCoinDawidSkene])
def test_one_worker_labels_everything(est):
    # A lone worker's likelihood is flat; the estimators must not drift off their labels.
    # (One-coin Dawid–Skene does drift: with one accuracy per worker and a learned class
    # prior, mass flows from the rare class to the common ones. Known, documented limit.)
    label = [0, 1, 2, 1, 0]
    m = est().fit(np.arange(5), np.zeros(5, dtype=int), label)
    assert m.labels_.tolist() == label


@pytest.mark.parametrize("est", CATEGORICAL)
def test_class_nobody_chose_and_items_without_labels(est):
    c = make_crowd(n_items=20, n_workers=3, n_classes=2, accuracy=0.9, seed=6)
    m = est().fit(c.item, c.worker, c.label, n_items=22, n_workers=4, n_classes=3)
    assert m.probas_.shape == (22, 3)
    assert m.confusions_.shape == (4, 3, 3)
    np.testing.assert_allclose(m.confusions_.sum(axis=2), 1.0, atol=1e-6)
    assert np.all(m.labels_[:20] != 2)
    assert m.labels_[20:].tolist() == [-1, -1]  # documented: no labels -> -1
    np.testing.assert_allclose(m.probas_[20], m.priors_, atol=1e-6)  # ... and the prior
    np.testing.assert_allclose(m.probas_.sum(axis=1), 1.0, atol=1e-6)


@pytest.mark.parametrize("est", CATEGORICAL)
def test_empty_input_with_counts(est):
    m = est().fit(np.array([], dtype=int), np.array([], dtype=int), [], n_items=2, n_classes=2)
    assert m.labels_.tolist() == [-1, -1]
    np.testing.assert_allclose(m.probas_.sum(axis=1), 1.0)


@pytest.mark.parametrize("est", CATEGORICAL)
def test_gold_is_clamped(est):
    # two workers say 0 on item 0 but gold says 1
    item, worker, label = [0, 0, 1, 1], [0, 1, 0, 1], [0, 0, 1, 1]
    m = est().fit(item, worker, label, gold={0: 1})
    assert m.labels_[0] == 1
    np.testing.assert_allclose(m.probas_[0], [0.0, 1.0])
    m2 = est().fit(item, worker, label, gold=(np.array([0]), np.array([1])))
    np.testing.assert_allclose(m2.probas_, m.probas_)


@pytest.mark.parametrize("est", CATEGORICAL)
def test_repeated_pairs_count_as_separate_labels(est):
    # worker 0 says 1 twice on item 0, worker 1 says 0 once: every row counts
    m = est().fit([0, 0, 0, 1, 1], [0, 0, 1, 0, 1], [1, 1, 0, 0, 0])
    if est in (MajorityVote,):
        np.testing.assert_allclose(m.probas_[0], [1 / 3, 2 / 3])
    assert m.labels_[1] == 0


def test_large_input_runs_in_float32_and_agrees_with_float64(monkeypatch):
    from datafab.quality import _em

    c = make_crowd(n_items=400, n_workers=8, n_classes=3, accuracy=0.7, seed=7)
    a = DawidSkene().fit(c.item, c.worker, c.label)
    monkeypatch.setattr(_em, "FLOAT32_FROM", 1)
    b = DawidSkene().fit(c.item, c.worker, c.label)
    np.testing.assert_allclose(a.probas_, b.probas_, atol=1e-4)
    np.testing.assert_array_equal(a.labels_, b.labels_)
