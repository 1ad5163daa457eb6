"""Dawid–Skene: one full confusion matrix per worker, fitted by EM."""

from __future__ import annotations

import numpy as np

from . import _em
from ._base import CategoricalAggregator
from ._inputs import Gold, Labels, check_iterations, check_positive
from .majority_vote import _gold_mask


class DawidSkene(CategoricalAggregator):
    r"""Dawid–Skene truth inference (A. P. Dawid and A. M. Skene, "Maximum Likelihood
    Estimation of Observer Error-Rates Using the EM Algorithm", *Applied Statistics* 28(1),
    1979).

    Model: item ``i`` has a hidden class ``z_i ~ Categorical(π)``; worker ``w`` labelling it
    says ``l`` with probability ``θ_w[z_i, l]`` (a K × K confusion matrix per worker), labels
    independent given ``z``. EM from the majority-vote posterior:

    * E-step: ``P(z_i = c) ∝ π_c Π_{(w, l) on i} θ_w[c, l]`` (in log space);
    * M-step: ``θ_w[c, l] = (n_w[c, l] + a_{cl}) / Σ_l' (n_w[c, l'] + a_{cl'})`` where ``n_w`` are
      the expected counts and ``a`` the Dirichlet pseudo-counts (``prior_correct`` on the
      diagonal, ``prior_wrong`` elsewhere) — MAP-EM, so a worker with a handful of labels
      cannot get a confusion row of exact zeros, and the diagonal lean keeps a lone worker's
      labels from drifting where the likelihood is flat; ``π = mean posterior`` over
      labelled items.

    Stops after ``n_iter`` iterations or when the log-likelihood per label changes by less
    than ``tol`` (crowd-kit's defaults: 100, 1e-5). ``gold`` items are clamped to one-hot.
    Attributes: see :class:`~datafab.quality._base.CategoricalAggregator`; also
    ``log_likelihood_`` and ``n_iter_``.
    """

    def __init__(
        self,
        n_iter: int = 100,
        tol: float = 1e-5,
        prior_correct: float = 0.1,
        prior_wrong: float = 0.05,
    ) -> None:
        check_iterations(n_iter, tol)
        self.n_iter = n_iter
        self.tol = tol
        self.prior_correct = check_positive(prior_correct, "prior_correct", allow_zero=True)
        self.prior_wrong = check_positive(prior_wrong, "prior_wrong")

    def _pseudo(self, k: int) -> np.ndarray:
        return self.prior_wrong + (self.prior_correct - self.prior_wrong) * np.eye(k)

    def _fit_labels(self, lab: Labels, g: Gold) -> DawidSkene:
        dtype = _em.working_dtype(lab.n_labels)
        inc = _em.Incidence(lab, dtype)
        post, _ = _em.vote_posterior(lab, g, dtype)
        informed = inc.has_labels | _gold_mask(g, lab.n_items)
        pseudo = self._pseudo(lab.n_classes)
        ll_prev = ll = -np.inf
        it = 0
        for it in range(1, self.n_iter + 1):  # noqa: B007 - read after the loop
            prior = _em.class_prior(post, informed)
            conf = self._m_step(inc, post, pseudo)
            post, ll = inc.e_step(_em.safe_log(conf), np.log(prior), g)
            ll /= max(lab.n_labels, 1)
            if abs(ll - ll_prev) < self.tol:
                break
            ll_prev = ll
        prior = _em.class_prior(post, informed)
        conf = self._m_step(inc, post, pseudo)
        self._store(post, conf, prior, inc, g, ll, it)
        return self

    def _m_step(self, inc: _em.Incidence, post: np.ndarray, pseudo: np.ndarray) -> np.ndarray:
        counts = inc.expected_counts(post).astype(np.float64) + pseudo
        result: np.ndarray = counts / counts.sum(axis=2, keepdims=True)
        return result

    def _store(self, post: np.ndarray, conf: np.ndarray, prior: np.ndarray, inc: _em.Incidence,
               g: Gold, ll: float, it: int) -> None:
        # Items without labels (and not gold) keep the fitted prior as their posterior.
        post = post.astype(np.float64, copy=False)
        empty = ~inc.has_labels
        empty[g[0]] = False
        post[empty] = prior
        self.probas_ = post
        self.labels_ = _em.decide(post, inc.has_labels, g[0])
        self.priors_ = prior
        self.confusions_ = conf
        self.skills_ = np.einsum("c,wcc->w", prior, conf)
        self.log_likelihood_ = ll
        self.n_iter_ = it
