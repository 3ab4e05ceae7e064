"""The few statistics the performance verdict needs: medians and a one-sided Mann-Whitney U test.

Pure Python (no scipy: its import alone would cost the gate ~0.5 s at every start), exact enough for
the sample sizes the gate draws (tens to hundreds of ratios per side): the normal approximation with
tie and continuity corrections, which is what scipy.stats.mannwhitneyu(method="asymptotic") computes.

    >>> p_greater([3.1, 2.9, 3.4, 3.0], [1.0, 1.1, 0.9, 1.2]) < 0.05
    True
"""
from __future__ import annotations

import math
from collections import Counter
from statistics import median

__all__ = ["median", "p_greater", "quantile", "u_statistic"]


def quantile(values: list[float], q: float) -> float:
    """Return the q-quantile (0..1), interpolating linearly between the two nearest values."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def ranks(values: list[float]) -> list[float]:
    """Return 1-based ranks, ties sharing the mean of the ranks they span."""
    order = sorted(range(len(values)), key=values.__getitem__)
    result = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            result[order[position]] = (start + end) / 2 + 1
        start = end + 1
    return result


def u_statistic(sample: list[float], reference: list[float]) -> float:
    """Mann-Whitney U of sample against reference: the pairs in which sample's value is larger."""
    joined = ranks(list(sample) + list(reference))
    n = len(sample)
    return sum(joined[:n]) - n * (n + 1) / 2


def p_greater(sample: list[float], reference: list[float]) -> float:
    """One-sided p-value of "sample tends to be larger than reference" (1.0 when it cannot tell)."""
    n1, n2 = len(sample), len(reference)
    if not n1 or not n2:
        return 1.0
    u = u_statistic(sample, reference)
    total = n1 + n2
    ties = sum(t ** 3 - t for t in Counter(list(sample) + list(reference)).values())
    variance = n1 * n2 / 12 * ((total + 1) - ties / (total * (total - 1)))
    if variance <= 0:
        return 1.0
    z = (u - n1 * n2 / 2 - 0.5) / math.sqrt(variance)
    return 0.5 * math.erfc(z / math.sqrt(2))
