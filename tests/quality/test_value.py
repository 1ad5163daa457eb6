"""Contributor value: leave-one-contributor-out, warm started, checked against full refits."""

from __future__ import annotations

import numpy as np
import pytest

from datafab.quality import DawidSkene
from datafab.quality.value import contributor_values, refit_values


def planted_crowd(seed: int = 3, n_items: int = 3000, n_workers: int = 60, per_item: int = 5,
                  k: int = 3):
    """Honest contributors right 65-90% of the time; contributor 0 answers at random."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n_items)
    acc = rng.uniform(0.65, 0.9, n_workers)
    item = np.repeat(np.arange(n_items), per_item)
    worker = np.concatenate(
        [rng.choice(n_workers, per_item, replace=False) for _ in range(n_items)])
    right = rng.random(item.size) < acc[worker]
    wrong = (truth[item] + rng.integers(1, k, item.size)) % k
    label = np.where(right, truth[item], wrong)
    spam = worker == 0
    label[spam] = rng.integers(0, k, int(spam.sum()))
    return item, worker, label, truth


def fitted(item, worker, label, **kw):
    ds = DawidSkene().fit(item, worker, label, **kw)
    return {"confusions": ds.confusions_, "prior": ds.priors_}


def test_planted_spammer_is_worth_nothing_or_less_and_below_every_honest_contributor():
    spam = []
    for seed in range(6):
        item, worker, label, _ = planted_crowd(seed=seed)
        v = contributor_values(item, worker, label, **fitted(item, worker, label))
        honest = v[1:]
        assert (honest > 0).all()
        assert v[0] < honest.min()
        assert v[0] < 0.1 * np.median(honest)
        spam.append(v[0])
    assert np.mean(spam) < 0


def test_value_grows_with_accuracy():
    item, worker, label, _ = planted_crowd(seed=5)
    v = contributor_values(item, worker, label, **fitted(item, worker, label))
    rng = np.random.default_rng(5)  # planted_crowd's draws, in its order
    rng.integers(0, 3, 3000)
    acc = rng.uniform(0.65, 0.9, 60)
    assert np.corrcoef(acc[1:], v[1:])[0, 1] > 0.6


def test_warm_start_matches_full_refits():
    item, worker, label, truth = planted_crowd(n_items=1500, n_workers=30)
    gold = (np.arange(50), truth[:50])
    chosen = [0, 1, 2, 3]
    warm = contributor_values(item, worker, label, **fitted(item, worker, label, gold=gold),
                              gold=gold)
    full = refit_values(item, worker, label, gold=gold, workers=chosen)
    scale = np.abs(warm[1:]).mean()
    assert np.abs(warm[chosen] - full[chosen]).max() < 0.1 * scale
    assert np.isnan(full[4])


def test_contributor_without_labels_is_worth_zero():
    item, worker, label, _ = planted_crowd(n_items=300, n_workers=10)
    params = fitted(item, worker, label, n_workers=11)
    v = contributor_values(item, worker, label, **params, n_workers=11)
    assert v[10] == 0.0
    assert refit_values(item, worker, label, n_workers=11, workers=[10])[10] == 0.0


def test_only_the_chosen_contributors_are_computed():
    item, worker, label, _ = planted_crowd(n_items=300, n_workers=10)
    v = contributor_values(item, worker, label, **fitted(item, worker, label), workers=[2])
    assert np.isfinite(v[2]) and np.isnan(np.delete(v, 2)).all()


@pytest.mark.parametrize("bad, message", [
    ({"confusions": np.ones((2, 3, 3)) / 3}, "confusions must have shape"),
    ({"prior": np.ones(2) / 2}, "prior must have shape"),
    ({"n_iter": -1}, "n_iter"),
    ({"workers": [99]}, "workers must be codes"),
])
def test_bad_input_names_what_is_wrong(bad, message):
    item, worker, label, _ = planted_crowd(n_items=100, n_workers=10)
    kw = fitted(item, worker, label) | bad
    with pytest.raises(ValueError, match=message):
        contributor_values(item, worker, label, **kw)
