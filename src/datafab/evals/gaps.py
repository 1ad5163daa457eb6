"""Which slices a model is weakest on, from per-slice leaderboard figures.

A slice is a *gap* for a model when either

* its score is low and we are sure of it: the upper end of its interval is below
  ``low`` (default 0.6) — "it can't do this yet", or
* it is far below the best model on that slice beyond doubt: its upper bound is below the
  best model's lower bound — "others can, so data can teach it".

Gaps come worst first (lowest upper bound, then biggest shortfall behind the best).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SliceFigure:
    slice: str
    score: float
    lo: float
    hi: float
    n: int
    best_model: str
    best_score: float
    best_lo: float


def find_gaps(figures: list[SliceFigure], *, low: float = 0.6,
              min_judgments: int = 1) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for f in figures:
        if f.n < min_judgments:
            continue
        reasons = []
        if f.hi < low:
            reasons.append("low")
        if f.hi < f.best_lo:
            reasons.append("behind_best")
        if not reasons:
            continue
        out.append({"slice": f.slice, "score": f.score, "ci": [f.lo, f.hi], "n": f.n,
                    "best_model": f.best_model, "best_score": f.best_score,
                    "shortfall": f.best_score - f.score, "reasons": reasons})
    out.sort(key=lambda g: (g["ci"][1], -g["shortfall"]))
    return out


def slice_skills(slices: dict[str, Any]) -> list[str]:
    """The skills a slice asks of a contributor: its tag values except difficulty."""
    return sorted({str(v) for k, v in slices.items() if k != "difficulty" and v not in
                   (None, "")})


def slice_keys(slices: dict[str, Any]) -> list[str]:
    """The slice names an item belongs to: ``"domain=math"`` for each tag."""
    return [f"{k}={v}" for k, v in sorted(slices.items()) if v not in (None, "")]
