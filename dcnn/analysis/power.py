"""The power of the tests the verdicts use, and how many seeds would reach it (docs/metrics.md,
"Uncertainty").

Welch's statistic judged at Hsu's degrees of freedom (inference.py) has no exact power formula: its
standard error is estimated from the seeds. So its power is that of the test itself, simulated: DRAWS
studies of the two groups — a normal difference of means and each group's sample variance from its
chi-square — each judged exactly as inference.welch judges real seeds. Fixed random numbers keep every
statement reproducible to the digit. A one-sample t-test of a margin has an exact noncentral t.
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Optional

from .moments import hsu_df

POWER = 0.8            # the power the detectable difference and the needed seeds are stated at
PRACTICAL_SEEDS = 200  # beyond this many seeds per group, "no practical number would"
DRAWS = 20_000         # simulated studies behind each power: its simulation error is ±0.003 at 0.8
QUICK_DRAWS = 4_000    # ... behind the coarser question whether more seeds may decide a claim at all


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


@lru_cache(maxsize=512)
def _draws(na: int, nb: int):
    """Standard draws for groups of na and nb seeds: the difference of means in standard errors, and
    each sample variance as a multiple of its true variance."""
    import numpy as np

    rng = np.random.default_rng([na, nb])
    return (rng.standard_normal(DRAWS), rng.chisquare(na - 1, DRAWS) / (na - 1),
            rng.chisquare(nb - 1, DRAWS) / (nb - 1))


@lru_cache(maxsize=4096)
def t_crit(tail: float, df: int) -> float:
    """scipy's Student t quantile 1 − tail."""
    from scipy import stats

    return float(stats.t.ppf(1 - tail, df))


class WelchStudies:
    """Welch's statistic of two groups with true spreads sa, sb and na, nb seeds, judged at Hsu's degrees
    of freedom, simulated DRAWS times; each method gives the share of simulated studies in which a test
    at ``alpha`` rejects when the true difference of means is ``delta``."""

    def __init__(self, sa: float, na: int, sb: float, nb: int, draws: int = DRAWS):
        import numpy as np

        z, ca, cb = (d[:draws] for d in _draws(int(na), int(nb)))
        est_a, est_b = sa * np.sqrt(ca), sb * np.sqrt(cb)               # the groups' sample SDs, simulated
        self.se = np.sqrt(est_a ** 2 / na + est_b ** 2 / nb)
        self.df = hsu_df(int(na), int(nb))
        self.noise = z * math.sqrt(sa * sa / na + sb * sb / nb)          # the difference of means, less delta

    def power(self, delta: float, alpha: float) -> float:
        """Two-sided at alpha: the difference shown (lower / higher)."""
        return float((abs(delta + self.noise) > t_crit(alpha / 2, self.df) * self.se).mean())

    def similar(self, delta: float, margin: float, alpha: float) -> float:
        """The difference shown inside ±margin: both one-sided tests at alpha / 2 (the claim's p is twice the
        larger of their p-values), i.e. the 1 − alpha interval inside the margin."""
        d, c = delta + self.noise, t_crit(alpha / 2, self.df) * self.se
        return float(((d + margin > c) & (d - margin < -c)).mean())

    def beyond(self, delta: float, margin: float, alpha: float) -> float:
        """The difference shown outside ±margin, two-sided at alpha (inference.equivalence's p_different)."""
        d, c = delta + self.noise, t_crit(alpha / 2, self.df) * self.se
        return float(((d - margin > c) | (d + margin < -c)).mean())

    def below(self, delta: float, margin: float, alpha: float) -> float:
        """The difference shown below +margin, one-sided at alpha / 2 (not_worse: a not worse by the margin)."""
        return float((delta + self.noise - margin < -t_crit(alpha / 2, self.df) * self.se).mean())

    def above(self, delta: float, margin: float, alpha: float) -> float:
        """The difference shown above +margin, one-sided at alpha / 2 (not_worse contradicted)."""
        return float((delta + self.noise - margin > t_crit(alpha / 2, self.df) * self.se).mean())


def welch_power(delta: float, sa: float, na: int, sb: float, nb: int, alpha: float) -> float:
    """The power of the guarded Welch test, two-sided at alpha, against a true difference ``delta``."""
    return WelchStudies(sa, na, sb, nb).power(delta, alpha)


def tost_power(delta: float, margin: float, sa: float, na: int, sb: float, nb: int, alpha: float) -> float:
    """The power of the two one-sided tests to show a true difference ``delta`` inside ±margin at alpha."""
    return WelchStudies(sa, na, sb, nb).similar(delta, margin, alpha)


def smallest_n(power_at, start: int) -> Optional[int]:
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


def root(f, scale: float) -> Optional[float]:
    """The x > 0 where the increasing f(x) crosses POWER (scipy's brentq), searched up to 10⁴ × scale."""
    from scipy.optimize import brentq

    hi = scale
    while not f(hi) > POWER:
        hi *= 2
        if hi > 1e4 * scale:
            return None
    return float(brentq(lambda x: f(x) - POWER, 0.0, hi, xtol=1e-12 * scale))
