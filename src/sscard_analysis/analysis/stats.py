"""Statistics shared by the analysis and the reports: intervals and tests for proportions.

Small groups are not over-read: every rate shown beside others carries its
interval, and a change is called a change only when a test says so.
"""

from __future__ import annotations

from scipy.stats import binomtest, fisher_exact


def wilson_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion k/n (None when n = 0)."""
    if not n:
        return None
    ci = binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


def change_test(k1: int, n1: int, k0: int, n0: int) -> float | None:
    """Two-sided Fisher exact p-value that k1/n1 differs from k0/n0 (None without data)."""
    if not (n1 and n0):
        return None
    return float(fisher_exact([[k1, n1 - k1], [k0, n0 - k0]]).pvalue)
