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
