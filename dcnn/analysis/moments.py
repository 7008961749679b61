"""A group's seeds in the few numbers every test here is built from: mean, sample variance, the pooled
SD Hedges' g is standardised by, and Hsu's degrees of freedom (inference.py says why those)."""
from __future__ import annotations

import math
from typing import Sequence


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def sample_var(values: Sequence[float]) -> float:
    """The sample variance (n − 1) of two or more values: the one formula every statistic here uses."""
    m = sum(values) / len(values)
    return sum((v - m) ** 2 for v in values) / (len(values) - 1)


def sample_sd(values: Sequence[float]) -> float:
    return math.sqrt(sample_var(values))


def pooled_sd(a: Sequence[float], b: Sequence[float]) -> float:
    """The pooled standard deviation that Hedges' g is standardised by."""
    return math.sqrt(((len(a) - 1) * sample_var(a) + (len(b) - 1) * sample_var(b)) / (len(a) + len(b) - 2))


def hsu_df(na: int, nb: int) -> int:
    """The degrees of freedom Welch's statistic is judged at: min(na, nb) − 1 (Hsu 1938; Mickey & Brown
    1966: the test then keeps its level for every ratio of the two variances)."""
    return min(na, nb) - 1


def welch_df(sa: float, na, sb: float, nb):
    """The Welch–Satterthwaite degrees of freedom (arrays work; scipy's ttest_ind(equal_var=False).df on
    data with those spreads): what the guarded test no longer uses, kept to show why."""
    va, vb = sa * sa / na, sb * sb / nb
    return (va + vb) ** 2 / (va * va / (na - 1) + vb * vb / (nb - 1))
