"""The cost/quality controller: stopping policy, expected gain, one-item posteriors,
incremental counts."""

from __future__ import annotations

import numpy as np
import pytest
from quality_helpers import make_crowd

from datafab.quality import (
    DawidSkene,
    StoppingPolicy,
    expected_gain,
    item_posterior,
    needs_more,
    population_confusion,
    posteriors,
    update_counts,
)

CONF = np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.6, 0.4], [0.4, 0.6]]])


def test_item_posterior_by_hand():
    # prior 1/2 each; worker 0 says 0: P(0) = 0.45 / (0.45 + 0.10)
    p = item_posterior([0], [0], CONF, [0.5, 0.5])
    np.testing.assert_allclose(p, [0.45 / 0.55, 0.10 / 0.55])
    # add worker 1 saying 1: 0.45*0.4 vs 0.10*0.6
    p = item_posterior([0, 1], [0, 1], CONF, [0.5, 0.5])
    np.testing.assert_allclose(p, [0.18 / 0.24, 0.06 / 0.24])


def test_item_posterior_without_labels_is_the_prior():
    np.testing.assert_allclose(item_posterior([], [], CONF, [0.3, 0.7]), [0.3, 0.7])


def test_unknown_worker_gets_the_average_worker():
    avg = population_confusion(CONF)
    np.testing.assert_allclose(avg, [[0.75, 0.25], [0.3, 0.7]])
    p_new = item_posterior([0], [7], CONF, [0.5, 0.5])  # worker 7 never seen
    p_neg = item_posterior([0], [-1], CONF, [0.5, 0.5])
    np.testing.assert_allclose(p_new, [0.75 / 1.05, 0.3 / 1.05])
    np.testing.assert_allclose(p_neg, p_new)
    own = item_posterior([0], [7], CONF, [0.5, 0.5], default_confusion=np.eye(2) * 0.5 + 0.25)
    np.testing.assert_allclose(own, [0.75, 0.25])


def test_posteriors_match_dawid_skene_e_step():
    c = make_crowd(n_items=50, n_workers=5, n_classes=3, accuracy=0.75, seed=8)
    m = DawidSkene(tol=1e-10).fit(c.item, c.worker, c.label)
    p = posteriors(c.item, c.worker, c.label, m.confusions_, m.priors_)
    np.testing.assert_allclose(p, m.probas_, atol=1e-4)
    one = item_posterior(c.label[c.item == 3], c.worker[c.item == 3], m.confusions_, m.priors_)
    np.testing.assert_allclose(one, p[3])


def test_policy_rules():
    pol = StoppingPolicy(min_labels=2, max_labels=4, target_confidence=0.9)
    assert needs_more([0.99, 0.01], 1, pol)  # below the minimum
    assert not needs_more([0.99, 0.01], 2, pol)  # confident enough
    assert needs_more([0.6, 0.4], 3, pol)  # not confident, room left
    assert not needs_more([0.6, 0.4], 4, pol)  # budget spent
    many = needs_more(np.array([[0.99, 0.01], [0.6, 0.4], [0.6, 0.4]]), np.array([2, 3, 4]), pol)
    assert many.tolist() == [False, True, False]
    assert needs_more([0.5, 0.5], 0, StoppingPolicy(min_labels=0)) is True


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_labels": 3, "max_labels": 2}, "max_labels"),
        ({"target_confidence": 1.5}, "target_confidence"),
        ({"min_labels": -1}, "min_labels"),
        ({"min_gain": 1.0}, "min_gain"),
        ({"min_gain": -0.1}, "min_gain"),
    ],
)
def test_policy_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        StoppingPolicy(**kwargs)


def test_bad_inputs():
    with pytest.raises(ValueError, match="confusions"):
        item_posterior([0], [0], np.ones((2, 2)), [0.5, 0.5])
    with pytest.raises(ValueError, match="class_prior"):
        item_posterior([0], [0], CONF, [1.0])
    with pytest.raises(ValueError, match="label holds code 2"):
        item_posterior([2], [0], CONF, [0.5, 0.5])
    with pytest.raises(ValueError, match="n_labels"):
        needs_more([[0.5, 0.5]], [1, 2], StoppingPolicy())


def test_update_counts_is_the_m_step_for_one_item():
    counts = np.zeros((2, 2, 2))
    out = update_counts(counts, [0, 1], [1, 1], [0.25, 0.75])
    np.testing.assert_allclose(out[0], [[0, 0.25], [0, 0.75]])
    np.testing.assert_allclose(out[1], out[0])
    assert counts.sum() == 0  # not modified in place


# -- expected gain: what the labels an item may still get could buy --------------------------

def _gain_by_sequences(p: np.ndarray, conf: np.ndarray, h: int) -> float:
    """The same quantity by brute force over every ordered label sequence (K**h of them)."""
    import itertools

    total = 0.0
    for seq in itertools.product(range(len(p)), repeat=h):
        joint = p * np.prod([conf[:, lab] for lab in seq], axis=0) if seq else p
        total += joint.max()
    return total - p.max()


@pytest.mark.parametrize("h", [0, 1, 2, 3, 5])
def test_expected_gain_matches_brute_force(h):
    rng = np.random.default_rng(h)
    conf = rng.dirichlet(np.ones(3) + 4 * np.eye(3)[0], size=3)
    conf[np.arange(3), np.arange(3)] += 1.0
    conf /= conf.sum(axis=1, keepdims=True)
    p = rng.dirichlet(np.ones(3), size=4)
    got = expected_gain(p, conf, h)
    want = [_gain_by_sequences(row, conf, h) for row in p]
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_expected_gain_is_zero_when_no_label_can_change_the_answer():
    conf = np.array([[0.8, 0.2], [0.2, 0.8]])
    # one dissenting label: 0.9 * 0.2 > 0.1 * 0.8, the answer stays
    assert expected_gain([0.9, 0.1], conf, 1)[0] == pytest.approx(0.0, abs=1e-12)
    # two dissenting labels would flip it: now labels can buy quality
    assert expected_gain([0.9, 0.1], conf, 2)[0] > 0.0


def test_expected_gain_extremes():
    p = np.array([[0.7, 0.2, 0.1], [0.4, 0.35, 0.25]])
    # a perfect worker settles the truth with one label
    np.testing.assert_allclose(expected_gain(p, np.eye(3), 1), 1 - p.max(axis=1))
    # a worker who answers at random can buy nothing, however many labels
    np.testing.assert_allclose(expected_gain(p, np.full((3, 3), 1 / 3), 6), 0.0, atol=1e-12)


def test_expected_gain_grows_with_the_horizon():
    conf = np.array([[0.7, 0.3], [0.35, 0.65]])
    gains = expected_gain(np.tile([0.6, 0.4], (8, 1)), conf, np.arange(8))
    assert np.all(np.diff(gains) >= -1e-12) and gains[-1] > gains[1]


def test_expected_gain_shortens_horizons_beyond_the_outcome_cap():
    conf = np.full((4, 4), 0.1) + 0.6 * np.eye(4)
    p = [0.4, 0.3, 0.2, 0.1]
    np.testing.assert_allclose(expected_gain(p, conf, 500), expected_gain(p, conf, 12))


def test_expected_gain_validates():
    with pytest.raises(ValueError, match="confusion"):
        expected_gain([0.5, 0.5], np.eye(3), 1)
    with pytest.raises(ValueError, match="horizon"):
        expected_gain([0.5, 0.5], np.eye(2), -1)
    with pytest.raises(ValueError, match="horizon"):
        expected_gain([0.5, 0.5], np.eye(2), 1.5)


def test_policy_with_min_gain_stops_items_labels_cannot_help():
    policy = StoppingPolicy(min_labels=1, max_labels=10, target_confidence=0.99, min_gain=0.01)
    noise = np.full((2, 2), 0.5)
    good = np.array([[0.9, 0.1], [0.1, 0.9]])
    p = np.array([[0.6, 0.4], [0.6, 0.4]])
    # confidence alone keeps asking on both; with min_gain, random workers cannot help
    assert needs_more(p, [1, 1], StoppingPolicy(1, 10, 0.99)).tolist() == [True, True]
    assert needs_more(p, [1, 1], policy, confusion=noise).tolist() == [False, False]
    assert needs_more(p[0], 1, policy, confusion=good) is True
    # the budget left counts: one label can't flip [0.95, 0.05] with a 0.9 worker
    assert needs_more([0.95, 0.05], 9, policy, confusion=good) is False
    assert needs_more([0.95, 0.05], 1, policy, confusion=good) is True
    # fewer labels available than max_labels shortens the horizon too
    assert needs_more([0.95, 0.05], 1, policy, confusion=good, available=2) is False
    with pytest.raises(ValueError, match="confusion"):
        needs_more(p, [1, 1], policy)
