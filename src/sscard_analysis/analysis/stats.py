"""Statistics shared by the analysis and the reports: intervals and tests for proportions, counts and means.

Small groups are not over-read: every rate shown beside others carries its
interval, and a change is called a change only when a test says so.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.special import ndtri

# scipy.stats (≈ 0.6 s to import) is imported by the functions that need it: a report's first sections
# (hot topics, incidents, rates) need only the Wilson interval, computed here from its formula.


def wilson_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion k/n (None when n = 0).

    (p + z²/2n ± z·√(p(1 − p)/n + z²/4n²)) ÷ (1 + z²/n), z the normal quantile
    of (1 + level)/2: the interval scipy's ``binomtest(k, n).proportion_ci(method="wilson")``
    gives (tests compare them), without its cost (≈ 0.7 ms a call and scipy.stats' import).
    """
    if not n:
        return None
    if not 0 <= k <= n:
        raise ValueError(f"k = {k} 应在 0 与 n = {n} 之间")
    z = float(ndtri(0.5 + level / 2))
    p, z2 = k / n, z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    # Exactly 0 when none and 1 when all (as scipy): a rounding residue would make "0 of n" look above a 0 rate.
    return 0.0 if k == 0 else max(0.0, centre - half), 1.0 if k == n else min(1.0, centre + half)


def change_test(k1: int, n1: int, k0: int, n0: int) -> float | None:
    """Two-sided Fisher exact p-value that k1/n1 differs from k0/n0 (None without data)."""
    if not (n1 and n0):
        return None
    from scipy.stats import fisher_exact

    return float(fisher_exact([[k1, n1 - k1], [k0, n0 - k0]]).pvalue)


def poisson_interval(k: int, exposure: float = 1.0, level: float = 0.95) -> tuple[float, float] | None:
    """Exact (Garwood) interval of a Poisson rate: k events over ``exposure`` units (None when exposure is 0).

    Used for counts per unit, e.g. valid complaints per outlet: the interval of
    k / exposure, in events per unit.
    """
    if not exposure:
        return None
    from scipy.stats import chi2

    a = 1 - level
    low = 0.0 if k == 0 else chi2.ppf(a / 2, 2 * k) / 2
    high = chi2.ppf(1 - a / 2, 2 * k + 2) / 2
    return float(low / exposure), float(high / exposure)


def mean_interval(values, level: float = 0.95) -> tuple[float, float] | None:
    """Student-t interval of a mean (None with fewer than two values; the point itself when they are all equal)."""
    v = pd.Series(values, dtype=float).dropna().to_numpy()
    if len(v) < 2:
        return None
    from scipy.stats import t

    m, s = float(v.mean()), float(v.std(ddof=1))
    half = float(t.ppf(0.5 + level / 2, len(v) - 1)) * s / math.sqrt(len(v))
    return m - half, m + half


def independence_test(k: pd.Series, n: pd.Series) -> float | None:
    """Chi-square p-value that the proportions k/n are the same in every group (None with < 2 usable groups).

    ``k`` and ``n`` are counts per group (aligned). Groups with n = 0 are left
    out; when the expected counts are too small for the chi-square
    approximation of a 2 × 2 table, Fisher's exact test is used instead.
    """
    from scipy.stats import chi2_contingency, fisher_exact

    keep = n > 0
    k, n = k[keep].astype(int), n[keep].astype(int)
    if len(k) < 2 or k.sum() in (0, n.sum()):
        return None
    table = np.column_stack([k.to_numpy(), (n - k).to_numpy()])
    if len(k) == 2:
        expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0) / table.sum()
        if expected.min() < 5:
            return float(fisher_exact(table).pvalue)
    return float(chi2_contingency(table, correction=len(k) == 2).pvalue)
