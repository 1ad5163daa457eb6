"""Gold accuracy with a Wilson interval."""

from __future__ import annotations

import math

import numpy as np
import pytest

from datafab.quality import gold_accuracy, two_sided_z, wilson_interval


def test_wilson_by_hand():
    lo, hi = wilson_interval(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-4)
    assert hi == pytest.approx(0.9433, abs=1e-4)


def test_wilson_edges_and_arrays():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    lo, hi = wilson_interval(0, 5)
    assert lo == 0.0 and 0 < hi < 0.5
    lo, hi = wilson_interval(np.array([5, 50]), np.array([10, 100]))
    assert lo[0] < lo[1] < 0.5 < hi[1] < hi[0]
    with pytest.raises(ValueError, match="correct <= total"):
        wilson_interval(3, 2)


def test_interval_at_a_confidence():
    # The z of a two-sided interval: 95% -> 1.959964, 90% -> 1.644854 (normal tables).
    assert two_sided_z(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert two_sided_z(0.9) == pytest.approx(1.644854, abs=1e-6)
    for bad in (0.0, 1.0, 1.5, -0.1):
        with pytest.raises(ValueError, match="confidence"):
            two_sided_z(bad)
    # 2 of 4 right at 90%: Wilson's formula written out by hand, to the last bit.
    z, n, p = two_sided_z(0.9), 4, 0.5
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert wilson_interval(2, 4, z) == (centre - half, centre + half)


def test_gold_accuracy_per_worker():
    out = gold_accuracy([0, 1, 0, 1, 2], [0, 0, 1, 1, 1], [1, 0, 0, 0, 1], {0: 1, 1: 0})
    np.testing.assert_allclose(out["correct"], [2, 1])
    np.testing.assert_allclose(out["total"], [2, 2])
    np.testing.assert_allclose(out["accuracy"], [1.0, 0.5])
    assert np.all(out["low"] <= out["accuracy"]) and np.all(out["accuracy"] <= out["high"])
