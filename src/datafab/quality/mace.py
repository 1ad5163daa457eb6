"""MACE: workers who either know the answer or spam by a personal strategy."""

from __future__ import annotations

import numpy as np
from scipy.special import digamma

from . import _em
from ._base import CategoricalAggregator
from ._inputs import Gold, Labels, check_iterations, check_positive
from .majority_vote import _gold_mask

#: Initial spamming probabilities of the deterministic restarts, in order. Every worker
#: starts alike, so the fit cannot depend on how workers (or items) are numbered.
RESTART_SPAM = (0.5, 0.2, 0.8, 0.35, 0.65, 0.1, 0.9, 0.05, 0.95, 0.5)


class MACE(CategoricalAggregator):
    r"""MACE — Multi-Annotator Competence Estimation (D. Hovy, T. Berg-Kirkpatrick,
    A. Vaswani, E. Hovy, "Learning Whom to Trust with MACE", NAACL-HLT 2013).

    Item ``i`` has a class ``z_i`` uniform over ``K``. For each label worker ``w`` spams with
    probability ``θ_w`` — then draws the label from their own strategy ``ξ_w`` — and otherwise
    reports ``z_i``: ``P(l | z = c) = (1 - θ_w)[l = c] + θ_w ξ_w[l]``, a confusion matrix, so
    the E-step is the Dawid–Skene one. M-step: each label's probability of being known is
    ``P(z = l)(1 - θ)/((1 - θ) + θ ξ[l])``; expected "knowing" and "spamming" counts update
    ``θ`` and ``ξ``. ``method="vb"`` (default, as in the paper and crowd-kit) is the
    variational-Bayes update ``exp ψ(count + prior) / exp ψ(total + prior total)`` with a
    Beta(``alpha``, ``beta``) prior on spamming and a symmetric Dirichlet(``strategy_prior``)
    on strategies; ``method="em"`` adds ``smoothing`` to the counts instead.

    Restarts are deterministic: restart 0 starts from the majority-vote posterior, restart
    ``r > 0`` from every worker spamming with probability ``RESTART_SPAM[r]`` and a uniform
    strategy. The fit with the highest log marginal likelihood wins (earliest on ties), so
    the result does not depend on a seed or on how workers are numbered. Each restart stops
    after ``n_iter`` iterations or when the log-likelihood per label changes by < ``tol``.
    ``fit_prior=True`` learns the class prior (mean posterior) instead of MACE's uniform one —
    an extension, not in the paper; it helps on skewed classes.
    ``skills_`` is the competence ``1 - θ_w`` (normalised), ``strategies_`` is ``ξ``.
    """

    def __init__(
        self,
        n_restarts: int = 3,
        n_iter: int = 50,
        tol: float = 1e-5,
        method: str = "vb",
        alpha: float = 0.5,
        beta: float = 0.5,
        strategy_prior: float = 10.0,
        smoothing: float = 0.01,
        fit_prior: bool = False,
    ) -> None:
        check_iterations(n_iter, tol)
        if not isinstance(n_restarts, int) or not 1 <= n_restarts <= len(RESTART_SPAM):
            raise ValueError(f"n_restarts must be an integer in [1, {len(RESTART_SPAM)}]")
        if method not in ("vb", "em"):
            raise ValueError(f"method must be 'vb' or 'em', got {method!r}")
        self.n_restarts = n_restarts
        self.n_iter = n_iter
        self.tol = tol
        self.method = method
        self.alpha = check_positive(alpha, "alpha")
        self.beta = check_positive(beta, "beta")
        self.strategy_prior = check_positive(strategy_prior, "strategy_prior")
        self.smoothing = check_positive(smoothing, "smoothing", allow_zero=True)
        self.fit_prior = bool(fit_prior)

    def _fit_labels(self, lab: Labels, g: Gold) -> MACE:
        k, nw = lab.n_classes, lab.n_workers
        dtype = _em.working_dtype(lab.n_labels)
        inc = _em.Incidence(lab, dtype)
        uniform = np.full(k, -np.log(k))
        informed = inc.has_labels | _gold_mask(g, lab.n_items)
        per_label = max(lab.n_labels, 1)
        best: tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int] | None = None
        for r in range(self.n_restarts):
            log_prior = uniform
            if r == 0:
                post, _ = _em.vote_posterior(lab, g, dtype)
                spam, know, strat = self._m_step(
                    inc, post, np.full(nw, 0.5), np.full(nw, 0.5), np.full((nw, k), 1.0 / k)
                )
            else:
                spam = np.full(nw, RESTART_SPAM[r])
                know = 1.0 - spam
                strat = np.full((nw, k), 1.0 / k)
            ll_prev = -np.inf
            ll = -np.inf
            it = 0
            for it in range(1, self.n_iter + 1):  # noqa: B007 - read after the loop
                conf = _confusion(spam, know, strat)
                post, ll = inc.e_step(_em.safe_log(conf), log_prior, g)
                ll /= per_label
                spam, know, strat = self._m_step(inc, post, spam, know, strat)
                if self.fit_prior:
                    log_prior = np.log(_em.class_prior(post, informed))
                if abs(ll - ll_prev) < self.tol:
                    break
                ll_prev = ll
            if best is None or ll > best[0]:
                best = (ll, spam, know, strat, log_prior, it)
        assert best is not None
        ll, spam, know, strat, log_prior, it = best
        conf = _confusion(spam, know, strat)
        post, _ = inc.e_step(_em.safe_log(conf), log_prior, g)
        post = post.astype(np.float64)
        self.probas_ = post
        self.labels_ = _em.decide(post, inc.has_labels, g[0])
        self.priors_ = np.exp(log_prior)
        self.skills_ = know / (know + spam)
        self.strategies_ = strat
        self.confusions_ = conf / conf.sum(axis=2, keepdims=True)
        self.log_likelihood_ = ll
        self.n_iter_ = it
        return self

    def _m_step(
        self,
        inc: _em.Incidence,
        post: np.ndarray,
        spam: np.ndarray,
        know: np.ndarray,
        strat: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        counts = inc.expected_counts(post).astype(np.float64)  # (W, true, observed)
        n_wl = counts.sum(axis=1)  # labels l given by w
        right = np.diagonal(counts, axis1=1, axis2=2)  # Σ P(z = l) over w's labels l
        share = know[:, None] / (know[:, None] + spam[:, None] * strat)
        know_wl = right * share
        spam_wl = np.maximum(n_wl - know_wl, 0.0)
        n_know = know_wl.sum(axis=1)
        n_spam = spam_wl.sum(axis=1)
        if self.method == "vb":
            total = np.exp(digamma(n_know + n_spam + self.alpha + self.beta))
            new_spam = np.exp(digamma(n_spam + self.alpha)) / total
            new_know = np.exp(digamma(n_know + self.beta)) / total
            s = spam_wl + self.strategy_prior
            new_strat = np.exp(digamma(s)) / np.exp(digamma(s.sum(axis=1, keepdims=True)))
        else:
            sm = self.smoothing
            total = n_know + n_spam + 2 * sm
            new_spam = (n_spam + sm) / total
            new_know = (n_know + sm) / total
            s = spam_wl + sm
            new_strat = s / s.sum(axis=1, keepdims=True)
        return new_spam, new_know, new_strat


def _confusion(spam: np.ndarray, know: np.ndarray, strat: np.ndarray) -> np.ndarray:
    """(W, K, K) with ``[w, c, l] = know_w [l = c] + spam_w ξ_w[l]`` (unnormalised under VB)."""
    k = strat.shape[1]
    conf = np.repeat((spam[:, None] * strat)[:, None, :], k, axis=1)
    idx = np.arange(k)
    conf[:, idx, idx] += know[:, None]
    return conf
