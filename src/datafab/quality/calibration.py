"""Is a model right as often as it says? Confidence bins, reliability and the expected
calibration error.

A model that states confidence ``c`` should be right on a share ``c`` of such answers. The
expected calibration error (Naeini, Cooper and Hauskrecht, "Obtaining Well Calibrated
Probabilities Using Bayesian Binning", AAAI 2015; Guo et al., "On Calibration of Modern Neural
Networks", ICML 2017) bins answers by stated confidence and averages ``|accuracy - mean
confidence|`` over the bins, weighted by how many answers fall in each:

    ECE = Σ_b (n_b / n) · |acc_b - conf_b|
"""

from __future__ import annotations

from typing import Any

import numpy as np

CONFIDENCE_BINS = 20  # bins of width 0.05 on [0, 1]


def confidence_bin(confidence: Any, n_bins: int = CONFIDENCE_BINS) -> Any:
    """The bin of each confidence in [0, 1]: ``floor(c · n_bins)``, with 1.0 in the top bin."""
    c = np.asarray(confidence, dtype=np.float64)
    if np.any(~np.isfinite(c)) or np.any(c < 0) or np.any(c > 1):
        raise ValueError("confidence must be in [0, 1]")
    b = np.minimum((c * n_bins).astype(np.int64), n_bins - 1)
    return int(b) if b.ndim == 0 else b


def binned(
    confidence: Any, correct: Any, n_bins: int = CONFIDENCE_BINS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per bin: how many answers, how many right, and the sum of their stated confidences."""
    c = np.asarray(confidence, dtype=np.float64)
    ok = np.asarray(correct, dtype=np.float64)
    if c.shape != ok.shape or c.ndim != 1:
        raise ValueError("confidence and correct must be 1-D arrays of equal length")
    b = confidence_bin(c, n_bins) if c.size else np.zeros(0, dtype=np.int64)
    seen = np.bincount(b, minlength=n_bins).astype(np.float64)
    right = np.bincount(b, weights=ok, minlength=n_bins)
    total = np.bincount(b, weights=c, minlength=n_bins)
    return seen, right, total


def expected_calibration_error(confidence: Any, correct: Any,
                               n_bins: int = CONFIDENCE_BINS) -> float:
    """ECE of answers with stated ``confidence`` that were ``correct`` (bool/0-1); NaN if none."""
    return ece_from_bins(*binned(confidence, correct, n_bins))


def ece_from_bins(seen: Any, correct: Any, confidence_sum: Any) -> float:
    """ECE from per-bin counts (as :func:`binned` returns or the line stores)."""
    n = np.asarray(seen, dtype=np.float64)
    if n.sum() == 0:
        return float("nan")
    k = np.asarray(correct, dtype=np.float64)
    s = np.asarray(confidence_sum, dtype=np.float64)
    safe = np.where(n > 0, n, 1.0)
    gap = np.abs(k / safe - s / safe)
    return float(np.sum(n * gap) / n.sum())


def at_or_above(seen: Any, correct: Any, threshold: float,
                n_bins: int = CONFIDENCE_BINS) -> tuple[int, int]:
    """(answers, right answers) in the bins from the one holding ``threshold`` upwards: the
    evidence of how often the model is right when it is at least this sure. The threshold's
    own bin is included whole, so the evidence leans to the cautious side."""
    first = confidence_bin(threshold, n_bins)
    n = np.asarray(seen)[first:]
    k = np.asarray(correct)[first:]
    return int(np.sum(n)), int(np.sum(k))
