"""The tests behind every verdict (docs/metrics.md, "Verdicts"), each from scipy or statsmodels:

- a difference (lower / higher): Welch's statistic (scipy) judged against Student's t with
  min(na, nb) − 1 degrees of freedom — Hsu's conservative degrees of freedom, which Mickey and
  Brown (1966) proved keep the test at or below its level whatever the ratio of the two groups'
  variances (the Welch–Satterthwaite degrees of freedom do not at three seeds a side: a group ten
  times noisier than the other makes the test wrong 1.5× as often as it says at alpha 0.0125, 3.6×
  at 0.00083; tests/test_verdicts.py simulates both);
- a difference where some seed diverged before it had a value (counted as the worst outcome), or
  where neither group has any spread: the exact permutation test of the two groups' ranks (scipy's
  permutation_test, every split enumerated, ties kept): divergence is an outcome, never a certainty;
- within or beyond a margin: one-sided Welch tests (statsmodels' ttest_ind) at Hsu's degrees of
  freedom against each bound — against ±margin in the metric's units, or, for a margin that is a
  share r of b's mean, of a against (1 ± r)·b: the test of a ratio of means (Sasabuchi 1988,
  Hauschke, Kieser & Hothorn 1999), so that b's estimated mean does not move the margin;
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

from .moments import hsu_df, mean, sample_var

CORRECTIONS = {"holm": "holm", "bonferroni": "bonferroni", "none": None}   # study name → statsmodels method
EXACT_SPLITS = 20_000    # the rank test enumerates every split of the seeds up to this many (8 against 8), else
                         # draws as many at random (a valid p, (count + 1) / (draws + 1), from a fixed generator)


def guarded_p(t, na: int, nb: int, alternative: str = "two-sided"):
    """The p-value of Welch's statistic ``t`` (arrays work) at Hsu's degrees of freedom: Student's t
    distribution function (scipy.special.stdtr, what scipy.stats.t.cdf evaluates, without its overhead)."""
    from scipy.special import stdtr

    df = hsu_df(na, nb)
    if alternative == "larger":
        return stdtr(df, -np.asarray(t, float))
    if alternative == "smaller":
        return stdtr(df, np.asarray(t, float))
    return 2 * stdtr(df, -np.abs(np.asarray(t, float)))


def welch(a: Sequence[float], b: Sequence[float]) -> tuple[Optional[float], float, Optional[float]]:
    """(two-sided p of Welch's statistic at Hsu's degrees of freedom, mean(a) − mean(b), standard error of
    that difference). p is None when either side has fewer than two values or both have no spread."""
    from scipy import stats

    diff = mean(a) - mean(b)
    if len(a) < 2 or len(b) < 2:
        return None, diff, None
    va, vb = sample_var(a), sample_var(b)
    se = math.sqrt(va / len(a) + vb / len(b))
    if se == 0:
        return None, diff, 0.0
    # Welch's statistic from the groups' statistics (scipy's ttest_ind_from_stats, 30× faster than from the
    # values); its p from Student's t at min(na, nb) − 1 degrees of freedom.
    t = float(stats.ttest_ind_from_stats(mean(a), math.sqrt(va), len(a), mean(b), math.sqrt(vb), len(b),
                                         equal_var=False).statistic)
    p = float(guarded_p(t, len(a), len(b)))
    return (p if math.isfinite(p) else None), diff, se


def _mean_difference(x, y, axis):
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def _rank_p(ranks_a: tuple[float, ...], ranks_b: tuple[float, ...]) -> float:
    """scipy's permutation test of the two groups' ranks (the difference of their mean ranks, two-sided).
    Given the pooled ranks the statistic depends on a's rank sum alone, so the p is kept by (pooled ranks,
    a's size, a's rank sum): a calibration meets the same ones again and again."""
    pooled = tuple(sorted(ranks_a + ranks_b))
    return _rank_p_of(pooled, len(ranks_a), round(sum(ranks_a), 9), ranks_a, ranks_b)


_SEEN: dict = {}


def _rank_p_of(pooled: tuple, na: int, total: float, ranks_a: tuple, ranks_b: tuple) -> float:
    from scipy import stats

    key = (pooled, na, total)
    if key not in _SEEN:
        res = stats.permutation_test((np.asarray(ranks_a), np.asarray(ranks_b)), _mean_difference, vectorized=True,
                                     permutation_type="independent", alternative="two-sided",
                                     n_resamples=EXACT_SPLITS, rng=np.random.default_rng(0))
        _SEEN[key] = float(min(1.0, res.pvalue))
    return _SEEN[key]


def rank_test(a: Sequence[Optional[float]], b: Sequence[Optional[float]],
              worst: float = math.inf) -> tuple[float, Optional[str]]:
    """(two-sided p, "lower" | "higher" | None by the groups' mean ranks) of the exact permutation test of
    the ranks of a against b (the Wilcoxon–Mann–Whitney test, ties kept, every split enumerated): a seed
    without a value (it diverged before finishing an epoch) ranks as ``worst`` — +inf where a higher
    value is worse (losses), −inf where a lower one is (accuracies). Three diverged seeds against four
    healthy ones give p = 2/35 = 0.057: the smallest p these seeds allow, not a certainty."""
    from scipy import stats

    x = [worst if v is None else float(v) for v in a]
    y = [worst if v is None else float(v) for v in b]
    ranks = stats.rankdata(x + y)
    ra, rb = tuple(sorted(ranks[:len(x)])), tuple(sorted(ranks[len(x):]))
    shift = mean(ra) - mean(rb)
    return _rank_p(ra, rb), ("lower" if shift < 0 else "higher" if shift > 0 else None)


def _bounds(a, b, margin: dict) -> list[tuple[list[float], list[float], float]]:
    """The two bounds of a margin as (x, y, value): "mean(x) − mean(y) against value", lower bound first.
    In the metric's units, a − b against ∓margin; as a share r of b's mean, a against (1 ∓ r)·b (with b's
    sign: for a negative mean the factors swap)."""
    if margin.get("relative") is None:
        return [(list(a), list(b), -margin["value"]), (list(a), list(b), margin["value"])]
    r = margin["relative"]
    low, high = (1 - r, 1 + r) if mean(b) >= 0 else (1 + r, 1 - r)
    return [(list(a), [low * v for v in b], 0.0), (list(a), [high * v for v in b], 0.0)]


def _one_sided(x: list[float], y: list[float], value: float, alternative: str) -> float:
    """statsmodels' one-sided Welch test of mean(x) − mean(y) against value, its p at Hsu's degrees of freedom."""
    from statsmodels.stats.weightstats import ttest_ind

    t = ttest_ind(x, y, alternative=alternative, usevar="unequal", value=value)[0]
    return float(guarded_p(t, len(x), len(y), alternative))


def testable(a: Sequence[float], b: Sequence[float]) -> bool:
    """Two values a side and some spread: a t-test has something to work with."""
    return len(a) >= 2 and len(b) >= 2 and not (sample_var(a) == 0 and sample_var(b) == 0)


def equivalence(a: Sequence[float], b: Sequence[float], margin: dict) -> dict:
    """Two one-sided Welch tests of a against the margin's two bounds (``margin``: {"value", "relative"}).

    p_similar: the larger of the two one-sided p-values (both must reject: the difference, or the ratio,
    lies inside); p_different: twice the smaller of their complements (beyond one bound, two-sided). Both
    None when either side has fewer than two values or neither has any spread."""
    if not testable(a, b):
        return {"p_similar": None, "p_different": None}
    (xl, yl, vl), (xh, yh, vh) = _bounds(a, b, margin)
    above_low, below_high = _one_sided(xl, yl, vl, "larger"), _one_sided(xh, yh, vh, "smaller")
    return {"p_similar": max(above_low, below_high),
            "p_different": min(1.0, 2 * min(1 - above_low, 1 - below_high))}


def non_inferiority(a: Sequence[float], b: Sequence[float], margin: dict, sign: float) -> tuple[float, float]:
    """(p that a is not worse than b by the margin, p that it is worse by more): the one-sided Welch tests
    of sign·a against the margin's upper bound on sign·b (TOST's one half; sign −1 where lower is worse)."""
    x, y = [v * sign for v in a], [v * sign for v in b]
    (_, _, _), (xh, yh, vh) = _bounds(x, y, margin)
    return _one_sided(xh, yh, vh, "smaller"), _one_sided(xh, yh, vh, "larger")


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


def difference_interval(a: Sequence[float], b: Sequence[float], confidence: float) -> Optional[tuple[float, float]]:
    """The two-sided ``confidence`` interval of mean(a) − mean(b) from Welch's standard error at Hsu's degrees
    of freedom: it excludes a value exactly when inference.welch's test of that value rejects at 1 − confidence."""
    from .power import t_crit

    if not testable(a, b):
        return None
    diff, se = mean(a) - mean(b), math.sqrt(sample_var(a) / len(a) + sample_var(b) / len(b))
    half = t_crit((1 - confidence) / 2, hsu_df(len(a), len(b))) * se
    return diff - half, diff + half


def ratio_interval(a: Sequence[float], b: Sequence[float], confidence: float) -> Optional[tuple[float, float]]:
    """The two-sided ``confidence`` interval of mean(a) / mean(b) (Fieller's): every ratio θ that the guarded
    Welch test of a against θ·b does not reject, found by inverting scipy's statistic (brentq). None when it
    is unbounded (b's mean not clearly away from 0) or nothing can be tested."""
    from scipy import stats
    from scipy.optimize import brentq

    from .power import t_crit

    if not testable(a, b) or mean(b) == 0:
        return None
    ma, sa, mb, sb = mean(a), math.sqrt(sample_var(a)), mean(b), math.sqrt(sample_var(b))
    c = t_crit((1 - confidence) / 2, hsu_df(len(a), len(b)))
    if sb > 0 and abs(mb) / (sb / math.sqrt(len(b))) <= c:
        return None

    def t(theta: float) -> float:
        return float(stats.ttest_ind_from_stats(ma, sa, len(a), theta * mb, abs(theta) * sb, len(b),
                                                equal_var=False).statistic)

    centre, step = ma / mb, abs(ma / mb) + 1.0
    ends = []
    for direction in (-1.0, 1.0):
        far = centre + direction * step
        while abs(t(far)) <= c:
            far = centre + 2 * (far - centre)
        ends.append(brentq(lambda th: abs(t(th)) - c, min(centre, far), max(centre, far), xtol=1e-12 * step))
    return float(ends[0]), float(ends[1])
