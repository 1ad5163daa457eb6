"""One-coin Dawid–Skene: one accuracy per worker, errors spread evenly."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _em
from ._inputs import Gold, Labels, check_positive
from .dawid_skene import DawidSkene


class OneCoinDawidSkene(DawidSkene):
    r"""Dawid–Skene restricted to one "coin" per worker: worker ``w`` is right with
    probability ``p_w`` and otherwise says each wrong class with probability
    ``(1 - p_w) / (K - 1)`` (the symmetric model of e.g. Karger, Oh and Shah, NeurIPS 2011,
    and the "ZenCrowd" model of Demartini et al., WWW 2012, with a learned class prior).

    EM as in :class:`DawidSkene`; the M-step pools the expected counts:
    ``p_w = (Σ_c n_w[c, c] + a) / (n_w + a + b)`` — a Beta(a, b) MAP estimate with
    ``a = prior_correct``, ``b = prior_wrong`` pseudo-labels. Far fewer parameters than full
    Dawid–Skene, so it suits sparse workers. ``skills_`` is ``p_w``.
    """

    def __init__(
        self,
        n_iter: int = 100,
        tol: float = 1e-5,
        prior_correct: float = 1.0,
        prior_wrong: float = 1.0,
    ) -> None:
        super().__init__(n_iter, tol, prior_correct, prior_wrong)
        check_positive(prior_correct, "prior_correct")

    def _fit_labels(self, lab: Labels, g: Gold) -> OneCoinDawidSkene:
        super()._fit_labels(lab, g)  # EM as in Dawid–Skene, with this M-step
        self.skills_ = np.diagonal(self.confusions_, axis1=1, axis2=2)[:, 0].copy()
        return self

    def _m_step(self, inc: _em.Incidence, post: np.ndarray, pseudo: Any) -> np.ndarray:
        counts = inc.expected_counts(post).astype(np.float64)
        right = np.trace(counts, axis1=1, axis2=2)
        total = counts.sum(axis=(1, 2))
        acc = (right + self.prior_correct) / (total + self.prior_correct + self.prior_wrong)
        return _em.one_coin_confusions(acc, inc.n_classes)
