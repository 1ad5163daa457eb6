"""Gold accuracy with a Wilson interval."""

from __future__ import annotations

import numpy as np
import pytest

from datafab.quality import gold_accuracy, wilson_interval


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


def test_gold_accuracy_per_worker():
    out = gold_accuracy([0, 1, 0, 1, 2], [0, 0, 1, 1, 1], [1, 0, 0, 0, 1], {0: 1, 1: 0})
    np.testing.assert_allclose(out["correct"], [2, 1])
    np.testing.assert_allclose(out["total"], [2, 2])
    np.testing.assert_allclose(out["accuracy"], [1.0, 0.5])
    assert np.all(out["low"] <= out["accuracy"]) and np.all(out["accuracy"] <= out["high"])
