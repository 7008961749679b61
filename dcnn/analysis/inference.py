"""The tests behind every verdict (docs/metrics.md, "Verdicts"), each from scipy or statsmodels:

- a difference (lower / higher): Welch's two-sided t-test (scipy), its sign giving the direction;
- similar within ±margin: two one-sided Welch tests (statsmodels' ttost_ind), supported when the
  difference is shown to lie inside the margin, contradicted when it is shown to lie outside;
- a per-seed margin (learns, overfits, ...): a two-sided one-sample t-test of its mean against 0;
- many claims at once: Holm's (or Bonferroni's) correction (statsmodels' multipletests), and
  Benjamini–Hochberg q-values for the report's many exploratory comparisons.

Each test returns the p-value of the verdict it points to, so that a family of claims can be
corrected together before any verdict is given.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

import numpy as np

from .uncertainty import mean, sample_var

CORRECTIONS = {"holm": "holm", "bonferroni": "bonferroni", "none": None}   # study name → statsmodels method


def welch(a: Sequence[float], b: Sequence[float]) -> tuple[Optional[float], float, Optional[float]]:
    """(two-sided p of Welch's t-test, mean(a) − mean(b), standard error of that difference).

    p is None when either side has fewer than two values or both have no spread.
    """
    from scipy import stats

    diff = mean(a) - mean(b)
    if len(a) < 2 or len(b) < 2:
        return None, diff, None
    va, vb = sample_var(a), sample_var(b)
    se = math.sqrt(va / len(a) + vb / len(b))
    if se == 0:
        return None, diff, 0.0
    # From the groups' statistics: the same test as ttest_ind(a, b, equal_var=False), 30× faster.
    p = float(stats.ttest_ind_from_stats(mean(a), math.sqrt(va), len(a), mean(b), math.sqrt(vb), len(b),
                                         equal_var=False).pvalue)
    return (p if math.isfinite(p) else None), diff, se


def rank_p(a: Sequence[float], b: Sequence[float]) -> float:
    """The exact two-sided Mann–Whitney p-value (scipy): the test where Welch's has no spread to work
    with (every seed of each group gave the same value, as happens with whole-epoch metrics). Three
    seeds against three can at best give 0.1: ties that look certain are not."""
    from scipy import stats

    return float(stats.mannwhitneyu(list(a), list(b), alternative="two-sided", method="exact").pvalue)


def equivalence(a: Sequence[float], b: Sequence[float], margin: float) -> dict:
    """Two one-sided Welch tests of mean(a) − mean(b) against ±margin.

    p_similar: the larger of the two one-sided p-values (both must reject: the difference lies inside);
    p_different: twice the smaller of their complements (the difference lies beyond one bound, tested
    two-sided: with a margin far below the noise this is Welch's own two-sided test). Both None
    when either side has fewer than two values; 0 or 1 when neither side has any spread.
    """
    from statsmodels.stats.weightstats import ttost_ind

    diff = mean(a) - mean(b)
    if len(a) < 2 or len(b) < 2 or (sample_var(a) == 0 and sample_var(b) == 0):
        return {"p_similar": None, "p_different": None, "difference": diff}
    p, (_, p_low, _), (_, p_high, _) = ttost_ind(list(a), list(b), -margin, margin, usevar="unequal")
    return {"p_similar": float(p), "p_different": float(min(1.0, 2 * min(1 - p_low, 1 - p_high))), "difference": diff}


def equivalence_interval(a: Sequence[float], b: Sequence[float], alpha: float) -> Optional[tuple[float, float]]:
    """The (1 − 2·alpha) Welch interval of mean(a) − mean(b): inside ±margin exactly when the two
    one-sided tests at alpha show similarity."""
    from scipy import stats

    if len(a) < 2 or len(b) < 2 or (sample_var(a) == 0 and sample_var(b) == 0):
        return None
    ci = stats.ttest_ind(list(a), list(b), equal_var=False).confidence_interval(1 - 2 * alpha)
    return float(ci.low), float(ci.high)


def margin_test(values: Sequence[float]) -> tuple[Optional[float], Optional[str]]:
    """(two-sided p of a one-sample t-test of the mean margin against 0, "holds" | "fails" by its sign).
    No spread (every seed's margin the same): the exact sign test instead (scipy's binomtest; three
    seeds of one sign give 0.25). Fewer than two values, or a mean of exactly 0: no side."""
    from scipy import stats

    if len(values) < 2:
        return None, None
    m = mean(values)
    side = "holds" if m > 0 else ("fails" if m < 0 else None)
    if side is None:
        return None, None
    if sample_var(values) == 0:
        return float(stats.binomtest(len(values), len(values), 0.5).pvalue), side
    # statsmodels' one-sample t-test: scipy's ttest_1samp to the last digit, without its per-call overhead.
    from statsmodels.stats.weightstats import DescrStatsW

    return float(DescrStatsW(np.asarray(values, float)).ttest_mean(0.0)[1]), side


def adjust(p_values: Sequence[float], method: str) -> list[float]:
    """p-values adjusted for their number by ``method`` (a key of CORRECTIONS; statsmodels' multipletests).
    A family member rejects at alpha when its adjusted p is below alpha."""
    import gc

    from statsmodels.stats.multitest import multipletests

    sm = CORRECTIONS[method]
    if sm is None or len(p_values) <= 1:        # one test: every correction leaves its p as it is
        return [float(p) for p in p_values]
    # statsmodels' Holm step ends with gc.collect() to free one temporary array: ~0.2 s in a process
    # holding scipy and torch, per call (a calibration makes thousands). Reference counting frees that
    # array anyway, so the collection is skipped for the length of the call.
    collect, gc.collect = gc.collect, lambda *args, **kwargs: 0
    try:
        return [float(p) for p in multipletests(list(p_values), method=sm)[1]]
    finally:
        gc.collect = collect


def q_values(p_values: Sequence[Optional[float]]) -> list[Optional[float]]:
    """Benjamini–Hochberg q-values of the p-values that exist (None stays None)."""
    from statsmodels.stats.multitest import multipletests

    present = [i for i, p in enumerate(p_values) if p is not None]
    out: list[Optional[float]] = [None] * len(p_values)
    if present:
        q = multipletests([p_values[i] for i in present], method="fdr_bh")[1]
        for i, v in zip(present, q):
            out[i] = float(v)
    return out
