"""How likely an innocent key matches a leak this well: a binomial tail, and its correction
for having tried many keys (Bonferroni: conservative, and needs no independence)."""

from __future__ import annotations

import math


def binomial_tail(k: int, n: int, p: float = 0.5) -> float:
    """P(X >= k) for X ~ Binomial(n, p), exact (summed in log space)."""
    if not 0 <= k <= n or not 0.0 < p < 1.0:
        if k <= 0:
            return 1.0
        if k > n:
            return 0.0
        raise ValueError("p must be strictly between 0 and 1")
    log_p, log_q = math.log(p), math.log1p(-p)
    base = math.lgamma(n + 1)
    terms = [base - math.lgamma(j + 1) - math.lgamma(n - j + 1) + j * log_p + (n - j) * log_q
             for j in range(k, n + 1)]
    top = max(terms)
    return min(1.0, math.exp(top) * sum(math.exp(t - top) for t in terms))


def corrected(p: float, tried: int) -> float:
    """The chance that any of ``tried`` innocent keys does as well as ``p`` (at most 1)."""
    return min(1.0, p * max(1, tried))
