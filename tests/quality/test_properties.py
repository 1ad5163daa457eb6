"""Property tests: posteriors are distributions; the estimators are equivariant under class
relabelling and invariant under renumbering of workers or items; a perfect worker wins."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def label_sets(draw, max_items=8, max_workers=5, max_classes=4):
    n_items = draw(st.integers(1, max_items))
    n_workers = draw(st.integers(1, max_workers))
    n_classes = draw(st.integers(2, max_classes))
    n = draw(st.integers(1, 30))
    item = draw(st.lists(st.integers(0, n_items - 1), min_size=n, max_size=n))
    worker = draw(st.lists(st.integers(0, n_workers - 1), min_size=n, max_size=n))
    label = draw(st.lists(st.integers(0, n_classes - 1), min_size=n, max_size=n))
    return (np.array(item), np.array(worker), np.array(label), n_items, n_workers, n_classes)


@st.composite
def crowds(draw):
    """Realistic crowds (several labels per item) from a seed."""
    seed = draw(st.integers(0, 10_000))
    k = draw(st.integers(2, 4))
    acc = draw(st.floats(0.55, 0.95))
    return make_crowd(n_items=25, n_workers=5, n_classes=k, accuracy=acc, seed=seed)


@pytest.mark.parametrize("est", CATEGORICAL)
@SETTINGS
@given(data=label_sets())
def test_posteriors_are_distributions(est, data):
    item, worker, label, ni, nw, k = data
    m = est().fit(item, worker, label, n_items=ni, n_workers=nw, n_classes=k)
    assert m.probas_.shape == (ni, k)
    assert np.all(m.probas_ >= 0) and np.all(np.isfinite(m.probas_))
    np.testing.assert_allclose(m.probas_.sum(axis=1), 1.0, atol=1e-6)
    assert m.labels_.shape == (ni,) and m.skills_.shape == (nw,)
    labelled = np.isin(np.arange(ni), item)
    assert np.all(m.labels_[~labelled] == -1)
    assert np.all((m.labels_[labelled] >= 0) & (m.labels_[labelled] < k))
    np.testing.assert_allclose(m.confusions_.sum(axis=2), 1.0, atol=1e-6)


def _unique_argmax(p: np.ndarray) -> np.ndarray:
    top = np.sort(p, axis=1)
    return top[:, -1] - top[:, -2] > 1e-6


@pytest.mark.parametrize("est", CATEGORICAL)
@SETTINGS
@given(c=crowds(), perm_seed=st.integers(0, 1000))
def test_relabelling_classes_permutes_the_output(est, c, perm_seed):
    perm = np.random.default_rng(perm_seed).permutation(c.n_classes)  # old class -> new class
    a = est().fit(c.item, c.worker, c.label, n_classes=c.n_classes)
    b = est().fit(c.item, c.worker, perm[c.label], n_classes=c.n_classes)
    np.testing.assert_allclose(b.probas_[:, perm], a.probas_, atol=1e-6)
    sure = _unique_argmax(a.probas_)
    np.testing.assert_array_equal(b.labels_[sure], perm[a.labels_[sure]])


@pytest.mark.parametrize("est", CATEGORICAL)
@SETTINGS
@given(c=crowds(), perm_seed=st.integers(0, 1000))
def test_renumbering_workers_changes_nothing(est, c, perm_seed):
    n_workers = int(c.worker.max()) + 1
    perm = np.random.default_rng(perm_seed).permutation(n_workers)
    a = est().fit(c.item, c.worker, c.label, n_classes=c.n_classes)
    b = est().fit(c.item, perm[c.worker], c.label, n_classes=c.n_classes)
    np.testing.assert_allclose(b.probas_, a.probas_, atol=1e-6)
    np.testing.assert_allclose(b.skills_[perm], a.skills_, atol=1e-6)


@pytest.mark.parametrize("est", CATEGORICAL)
@SETTINGS
@given(c=crowds(), perm_seed=st.integers(0, 1000))
def test_renumbering_items_permutes_the_output(est, c, perm_seed):
    n_items = int(c.item.max()) + 1
    perm = np.random.default_rng(perm_seed).permutation(n_items)
    a = est().fit(c.item, c.worker, c.label, n_classes=c.n_classes)
    b = est().fit(perm[c.item], c.worker, c.label, n_classes=c.n_classes)
    np.testing.assert_allclose(b.probas_[perm], a.probas_, atol=1e-6)
    np.testing.assert_allclose(b.skills_, a.skills_, atol=1e-6)


@pytest.mark.parametrize("est", [DawidSkene, OneCoinDawidSkene, GLAD, MACE])
@settings(max_examples=15, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), k=st.integers(2, 4))
def test_a_perfectly_reliable_worker_is_trusted(est, seed, k):
    # worker 0 is always right, four others are right 70% of the time: the perfect worker is
    # ranked first and the estimate is at least as accurate as majority vote
    c = make_crowd(n_items=200, n_workers=5, n_classes=k, accuracy=[1.0] + [0.7] * 4, seed=seed)
    m = est().fit(c.item, c.worker, c.label)
    mv = MajorityVote().fit(c.item, c.worker, c.label)
    assert int(np.argmax(m.skills_)) == 0
    assert np.mean(m.labels_ == c.truth) >= np.mean(mv.labels_ == c.truth)


def test_dawid_skene_follows_a_perfect_worker_among_random_ones():
    # Three workers answer at random: once EM has converged the perfect worker decides alone.
    c = make_crowd(n_items=100, n_workers=4, n_classes=2, accuracy=[1.0, 0.5, 0.5, 0.5], seed=1)
    m = DawidSkene(n_iter=1000, tol=0.0).fit(c.item, c.worker, c.label)
    np.testing.assert_array_equal(m.labels_, c.truth)
