"""Agreement measures on textbook examples."""

from __future__ import annotations

import numpy as np
import pytest

from datafab.quality import (
    category_counts,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    krippendorff_alpha_from_labels,
    worker_agreement,
)

nan = np.nan
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers,
# 12 units, missing values.
KRIPPENDORFF = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
)


@pytest.mark.parametrize(
    ("level", "expected"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_published_example(level, expected):
    assert krippendorff_alpha(KRIPPENDORFF, level) == pytest.approx(expected, abs=5e-4)


def test_krippendorff_long_format_matches_matrix():
    raters, units = np.nonzero(~np.isnan(KRIPPENDORFF))
    values = KRIPPENDORFF[raters, units]
    assert krippendorff_alpha_from_labels(units, values, "interval") == pytest.approx(
        krippendorff_alpha(KRIPPENDORFF, "interval")
    )


def test_krippendorff_perfect_and_degenerate():
    assert krippendorff_alpha([[1, 2, 3], [1, 2, 3]]) == pytest.approx(1.0)
    assert np.isnan(krippendorff_alpha([[1, 1], [1, 1]]))  # no variation at all
    with pytest.raises(ValueError, match="level"):
        krippendorff_alpha(KRIPPENDORFF, "fuzzy")  # type: ignore[arg-type]


# Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories.
FLEISS = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)


def test_fleiss_wikipedia_example():
    assert fleiss_kappa(FLEISS) == pytest.approx(0.210, abs=5e-4)


def test_fleiss_from_labels():
    counts = category_counts([0, 0, 0, 1, 1, 1], [0, 0, 0, 1, 1, 1], n_classes=2)
    assert counts.tolist() == [[3, 0], [0, 3]]
    assert fleiss_kappa(counts) == pytest.approx(1.0)


def test_cohen_wikipedia_example():
    # 50 proposals: both yes 20, both no 15, A yes / B no 5, A no / B yes 10 -> kappa 0.4
    a = np.array([1] * 20 + [0] * 15 + [1] * 5 + [0] * 10)
    b = np.array([1] * 20 + [0] * 15 + [0] * 5 + [1] * 10)
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert cohen_kappa(a, a) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="equal lengths"):
        cohen_kappa([0, 1], [0])


def test_worker_agreement_with_consensus():
    consensus = np.array([0, 1, -1])
    agree = worker_agreement([0, 1, 0, 1, 2], [0, 0, 1, 1, 2], [0, 1, 1, 1, 0], consensus)
    np.testing.assert_allclose(agree, [1.0, 0.5, nan])


def test_cohen_kappa_matches_scikit_learn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(7)
    for _ in range(20):
        a = rng.integers(0, 4, size=50)
        b = np.where(rng.random(50) < 0.6, a, rng.integers(0, 4, size=50))
        assert cohen_kappa(a, b) == pytest.approx(metrics.cohen_kappa_score(a, b))


def test_masi_distance_by_hand():
    from datafab.quality import masi_distance

    assert masi_distance({"a", "b"}, {"b", "a"}) == 0.0
    assert masi_distance({"a"}, {"a", "b"}) == pytest.approx(1 - 1 / 2 * 2 / 3)
    assert masi_distance({"a", "b"}, {"b", "c"}) == pytest.approx(1 - 1 / 3 * 1 / 3)
    assert masi_distance({"a"}, {"b"}) == 1.0
    assert masi_distance(set(), set()) == 0.0


def test_krippendorff_alpha_for_label_sets():
    from datafab.quality import krippendorff_alpha_sets

    # {a},{a} | {b},{b} | {a},{a,b}: o_AA = o_BB = 2, o_AC = o_CA = 1; δ_AB = 1,
    # δ_AC = δ_BC = 2/3; α = 1 - 5 · (4/3) / (56/3) = 9/14
    item = [0, 0, 1, 1, 2, 2]
    sets = [{"a"}, {"a"}, {"b"}, {"b"}, {"a"}, {"a", "b"}]
    assert krippendorff_alpha_sets(item, sets) == pytest.approx(9 / 14)
    # singletons: MASI is the nominal distance, so the published nominal value comes back
    raters, units = np.nonzero(~np.isnan(KRIPPENDORFF))
    singletons = [{v} for v in KRIPPENDORFF[raters, units]]
    assert krippendorff_alpha_sets(units, singletons) == pytest.approx(0.743, abs=5e-4)
    assert np.isnan(krippendorff_alpha_sets([0, 0], [{"a"}, {"a"}]))


def test_set_agreement_with_a_consensus():
    from datafab.quality import set_agreement

    share = set_agreement([0, 0, 1, 1], [0, 1, 0, 1], [{"a"}, {"a", "b"}, {"b"}, {"c"}],
                          [{"a"}, None])
    assert share[0] == 1.0 and share[1] == pytest.approx(1 / 2 * 2 / 3)
