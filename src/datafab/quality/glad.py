"""GLAD: worker ability times item easiness."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from . import _em
from ._base import CategoricalAggregator
from ._inputs import Gold, Labels, check_iterations
from .majority_vote import _gold_mask


class GLAD(CategoricalAggregator):
    r"""GLAD — Generative model of Labels, Abilities, and Difficulties (J. Whitehill,
    P. Ruvolo, T. Wu, J. Bergsma, J. Movellan, "Whose Vote Should Count More: Optimal
    Integration of Labels from Labelers of Unknown Expertise", NeurIPS 2009).

    Worker ``w`` has ability ``α_w ∈ ℝ`` (negative = adversarial), item ``i`` inverse
    difficulty ``β_i = exp(b_i) > 0``. The label is right with probability
    ``σ(α_w β_i)``, otherwise uniform over the other ``K - 1`` classes. Priors
    ``α ~ N(alpha_mean, 1)``, ``b ~ N(beta_mean, 1)`` (crowd-kit's parametrisation and
    defaults, so results are comparable); class prior uniform unless ``fit_prior``.

    EM. E-step: ``log P(z_i = c) = log π_c + Σ_j [l_j = c](x_j + log(K-1)) + const`` with
    ``x_j = α_w β_i`` (because ``log σ(x) - log(1 - σ(x)) = x``). M-step: with
    ``q_j = P(z_i = l_j)`` the expected log-likelihood is
    ``Σ_j q_j log σ(x_j) + (1 - q_j) log(1 - σ(x_j))`` + priors, separable in ``α`` given
    ``β`` and in ``b`` given ``α``; we take ``m_step_iter`` alternating Gauss–Newton sweeps
    (gradient ``Σ (q - σ) ∂x``, curvature ``Σ σ(1-σ) (∂x)² + 1``) instead of crowd-kit's
    conjugate gradient. Stops on ``n_iter`` or a change of the log-likelihood per label below
    ``tol``. ``skills_`` is ``α``; ``betas_`` is ``β``.
    """

    def __init__(
        self,
        n_iter: int = 100,
        tol: float = 1e-5,
        alpha_mean: float = 1.0,
        beta_mean: float = 1.0,
        m_step_iter: int = 1,
        fit_prior: bool = False,
    ) -> None:
        check_iterations(n_iter, tol)
        check_iterations(m_step_iter, 0.0)
        self.n_iter = n_iter
        self.tol = tol
        self.alpha_mean = float(alpha_mean)
        self.beta_mean = float(beta_mean)
        self.m_step_iter = m_step_iter
        self.fit_prior = bool(fit_prior)

    def _fit_labels(self, lab: Labels, g: Gold) -> GLAD:
        k, ni, nw = lab.n_classes, lab.n_items, lab.n_workers
        dtype = _em.working_dtype(lab.n_labels)
        # Rows sorted by item so per-item sums are segment sums (np.add.reduceat).
        order = np.argsort(lab.item, kind="stable") if np.any(np.diff(lab.item) < 0) else None
        it_ = lab.item if order is None else lab.item[order]
        wk = lab.worker if order is None else lab.worker[order]
        lb = lab.label if order is None else lab.label[order]
        flat = it_ * k + lb
        per_item = np.bincount(it_, minlength=ni)
        has = per_item > 0
        starts = np.concatenate([[0], np.cumsum(per_item)[:-1]])[has]

        def item_sum(v: np.ndarray) -> np.ndarray:
            out = np.zeros(ni, dtype=np.float64)
            if v.size:
                out[has] = np.add.reduceat(v, starts)
            return out

        informed = has | _gold_mask(g, ni)
        log_k1 = float(np.log(k - 1)) if k > 1 else 0.0
        flat_counts = np.bincount(flat, minlength=ni * k).reshape(ni, k)
        alpha = np.full(nw, self.alpha_mean)
        b = np.full(ni, self.beta_mean)
        log_prior = np.full(k, -np.log(k))
        ll_prev = ll = -np.inf
        n_done = 0
        post = np.full((ni, k), 1.0 / k, dtype=dtype)
        n_lab = max(lab.n_labels, 1)
        for n_done in range(1, self.n_iter + 1):  # noqa: B007 - read after the loop
            # E-step. x = α_w β_i; log σ(x) - log(1 - σ(x)) = x; log(1 - σ(x)) = -softplus(x).
            beta_j = np.exp(b).astype(dtype)[it_]
            x = alpha.astype(dtype)[wk]
            x *= beta_j
            e = np.exp(-np.abs(x))
            sig = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(dtype, copy=False)
            softplus = np.maximum(x, 0) + np.log1p(e)
            if k > 1:
                s = np.bincount(flat, weights=x, minlength=ni * k).reshape(ni, k).astype(float)
                s += log_k1 * flat_counts
                s += (log_prior - log_k1 * per_item[:, None]) - item_sum(softplus)[:, None]
                post, ll = _em.normalise_log(s.astype(dtype), has, g)
            else:
                post = np.ones((ni, 1), dtype=dtype)
                ll = -float(np.sum(softplus, dtype=np.float64))
            ll = (
                ll
                - 0.5 * np.sum((alpha - self.alpha_mean) ** 2)
                - 0.5 * np.sum((b - self.beta_mean) ** 2)
            ) / n_lab
            if self.fit_prior:
                log_prior = np.log(_em.class_prior(post, informed))
            # M-step: alternating Gauss–Newton sweeps on α (per worker) and b (per item).
            q = post.ravel()[flat]
            for sweep in range(self.m_step_iter):
                if sweep:
                    beta_j = np.exp(b).astype(dtype)[it_]
                    x = alpha.astype(dtype)[wk] * beta_j
                    sig = _expit(x)
                r = q - sig
                v = sig * (1 - sig)
                grad = np.bincount(wk, weights=r * beta_j, minlength=nw)
                curv = np.bincount(wk, weights=v * beta_j * beta_j, minlength=nw)
                alpha += np.clip((grad - (alpha - self.alpha_mean)) / (curv + 1.0), -2, 2)
                x = alpha.astype(dtype)[wk] * beta_j
                sig = _expit(x)
                r = q - sig
                grad = item_sum(r * x)
                curv = item_sum(sig * (1 - sig) * x * x)
                b += np.clip((grad - (b - self.beta_mean)) / (curv + 1.0), -2, 2)
            if abs(ll - ll_prev) < self.tol:
                break
            ll_prev = ll
        post = post.astype(np.float64)
        prior = np.exp(log_prior)
        empty = ~informed
        post[empty] = prior
        self.probas_ = post
        self.labels_ = _em.decide(post, has, g[0])
        self.priors_ = prior
        self.skills_ = alpha
        self.betas_ = np.exp(b)
        typical = float(np.exp(np.mean(b[has]))) if has.any() else float(np.exp(self.beta_mean))
        self.confusions_ = _em.one_coin_confusions(expit(alpha * typical), k)
        self.log_likelihood_ = ll
        self.n_iter_ = n_done
        return self


def _expit(x: np.ndarray) -> np.ndarray:
    result: np.ndarray = expit(x).astype(x.dtype, copy=False)
    return result
