"""How sure a comparison is, and how many seeds would settle it (docs/metrics.md, "Uncertainty").

For two groups of per-seed values: the difference of means with its 95 % confidence interval
(Welch's, from scipy), Hedges' g (the bias-corrected standardised difference, from statsmodels), the
smallest difference the current seeds would detect with power 0.8, and — for a claim that is not
decided — how many seeds per group would detect the observed difference with power 0.8.

Power is that of the test the verdicts actually use, Welch's t-test (and its two one-sided form for
"similar"), simulated from each group's own spread (WelchStudies below). The observed difference
that the needed seeds are stated for is shrunk by Hedges' correction (g, not d), since the raw
difference of a few seeds overstates the true one. A one-sample version (an exact noncentral t with
n − 1 degrees of freedom) serves the claims about a per-seed margin (learns, overfits, ...).
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Optional, Sequence

POWER = 0.8            # the power the detectable difference and the needed seeds are stated at
CONFIDENCE = 0.95      # of every interval of a difference
PRACTICAL_SEEDS = 200  # beyond this many seeds per group, "no practical number would"


def sample_var(values: Sequence[float]) -> float:
    """The sample variance (n − 1) of two or more values: the one formula every statistic here uses."""
    m = sum(values) / len(values)
    return sum((v - m) ** 2 for v in values) / (len(values) - 1)


def sample_sd(values: Sequence[float]) -> float:
    return math.sqrt(sample_var(values))


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def pooled_sd(a: Sequence[float], b: Sequence[float]) -> float:
    """The pooled standard deviation that Hedges' g is standardised by."""
    return math.sqrt(((len(a) - 1) * sample_var(a) + (len(b) - 1) * sample_var(b)) / (len(a) + len(b) - 2))


def welch_df(sa: float, na, sb: float, nb):
    """The Welch–Satterthwaite degrees of freedom of two groups with these standard deviations and sizes
    (arrays work; the same as scipy's ttest_ind(equal_var=False).df on data with those spreads, tested)."""
    va, vb = sa * sa / na, sb * sb / nb
    return (va + vb) ** 2 / (va * va / (na - 1) + vb * vb / (nb - 1))


def _nct_sf(x, df, ncp):
    """scipy's noncentral t survival function; where its series fails (NaN, far in a tail) the normal
    approximation, which is exact to many digits there."""
    import numpy as np
    from scipy import stats

    with np.errstate(all="ignore"):
        p = stats.nct.sf(x, df, ncp)
    return np.where(np.isnan(p), stats.norm.sf(x - ncp), p)


def one_sample_power(delta, sd: float, n, alpha: float):
    """The power of a two-sided one-sample t-test at ``alpha`` when the true mean is ``delta``: exactly a
    noncentral t with n − 1 degrees of freedom (arrays work for ``n``)."""
    import numpy as np
    from scipy import stats

    n = np.asarray(n, float)
    ncp = np.abs(np.asarray(delta, float)) / (sd / np.sqrt(n))
    crit = stats.t.ppf(1 - alpha / 2, n - 1)
    return _nct_sf(crit, n - 1, ncp) + (1 - _nct_sf(-crit, n - 1, ncp))


# Welch's test has no exact power formula: its degrees of freedom are estimated from the seeds, and
# with three seeds a side the usual noncentral-t approximation (degrees of freedom from the true
# spreads) overstates power by up to 0.1 at 0.8 (tests/test_uncertainty.py). So its power is that of
# the test itself, simulated: DRAWS studies of the two groups — a normal difference of means and each
# group's sample variance from its chi-square — each judged exactly as scipy's ttest_ind(equal_var=False)
# judges real seeds. Fixed random numbers keep every statement reproducible to the digit.
DRAWS = 20_000        # simulated studies behind each power: its simulation error is ±0.003 at 0.8
QUICK_DRAWS = 4_000   # ... behind the coarser question whether more seeds may decide a claim at all


@lru_cache(maxsize=512)
def _draws(na: int, nb: int):
    """Standard draws for groups of na and nb seeds: the difference of means in standard errors, and
    each sample variance as a multiple of its true variance."""
    import numpy as np

    rng = np.random.default_rng([na, nb])
    return (rng.standard_normal(DRAWS), rng.chisquare(na - 1, DRAWS) / (na - 1),
            rng.chisquare(nb - 1, DRAWS) / (nb - 1))


@lru_cache(maxsize=64)
def _t_quantiles(tail: float):
    """scipy's t quantile 1 − tail on a fine grid of degrees of freedom (interpolated in log df)."""
    import numpy as np
    from scipy import stats

    grid = np.geomspace(0.5, 5000.0, 2000)
    return np.log(grid), stats.t.ppf(1 - tail, grid)


def _t_crit(tail: float, df):
    import numpy as np

    log_df, q = _t_quantiles(tail)
    return np.interp(np.log(df), log_df, q)


class WelchStudies:
    """Welch's test of two groups with true spreads sa, sb and na, nb seeds, simulated DRAWS times; each
    method gives the share of simulated studies in which a test rejects when the true difference of
    means is ``delta``."""

    def __init__(self, sa: float, na: int, sb: float, nb: int, draws: int = DRAWS):
        import numpy as np

        z, ca, cb = (d[:draws] for d in _draws(int(na), int(nb)))
        est_a, est_b = sa * np.sqrt(ca), sb * np.sqrt(cb)               # the groups' sample SDs, simulated
        self.se = np.sqrt(est_a ** 2 / na + est_b ** 2 / nb)
        with np.errstate(all="ignore"):
            self.df = np.nan_to_num(welch_df(est_a, na, est_b, nb), nan=1.0)
        self.noise = z * math.sqrt(sa * sa / na + sb * sb / nb)          # the difference of means, less delta

    def power(self, delta: float, alpha: float) -> float:
        """Two-sided Welch test at alpha."""
        return float((abs(delta + self.noise) > _t_crit(alpha / 2, self.df) * self.se).mean())

    def similar(self, delta: float, margin: float, alpha: float) -> float:
        """Both one-sided tests at alpha: the difference shown inside ±margin (statsmodels' ttost_ind)."""
        d, c = delta + self.noise, _t_crit(alpha, self.df) * self.se
        return float(((d + margin > c) & (d - margin < -c)).mean())

    def beyond(self, delta: float, margin: float, alpha: float) -> float:
        """The difference shown outside ±margin, two-sided at alpha (inference.equivalence's p_different)."""
        d, c = delta + self.noise, _t_crit(alpha / 2, self.df) * self.se
        return float(((d - margin > c) | (d + margin < -c)).mean())


def welch_power(delta: float, sa: float, na: int, sb: float, nb: int, alpha: float) -> float:
    """The power of Welch's two-sided t-test at alpha against a true difference ``delta``."""
    return WelchStudies(sa, na, sb, nb).power(delta, alpha)


def tost_power(delta: float, margin: float, sa: float, na: int, sb: float, nb: int, alpha: float) -> float:
    """The power of the two one-sided Welch tests to show a true difference ``delta`` inside ±margin."""
    return WelchStudies(sa, na, sb, nb).similar(delta, margin, alpha)


def _smallest_n(power_at, start: int) -> Optional[int]:
    """The fewest seeds per group, from ``start`` up to PRACTICAL_SEEDS, whose power reaches POWER
    (power grows with the seeds, so a bisection finds it)."""
    lo, hi = max(2, start), PRACTICAL_SEEDS
    if lo > hi or power_at(hi) < POWER:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if power_at(mid) >= POWER:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _root(f, scale: float) -> Optional[float]:
    """The x > 0 where the increasing f(x) crosses POWER (scipy's brentq), searched up to 10⁴ × scale."""
    from scipy.optimize import brentq

    hi = scale
    while not f(hi) > POWER:
        hi *= 2
        if hi > 1e4 * scale:
            return None
    return float(brentq(lambda x: f(x) - POWER, 0.0, hi, xtol=1e-12 * scale))


def _power_for_more_seeds(a: Sequence[float], b: Sequence[float], alpha: float, margin: Optional[float],
                          draws: int = DRAWS):
    """n ↦ the power, with n seeds per group, to show what a and b show: the observed difference, shrunk
    as Hedges' g states it, with each group's own spread — as a difference (two-sided Welch), or for a
    margin, as inside it (two one-sided tests) or beyond it (one-sided). None without spread."""
    from statsmodels.stats.meta_analysis import effectsize_smd

    if len(a) < 2 or len(b) < 2:
        return None
    sa, sb = sample_sd(a), sample_sd(b)
    if sa == 0 and sb == 0:
        return None
    g = float(effectsize_smd(mean(a), sa, len(a), mean(b), sb, len(b))[0])
    shrunk = abs(g) * pooled_sd(a, b)
    if margin is None:
        return lambda n: WelchStudies(sa, n, sb, n, draws).power(shrunk, alpha)
    if shrunk < margin:
        return lambda n: WelchStudies(sa, n, sb, n, draws).similar(shrunk, margin, alpha)
    return lambda n: WelchStudies(sa, n, sb, n, draws).beyond(shrunk, margin, alpha)


def _power_for_more_seeds_one(values: Sequence[float], alpha: float):
    """n ↦ the power of a one-sample t-test, with n seeds, to show the observed mean margin (as Hedges' g)."""
    if len(values) < 3 or sample_sd(values) == 0:      # g needs two degrees of freedom
        return None
    g = abs(mean(values) / sample_sd(values) * (1 - 3 / (4 * (len(values) - 1) - 1)))   # Hedges' correction
    return (lambda n: float(one_sample_power(g, 1.0, n, alpha))) if g > 0 else None


def power_with(a: Sequence[float], b: Optional[Sequence[float]], alpha: float, seeds: int,
               margin: Optional[float] = None) -> Optional[float]:
    """The power with which ``seeds`` seeds per group would show the observed difference (or, with ``b``
    None, the mean of the margins ``a``): whether more seeds, up to a cap, may decide a claim. None when
    the seeds there are cannot tell (too few, or no spread)."""
    power = (_power_for_more_seeds_one(a, alpha) if b is None
             else _power_for_more_seeds(a, b, alpha, margin, draws=QUICK_DRAWS))
    return None if power is None else power(seeds)


def two_groups(a: Sequence[float], b: Sequence[float], alpha: float, decided: bool,
               margin: Optional[float] = None) -> dict[str, Any]:
    """Interval, effect size, detectable difference and (when not ``decided``) needed seeds of
    mean(a) − mean(b); empty when either side has fewer than two values or neither has any spread.

    With ``margin`` (a "similar" claim) the detectable difference is the smallest margin these seeds
    would show equivalence within when nothing differs, and the needed seeds are those that would
    show the observed difference inside the margin (or beyond it, when it lies beyond)."""
    from scipy import stats
    from statsmodels.stats.meta_analysis import effectsize_smd

    power = _power_for_more_seeds(a, b, alpha, margin)
    if power is None:
        return {}
    na, nb, sa, sb = len(a), len(b), sample_sd(a), sample_sd(b)
    ci = stats.ttest_ind(list(a), list(b), equal_var=False).confidence_interval(CONFIDENCE)
    se = math.sqrt(sa * sa / na + sb * sb / nb)
    out: dict[str, Any] = {"ci_low": float(ci.low), "ci_high": float(ci.high), "power": POWER, "confidence": CONFIDENCE,
                           "hedges_g": float(effectsize_smd(mean(a), sa, na, mean(b), sb, nb)[0])}
    studies = WelchStudies(sa, na, sb, nb)
    if margin is None:
        out["mde"] = _root(lambda d: studies.power(d, alpha), se)
    else:
        out["mde"] = _root(lambda m: studies.similar(0.0, m, alpha), se)
    if not decided:
        n = _smallest_n(power, max(na, nb) + 1)     # more seeds than there are: the observed ones did not decide
        out.update(needed_seeds=n, needed_practical=n is not None)
    return out


def one_group(values: Sequence[float], alpha: float, decided: bool) -> dict[str, Any]:
    """The same for the mean of one group's values against zero (a per-seed margin that is positive
    when a claim holds): interval, Hedges' g, detectable mean margin, needed seeds."""
    from scipy import stats

    if len(values) < 2 or sample_sd(values) == 0:
        return {}
    n, sd = len(values), sample_sd(values)
    ci = stats.ttest_1samp(list(values), 0.0).confidence_interval(CONFIDENCE)
    # With two values the correction is 0 (one degree of freedom): no bias-corrected g to state.
    g = mean(values) / sd * (1 - 3 / (4 * (n - 1) - 1)) if n > 2 else None   # Hedges' correction
    out: dict[str, Any] = {"ci_low": float(ci.low), "ci_high": float(ci.high), "hedges_g": g, "power": POWER,
                           "confidence": CONFIDENCE,
                           "mde": _root(lambda d: float(one_sample_power(d, sd, n, alpha)), sd)}
    if not decided:
        power = _power_for_more_seeds_one(values, alpha)
        n_needed = _smallest_n(power, n + 1) if power is not None else None
        out.update(needed_seeds=n_needed, needed_practical=n_needed is not None)
    return out
