"""How sure a comparison is, and how many seeds would settle it (docs/metrics.md, "Uncertainty").

For two groups of per-seed values: the difference of means with its interval at the level its verdict
is taken at (``alpha``: after the corrections for the claims' number and the looks) and, labelled as
descriptive, its 95 % one — both from Welch's standard error at Hsu's degrees of freedom, the test the
verdicts use (inference.py); Hedges' g (the bias-corrected standardised difference, from statsmodels);
the smallest difference the current seeds would detect with power 0.8 at that level; and — for a
verdict that is not decided — how many seeds per group would detect the observed difference with
power 0.8 at that level.

Power is that of the test the verdict uses, simulated from each group's own spread (power.py). The
observed difference that the needed seeds are stated for is shrunk by Hedges' correction (g, not d),
since the raw difference of a few seeds overstates the true one. A one-sample version (an exact
noncentral t with n − 1 degrees of freedom) serves the claims about a per-seed margin (learns, ...).
"""
from __future__ import annotations

import math
from typing import Any, Optional, Sequence

from .inference import difference_interval
from .moments import hsu_df, mean, pooled_sd, sample_sd, sample_var, welch_df  # noqa: F401  (re-exported)
from .power import (DRAWS, POWER, PRACTICAL_SEEDS, QUICK_DRAWS, WelchStudies, one_sample_power, root,  # noqa: F401
                    smallest_n, tost_power, welch_power)

CONFIDENCE = 0.95      # of the descriptive interval every comparison also states
_smallest_n, _root = smallest_n, root     # (their names before power.py)


def _power_for_more_seeds(a: Sequence[float], b: Sequence[float], alpha: float, margin: Optional[float],
                          draws: int = DRAWS, sided: str = "two"):
    """n ↦ the power, with n seeds per group, to show what a and b show: the observed difference, shrunk
    as Hedges' g states it, with each group's own spread — as a difference (two-sided), or for a margin,
    inside ±margin (``sided`` "two": similar) or below +margin ("one": not_worse), or beyond it. None
    without spread."""
    from statsmodels.stats.meta_analysis import effectsize_smd

    if len(a) < 2 or len(b) < 2:
        return None
    sa, sb = sample_sd(a), sample_sd(b)
    if sa == 0 and sb == 0:
        return None
    g = float(effectsize_smd(mean(a), sa, len(a), mean(b), sb, len(b))[0])
    shrunk = g * pooled_sd(a, b)
    studies = lambda n: WelchStudies(sa, n, sb, n, draws)  # noqa: E731
    if margin is None:
        return lambda n: studies(n).power(abs(shrunk), alpha)
    if sided == "one":
        return (lambda n: studies(n).below(shrunk, margin, alpha)) if shrunk < margin else \
            (lambda n: studies(n).above(shrunk, margin, alpha))
    if abs(shrunk) < margin:
        return lambda n: studies(n).similar(abs(shrunk), margin, alpha)
    return lambda n: studies(n).beyond(abs(shrunk), margin, alpha)


def _power_for_more_seeds_one(values: Sequence[float], alpha: float):
    """n ↦ the power of a one-sample t-test, with n seeds, to show the observed mean margin (as Hedges' g)."""
    if len(values) < 3 or sample_sd(values) == 0:      # g needs two degrees of freedom
        return None
    g = abs(mean(values) / sample_sd(values) * (1 - 3 / (4 * (len(values) - 1) - 1)))   # Hedges' correction
    return (lambda n: float(one_sample_power(g, 1.0, n, alpha))) if g > 0 else None


def power_with(a: Sequence[float], b: Optional[Sequence[float]], alpha: float, seeds: int,
               margin: Optional[float] = None, sided: str = "two") -> Optional[float]:
    """The power with which ``seeds`` seeds per group would show the observed difference (or, with ``b``
    None, the mean of the margins ``a``) at ``alpha``: whether more seeds, up to a cap, may decide a claim.
    None when the seeds there are cannot tell (too few, or no spread)."""
    power = (_power_for_more_seeds_one(a, alpha) if b is None
             else _power_for_more_seeds(a, b, alpha, margin, draws=QUICK_DRAWS, sided=sided))
    return None if power is None else power(seeds)


def two_groups(a: Sequence[float], b: Sequence[float], alpha: float, decided: bool,
               margin: Optional[float] = None, sided: str = "two") -> dict[str, Any]:
    """Intervals, effect size, detectable difference and (when not ``decided``) needed seeds of
    mean(a) − mean(b) at ``alpha``, the level its verdict is taken at; empty when either side has fewer
    than two values or neither has any spread.

    With ``margin`` (similar, not_worse: ``sided`` "two" or "one") the detectable difference is the
    smallest margin these seeds would show the groups within when nothing differs, and the needed seeds
    are those that would show the observed difference inside the margin (or beyond it)."""
    from statsmodels.stats.meta_analysis import effectsize_smd

    power = _power_for_more_seeds(a, b, alpha, margin, sided=sided)
    if power is None:
        return {}
    na, nb, sa, sb = len(a), len(b), sample_sd(a), sample_sd(b)
    ci, at_level = difference_interval(a, b, CONFIDENCE), difference_interval(a, b, 1 - alpha)
    se = math.sqrt(sa * sa / na + sb * sb / nb)
    out: dict[str, Any] = {"ci_low": ci[0], "ci_high": ci[1], "confidence": CONFIDENCE, "decision_low": at_level[0],
                           "decision_high": at_level[1], "decision_confidence": 1 - alpha, "power": POWER,
                           "hedges_g": float(effectsize_smd(mean(a), sa, na, mean(b), sb, nb)[0])}
    studies = WelchStudies(sa, na, sb, nb)
    if margin is None:
        out["mde"] = root(lambda d: studies.power(d, alpha), se)
    elif sided == "one":
        out["mde"] = root(lambda m: studies.below(0.0, m, alpha), se)
    else:
        out["mde"] = root(lambda m: studies.similar(0.0, m, alpha), se)
    if not decided:
        n = smallest_n(power, max(na, nb) + 1)     # more seeds than there are: the observed ones did not decide
        out.update(needed_seeds=n, needed_practical=n is not None)
    return out


def one_group(values: Sequence[float], alpha: float, decided: bool) -> dict[str, Any]:
    """The same for the mean of one group's values against zero (a per-seed margin that is positive
    when a claim holds): intervals, Hedges' g, detectable mean margin, needed seeds, at ``alpha``."""
    from scipy import stats

    if len(values) < 2 or sample_sd(values) == 0:
        return {}
    n, sd = len(values), sample_sd(values)
    test = stats.ttest_1samp(list(values), 0.0)
    ci, at_level = test.confidence_interval(CONFIDENCE), test.confidence_interval(1 - alpha)
    # With two values the correction is 0 (one degree of freedom): no bias-corrected g to state.
    g = mean(values) / sd * (1 - 3 / (4 * (n - 1) - 1)) if n > 2 else None   # Hedges' correction
    out: dict[str, Any] = {"ci_low": float(ci.low), "ci_high": float(ci.high), "confidence": CONFIDENCE,
                           "decision_low": float(at_level.low), "decision_high": float(at_level.high),
                           "decision_confidence": 1 - alpha, "hedges_g": g, "power": POWER,
                           "mde": root(lambda d: float(one_sample_power(d, sd, n, alpha)), sd)}
    if not decided:
        power = _power_for_more_seeds_one(values, alpha)
        n_needed = smallest_n(power, n + 1) if power is not None else None
        out.update(needed_seeds=n_needed, needed_practical=n_needed is not None)
    return out


__all__ = ["CONFIDENCE", "DRAWS", "POWER", "PRACTICAL_SEEDS", "WelchStudies", "hsu_df", "mean", "one_group",
           "one_sample_power", "pooled_sd", "power_with", "sample_sd", "sample_var", "tost_power", "two_groups",
           "welch_df", "welch_power"]
