"""The audit and selection maths on cases worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from datafab.quality import curation as c


def test_thresholds_are_the_mean_self_confidence_per_class():
    proba = np.array([[0.9, 0.1], [0.7, 0.3], [0.4, 0.6], [0.2, 0.8]])
    given = np.array([0, 0, 1, 1])
    assert np.allclose(c.class_thresholds(proba, given), [0.8, 0.7])


def test_adjusting_removes_a_class_bias():
    # the model is shy of class 1 (threshold 0.4): 0.35 for class 1 is a lot
    adjusted = c.adjusted(np.array([[0.65, 0.35]]), np.array([0.8, 0.4]))
    assert adjusted[0, 1] > adjusted[0, 0]
    assert np.allclose(adjusted.sum(axis=1), 1.0)


def test_combining_multiplies_independent_evidence():
    model = np.array([[0.8, 0.2], [0.8, 0.2]])
    crowd = np.array([[0.2, 0.8], [0.5, 0.5]])
    out = c.combine(model, crowd, np.array([0.5, 0.5]), np.array([True, False]))
    assert np.allclose(out[0], [0.5, 0.5])  # 0.8·0.2 = 0.2·0.8
    assert np.allclose(out[1], [0.8, 0.2])  # no crowd evidence on this row


def test_p_wrong_and_flags():
    probs = np.array([[0.7, 0.3], [0.5, 0.5], [0.1, 0.9]])
    current = np.array([0, 1, 0])
    assert np.allclose(c.p_wrong(probs, current), [0.3, 0.5, 0.9])
    assert c.flagged(probs, current).tolist() == [False, False, True]  # a tie keeps the label


def test_the_error_rate_has_a_wilson_interval():
    rate, low, high = c.error_rate(2, 20)
    assert rate == pytest.approx(0.1)
    assert low == pytest.approx(0.0279, abs=1e-3) and high == pytest.approx(0.3010, abs=1e-3)
    assert c.error_rate(0, 0) == (0.0, 0.0, 1.0)
    with pytest.raises(ValueError):
        c.error_rate(3, 2)


def test_out_of_fold_probabilities_never_see_their_own_label():
    # two identical texts with different labels: a model that saw the row would lean to it
    texts = ["red red red"] * 10 + ["blue blue blue"] * 10
    y = np.array([0] * 10 + [1] * 10)
    y[0] = 1  # one "red" text labelled blue
    proba = c.out_of_fold_proba(texts, y, 2, folds=5)
    assert proba[0, 0] > 0.5  # the red texts it did see say red
    assert np.allclose(proba.sum(axis=1), 1.0)


def test_out_of_fold_needs_two_classes():
    with pytest.raises(ValueError, match="two classes"):
        c.out_of_fold_proba(["a", "b", "c"], np.array([0, 0, 0]), 2)


def test_selection_prefers_uncertain_then_different_rows():
    proba = np.array([[0.5, 0.5], [0.5, 0.5], [0.99, 0.01], [0.6, 0.4]])
    features = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    order = c.select(proba, features, 2)
    assert order[0] in (0, 1)
    assert set(order.tolist()) != {0, 1}  # the twin of the first pick is not the second
    weak = np.array([False, False, True, False])
    assert c.select(proba, features, 1, weak=weak).tolist() == [2]


def test_margin_uncertainty_is_one_minus_the_gap_of_the_two_best():
    proba = np.array([[0.5, 0.5, 0.0], [0.7, 0.2, 0.1], [1.0, 0.0, 0.0]])
    assert c.margin_uncertainty(proba) == pytest.approx([1.0, 0.5, 0.0])


def test_selection_takes_one_item_per_cluster_of_uncertain_twins():
    # five near twins, all very uncertain, and two other uncertain rows of their own kinds
    features = np.array([[1.0, 0.0, 0.0]] * 5 + [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    features[:5, 1] = np.linspace(0.0, 0.01, 5)
    proba = np.array([[0.5, 0.5]] * 5 + [[0.6, 0.4], [0.65, 0.35]])
    order = c.select(proba, features, 3).tolist()
    assert order[0] in range(5) and order[1:] == [5, 6]


def test_selection_draws_one_item_per_kind_and_the_same_for_a_seed():
    # 30 uncertain rows of three kinds, 20 of the first: a batch of three takes one of each
    rng = np.random.default_rng(0)
    kinds = np.repeat([0, 1, 2], [20, 5, 5])
    features = np.eye(3)[kinds] + rng.normal(0.0, 0.01, (30, 3))
    proba = np.column_stack([np.full(30, 0.55), np.full(30, 0.45)])
    for seed in range(5):
        order = c.select(proba, features, 3, seed=seed)
        assert sorted(kinds[order].tolist()) == [0, 1, 2]
        assert order.tolist() == c.select(proba, features, 3, seed=seed).tolist()


def _kinds_of_uncertain_rows():
    """Labelled rows of two classes on two axes, and 30 candidates of three kinds, 20 of the
    first, all halfway between the classes (so uncertain), each kind apart on a third axis."""
    rng = np.random.default_rng(3)
    labelled = np.vstack([np.tile([1.0, 0.0, 0.0, 0.0], (20, 1)),
                          np.tile([0.0, 1.0, 0.0, 0.0], (20, 1))])
    labelled += rng.normal(0.0, 0.2, labelled.shape)
    labels = np.repeat([0, 1], 20)
    kinds = np.repeat([0, 1, 2], [20, 5, 5])
    candidates = np.column_stack([np.full(30, 0.5), np.full(30, 0.5),
                                  np.array([0.0, 3.0, -3.0])[kinds], np.zeros(30)])
    candidates += rng.normal(0.0, 0.01, candidates.shape)
    return labelled, labels, candidates, kinds


def test_the_committee_averages_bootstrap_models_and_is_the_same_for_a_seed():
    labelled, labels, candidates, _ = _kinds_of_uncertain_rows()
    proba = c.committee_proba(labelled, labels, 2, candidates, seed=4)
    assert proba.shape == (30, 2) and proba.sum(axis=1) == pytest.approx(np.ones(30))
    assert proba.tolist() == c.committee_proba(labelled, labels, 2, candidates,
                                               seed=4).tolist()
    assert proba.tolist() != c.committee_proba(labelled, labels, 2, candidates,
                                               seed=5).tolist()  # other resamples
    # not one model on every row: five on resamples, averaged
    alone = c.fit_predict_proba(labelled, labels, 2, candidates)
    assert not np.allclose(proba, alone)
    assert c.selection_proba(labelled, labels, 2, candidates).tolist() == alone.tolist()
    assert c.selection_proba(labelled, labels, 2, candidates, method="committee",
                             seed=4).tolist() == proba.tolist()


def test_committee_picks_one_item_per_kind_of_uncertain_item_and_the_same_for_a_seed():
    labelled, labels, candidates, kinds = _kinds_of_uncertain_rows()
    for seed in range(3):
        proba = c.selection_proba(labelled, labels, 2, candidates, method="committee",
                                  seed=seed)
        assert c.margin_uncertainty(proba).min() > 0.5  # all of them uncertain
        order = c.select(proba, candidates, 3, seed=seed)
        assert sorted(kinds[order].tolist()) == [0, 1, 2]
        again = c.selection_proba(labelled, labels, 2, candidates, method="committee",
                                  seed=seed)
        assert order.tolist() == c.select(again, candidates, 3, seed=seed).tolist()


def test_an_unknown_selection_method_is_refused():
    labelled, labels, candidates, _ = _kinds_of_uncertain_rows()
    with pytest.raises(ValueError, match="method"):
        c.selection_proba(labelled, labels, 2, candidates, method="entropy")
    with pytest.raises(ValueError, match="method"):
        c.learning_curves(labelled, labels, 2, method="entropy")


def test_a_committee_member_whose_resample_has_one_class_trains_on_every_row():
    # two rows of class 1 among 40: some resamples draw none of them
    x = np.vstack([np.zeros((38, 2)), np.ones((2, 2))]) + np.arange(40)[:, None] * 1e-3
    y = np.array([0] * 38 + [1] * 2)
    proba = c.committee_proba(x, y, 2, x, members=20, seed=0)
    assert proba.shape == (40, 2) and np.isfinite(proba).all()


def test_weak_rows_come_first_even_when_alike_and_sure():
    features = np.array([[1.0, 0.0]] * 3 + [[0.0, 1.0]] * 3)
    proba = np.array([[0.99, 0.01]] * 3 + [[0.5, 0.5]] * 3)
    weak = np.array([True] * 3 + [False] * 3)
    order = c.select(proba, features, 4, weak=weak).tolist()
    assert sorted(order[:3]) == [0, 1, 2] and order[3] in (3, 4, 5)


def test_selection_reduces_wide_sparse_features():
    topics = {0: "apple pear plum fig grape melon", 1: "wheel brake engine gear tyre clutch",
              2: "goal pitch referee match score kick"}
    rng = np.random.default_rng(1)
    texts = [topics[i % 3] + " " + str(rng.choice(topics[i % 3].split())) + f" w{i}"
             for i in range(90)]
    features = c.features_of(texts)
    assert features.shape[1] > c.DIMS
    proba = np.full((90, 3), 1 / 3)
    order = c.select(proba, features, 3)
    assert len(set(order.tolist())) == 3
    assert sorted(int(i) % 3 for i in order) == [0, 1, 2]  # one per topic


def test_labels_to_reach_interpolates():
    curves = {"spent": [10.0, 20.0, 30.0, 40.0], "random": [0.5, 0.6, 0.7, 0.8],
              "selected": [0.5, 0.7, 0.9, 0.95]}
    # 0.8 is reached halfway between 20 (0.7) and 30 (0.9): 25 of 40 labels
    assert c.labels_to_reach(curves) == pytest.approx(25 / 40)
    assert c.labels_to_reach({**curves, "selected": [0.1, 0.2, 0.3, 0.4]}) is None


def test_the_confident_joint_counts_given_against_confident_class():
    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.2, 0.8], [0.1, 0.9]])
    given = np.array([0, 0, 0, 1, 1])
    thresholds = c.class_thresholds(proba, given)  # [(0.9+0.8+0.3)/3, (0.8+0.9)/2]
    joint = c.confident_joint(proba, given, thresholds)
    assert np.allclose(thresholds, [2.0 / 3.0, 0.85])
    # rows: given 0 → items 0, 1 confidently 0, item 2 above no threshold; given 1 → item 4
    # confidently 1, item 3 above none; each row rescaled to its label's count
    assert np.allclose(joint, [[3.0, 0.0], [0.0, 2.0]])
    flags = c.flag_by_count(proba, given, joint)
    assert not flags.any()  # the joint expects no error


def test_flags_are_the_widest_margins_of_each_expected_error():
    proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.1, 0.9], [0.2, 0.8], [0.1, 0.9]])
    given = np.array([0, 0, 0, 1, 1])
    joint = np.array([[2.0, 1.0], [0.0, 2.0]])  # one item given 0 is really 1
    assert c.flag_by_count(proba, given, joint).tolist() == [False, False, True, False, False]
