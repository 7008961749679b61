"""Every comparison states its uncertainty: checked against the formulas, computed here independently
of dcnn's statistics libraries (scipy's t and noncentral t distributions only)."""
import math

import pytest
from scipy import optimize, stats

from dcnn.analysis.uncertainty import PRACTICAL_SEEDS, one_group, two_groups

A = [0.31, 0.35, 0.29, 0.33]
B = [0.52, 0.44, 0.61]


def mean(x):
    return sum(x) / len(x)


def var(x):
    m = mean(x)
    return sum((v - m) ** 2 for v in x) / (len(x) - 1)


def power_two_sample(d, n1, n2, alpha):
    """Power of the two-sided two-sample t-test at standardised difference d (noncentral t)."""
    df = n1 + n2 - 2
    nc = d * math.sqrt(n1 * n2 / (n1 + n2))
    crit = stats.t.ppf(1 - alpha / 2, df)
    lower_tail = stats.nct.cdf(-crit, df, nc)          # NaN far out in the tail, where it is 0
    return stats.nct.sf(crit, df, nc) + (0.0 if math.isnan(lower_tail) else lower_tail)


def test_interval_effect_size_and_detectable_difference_of_two_groups():
    u = two_groups(A, B, alpha=0.05, significant=True)
    # Welch's interval: difference ± t(0.975, Welch-Satterthwaite df) × standard error.
    va, vb = var(A) / len(A), var(B) / len(B)
    df = (va + vb) ** 2 / (va ** 2 / (len(A) - 1) + vb ** 2 / (len(B) - 1))
    half = stats.t.ppf(0.975, df) * math.sqrt(va + vb)
    diff = mean(A) - mean(B)
    assert (u["ci_low"], u["ci_high"]) == pytest.approx((diff - half, diff + half), rel=1e-9)
    # Hedges' g: the standardised difference with the pooled SD, times 1 - 3 / (4 (n1 + n2) - 9).
    pooled = math.sqrt(((len(A) - 1) * var(A) + (len(B) - 1) * var(B)) / (len(A) + len(B) - 2))
    assert u["hedges_g"] == pytest.approx(diff / pooled * (1 - 3 / (4 * (len(A) + len(B)) - 9)), rel=1e-9)
    # The detectable difference: the d at which the t-test has power 0.8, in loss units.
    d_min = optimize.brentq(lambda d: power_two_sample(d, len(A), len(B), 0.05) - 0.8, 0.01, 6)
    assert u["mde"] == pytest.approx(d_min * pooled, rel=1e-4)
    assert "needed_seeds" not in u                                   # significant: no seeds needed


def test_needed_seeds_of_an_undecided_difference():
    a, b = [0.25, 0.65, 0.45], [0.60, 0.62, 0.59]
    u = two_groups(a, b, alpha=0.05, significant=False)
    pooled = math.sqrt((2 * var(a) + 2 * var(b)) / 4)
    d = abs(mean(a) - mean(b)) / pooled
    n = next(n for n in range(2, 1000) if power_two_sample(d, n, n, 0.05) >= 0.8)
    assert u["needed_seeds"] == n and u["needed_practical"] is True
    # A difference next to nothing: no practical number of seeds would detect it.
    u = two_groups([0.5, 0.6, 0.7], [0.5001, 0.6001, 0.7001], alpha=0.05, significant=False)
    assert u["needed_seeds"] is None and u["needed_practical"] is False and PRACTICAL_SEEDS == 200
    # So small that the power solver fails (it gives up near 10¹³ seeds): still none, not two.
    u = two_groups([0.5, 0.6, 0.7], [0.5 + 1e-10, 0.6 + 1e-10, 0.7 + 1e-10], alpha=0.05, significant=False)
    assert u["needed_seeds"] is None and u["needed_practical"] is False


def test_one_group_margin():
    m = [0.1, 0.2, 0.15, 0.12]
    u = one_group(m, alpha=0.05, significant=False)
    half = stats.t.ppf(0.975, len(m) - 1) * math.sqrt(var(m) / len(m))
    assert (u["ci_low"], u["ci_high"]) == pytest.approx((mean(m) - half, mean(m) + half), rel=1e-9)
    assert u["hedges_g"] == pytest.approx(mean(m) / math.sqrt(var(m)) * (1 - 3 / (4 * (len(m) - 1) - 1)))

    def power(d, n):
        crit = stats.t.ppf(0.975, n - 1)
        return stats.nct.sf(crit, n - 1, d * math.sqrt(n)) + stats.nct.cdf(-crit, n - 1, d * math.sqrt(n))
    d = mean(m) / math.sqrt(var(m))
    assert u["needed_seeds"] == next(n for n in range(2, 1000) if power(d, n) >= 0.8)


def test_too_few_values_or_no_spread_state_no_uncertainty():
    assert two_groups([0.3], [0.4, 0.5], 0.05, False) == {}
    assert two_groups([0.3, 0.3], [0.4, 0.4], 0.05, True) == {}
    assert one_group([0.1], 0.05, False) == {}


def test_a_large_difference_that_is_not_significant_needs_two_seeds_not_none():
    # Welch's test with one tight group has one degree of freedom: t = 11 gives p = 0.058. The
    # power solver cannot go below two seeds and fails; two seeds already give power ≥ 0.8.
    a, b = [0.0, 0.0], [1.0, 1.2]
    assert stats.ttest_ind(a, b, equal_var=False).pvalue > 0.05
    u = two_groups(a, b, alpha=0.05, significant=False)
    assert (u["needed_seeds"], u["needed_practical"]) == (2, True)
    d, crit = 1.1 / 0.1, stats.t.ppf(0.975, 2)          # pooled SD 0.1; two seeds a side: df 2, nc d·√(2/2)
    assert stats.nct.sf(crit, 2, d) >= 0.8                # the upper tail alone already reaches it
    u = one_group([1.0, 1.05], alpha=0.05, significant=False)
    assert (u["needed_seeds"], u["needed_practical"]) == (2, True)


def test_one_group_of_two_values_states_no_hedges_g():
    # Hedges' correction 1 − 3 / (4·df − 1) is 0 at one degree of freedom: a g of 0 would be wrong.
    assert one_group([0.1, 0.3], 0.05, False)["hedges_g"] is None
    assert one_group([0.1, 0.3, 0.2], 0.05, False)["hedges_g"] == pytest.approx(2.0 * (1 - 3 / 7))
