"""How sure a comparison is, and how many seeds would settle it (docs/metrics.md, "Uncertainty").

For two groups of per-seed values: the difference of means with its 95 % confidence interval
(Welch's, from scipy), Hedges' g (the bias-corrected standardised difference, from statsmodels), the
smallest difference the current seeds would detect with power 0.8 at the study's alpha, and — for a
difference that is not significant — how many seeds per group would detect the observed difference
with power 0.8 (both from statsmodels' two-sample t-test power, the usual approximation for Welch's
test). A one-sample version serves the claims about every seed of one group (learns, overfits, ...).
"""
from __future__ import annotations

import math
from typing import Any, Optional, Sequence

POWER = 0.8            # the power the detectable difference and the needed seeds are stated at
CONFIDENCE = 0.95      # of every interval
PRACTICAL_SEEDS = 200  # beyond this many seeds per group, "no practical number would"


def sample_var(values: Sequence[float]) -> float:
    """The sample variance (n − 1) of two or more values: the one formula every statistic here uses."""
    m = sum(values) / len(values)
    return sum((v - m) ** 2 for v in values) / (len(values) - 1)


def sample_sd(values: Sequence[float]) -> float:
    return math.sqrt(sample_var(values))


def _needed(power_analysis, d: float, alpha: float, **kw) -> tuple[Optional[int], bool]:
    """(seeds per group that detect standardised difference d with POWER, whether that is practical)."""
    if d == 0 or not math.isfinite(d):
        return None, False
    n = _solve(power_analysis, effect_size=abs(d), alpha=alpha, power=POWER, **kw)
    if n is None:
        # The root finder fails outside its bracket: for a large d the power is reached below two
        # seeds (two are the fewest a test can use), for a tiny d by no number of seeds it tries.
        from statsmodels.stats.power import TTestIndPower

        nobs = "nobs1" if isinstance(power_analysis, TTestIndPower) else "nobs"
        at_two = power_analysis.power(effect_size=abs(d), alpha=alpha, **{nobs: 2}, **kw)
        return (2, True) if at_two >= POWER else (None, False)
    n = math.ceil(n)
    return (n, True) if n <= PRACTICAL_SEEDS else (None, False)


def _solve(power_analysis, **kw) -> Optional[float]:
    """statsmodels' solve_power, None where its root finder does not converge (it warns and returns NaN)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            value = float(power_analysis.solve_power(**kw))
        except (ValueError, RuntimeError):
            return None
    return value if math.isfinite(value) else None


def two_groups(a: Sequence[float], b: Sequence[float], alpha: float, significant: bool) -> dict[str, Any]:
    """Interval, effect size, detectable difference and (when not ``significant``) needed seeds of
    mean(a) − mean(b); empty when either side has fewer than two values or neither has any spread."""
    from scipy import stats
    from statsmodels.stats.meta_analysis import effectsize_smd
    from statsmodels.stats.power import TTestIndPower

    if len(a) < 2 or len(b) < 2:
        return {}
    sa, sb = sample_sd(a), sample_sd(b)
    if sa == 0 and sb == 0:
        return {}
    ci = stats.ttest_ind(list(a), list(b), equal_var=False).confidence_interval(CONFIDENCE)
    g = float(effectsize_smd(sum(a) / len(a), sa, len(a), sum(b) / len(b), sb, len(b))[0])
    pooled = math.sqrt(((len(a) - 1) * sa ** 2 + (len(b) - 1) * sb ** 2) / (len(a) + len(b) - 2))
    power = TTestIndPower()
    d_min = _solve(power, effect_size=None, nobs1=len(a), alpha=alpha, power=POWER, ratio=len(b) / len(a))
    out = {"ci_low": float(ci.low), "ci_high": float(ci.high), "hedges_g": g,
           "mde": d_min * pooled if d_min is not None else None, "power": POWER, "confidence": CONFIDENCE}
    if not significant:
        d_obs = (sum(a) / len(a) - sum(b) / len(b)) / pooled
        n, practical = _needed(power, d_obs, alpha, ratio=1.0)
        out.update(needed_seeds=n, needed_practical=practical)
    return out


def one_group(values: Sequence[float], alpha: float, significant: bool) -> dict[str, Any]:
    """The same for the mean of one group's values against zero (a margin that is positive when the
    flag holds): interval, Hedges' g, detectable margin, needed seeds."""
    from scipy import stats
    from statsmodels.stats.power import TTestPower

    if len(values) < 2 or sample_sd(values) == 0:
        return {}
    n, sd = len(values), sample_sd(values)
    ci = stats.ttest_1samp(list(values), 0.0).confidence_interval(CONFIDENCE)
    correction = 1 - 3 / (4 * (n - 1) - 1)   # Hedges' small-sample correction of d = mean / sd
    d = (sum(values) / n) / sd
    power = TTestPower()
    d_min = _solve(power, effect_size=None, nobs=n, alpha=alpha, power=POWER)
    # With two values the correction is 0 (one degree of freedom): no bias-corrected g to state.
    out = {"ci_low": float(ci.low), "ci_high": float(ci.high), "hedges_g": d * correction if n > 2 else None,
           "mde": d_min * sd if d_min is not None else None, "power": POWER, "confidence": CONFIDENCE}
    if not significant:
        needed, practical = _needed(power, d, alpha)
        out.update(needed_seeds=needed, needed_practical=practical)
    return out
