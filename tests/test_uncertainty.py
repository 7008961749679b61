"""Every comparison states its uncertainty: checked against the textbook formulas (computed here with
scipy's t distribution only) and, for the power of Welch's statistic at Hsu's degrees of freedom (the
test the verdicts use), against a simulation of the test itself."""
import math

import numpy as np
import pytest
from scipy import stats

from dcnn.analysis.uncertainty import (PRACTICAL_SEEDS, one_group, power_with, tost_power, two_groups, welch_df,
                                       welch_power)

A = [0.31, 0.35, 0.29, 0.33]
B = [0.52, 0.44, 0.61]


def mean(x):
    return sum(x) / len(x)


def var(x):
    m = mean(x)
    return sum((v - m) ** 2 for v in x) / (len(x) - 1)


def simulated_welch_power(delta, sa, na, sb, nb, alpha, n=40_000, seed=0):
    """The share of simulated studies in which scipy's Welch statistic, judged against Student's t with
    min(na, nb) − 1 degrees of freedom, rejects at alpha."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, sa, (n, na))
    y = rng.normal(delta, sb, (n, nb))
    t = stats.ttest_ind(x, y, axis=1, equal_var=False).statistic
    return float((2 * stats.t.sf(np.abs(t), min(na, nb) - 1) < alpha).mean())


def test_interval_and_effect_size_of_two_groups():
    u = two_groups(A, B, alpha=0.01, decided=True)
    # The interval: difference ± t(1 − level/2, min(na, nb) − 1) × Welch's standard error, at 95 % (descriptive)
    # and at the verdict's level.
    va, vb = var(A) / len(A), var(B) / len(B)
    df = (va + vb) ** 2 / (va ** 2 / (len(A) - 1) + vb ** 2 / (len(B) - 1))
    diff = mean(A) - mean(B)
    for low, high, confidence in (("ci_low", "ci_high", 0.95), ("decision_low", "decision_high", 0.99)):
        half = stats.t.ppf(1 - (1 - confidence) / 2, min(len(A), len(B)) - 1) * math.sqrt(va + vb)
        assert (u[low], u[high]) == pytest.approx((diff - half, diff + half), rel=1e-9)
    assert u["decision_confidence"] == 0.99
    assert welch_df(math.sqrt(var(A)), len(A), math.sqrt(var(B)), len(B)) == pytest.approx(
        stats.ttest_ind(A, B, equal_var=False).df, rel=1e-12)
    # Hedges' g: the standardised difference with the pooled SD, times 1 - 3 / (4 (n1 + n2) - 9).
    pooled = math.sqrt(((len(A) - 1) * var(A) + (len(B) - 1) * var(B)) / (len(A) + len(B) - 2))
    assert u["hedges_g"] == pytest.approx(diff / pooled * (1 - 3 / (4 * (len(A) + len(B)) - 9)), rel=1e-9)
    assert "needed_seeds" not in u                                   # decided: no seeds needed


def test_the_detectable_difference_is_detected_by_welchs_test_with_power_0_8():
    # The audit's case: one tight group, one wide; Student's power said 3 seeds would do, Welch's
    # real power at its stated difference was 0.52.
    a, b = [0.500, 0.501, 0.502], [0.70, 0.85, 1.00]
    u = two_groups(a, b, alpha=0.05, decided=False)
    sa, sb = math.sqrt(var(a)), math.sqrt(var(b))
    assert simulated_welch_power(u["mde"], sa, 3, sb, 3, 0.05) == pytest.approx(0.8, abs=0.01)
    assert u["needed_seeds"] > 3                                     # not the 3 it already has
    n = u["needed_seeds"]
    shrunk = abs(u["hedges_g"]) * math.sqrt((var(a) + var(b)) / 2)
    assert simulated_welch_power(shrunk, sa, n, sb, n, 0.05) >= 0.78
    assert simulated_welch_power(shrunk, sa, n - 1, sb, n - 1, 0.05) < 0.82


def test_welch_power_equals_scipys_test_simulated_independently():
    for delta, sa, na, sb, nb, alpha in ((3.0, 1.0, 3, 1.0, 3, 0.05), (4.2, 1.0, 3, 1.0, 3, 0.0167),
                                         (1.0, 0.2, 4, 1.0, 6, 0.0167), (0.3, 0.5, 10, 0.5, 10, 0.05),
                                         (5.6, 1.0, 2, 1.0, 2, 0.05)):
        assert welch_power(delta, sa, na, sb, nb, alpha) == pytest.approx(
            simulated_welch_power(delta, sa, na, sb, nb, alpha, seed=7), abs=0.012)


def test_the_power_of_the_guarded_test_at_equal_spreads_is_a_noncentral_t():
    # Where the two spreads are equal and the seeds as many, Welch's statistic is a noncentral t with
    # na + nb − 2 degrees of freedom exactly; judged against Hsu's critical value (2 degrees of freedom at
    # three seeds a side) its power is that distribution's tail beyond it. The textbook approximation (the
    # critical value at 4 degrees of freedom) says 0.8 where the guarded test has 0.45: the price of a
    # test that keeps its level at every ratio of the spreads.
    ncp = 3.071 / math.sqrt(2 / 3)
    assert stats.nct.sf(stats.t.ppf(0.975, 4), 4, ncp) == pytest.approx(0.8, abs=0.01)
    crit = stats.t.ppf(0.975, 2)
    exact = stats.nct.sf(crit, 4, ncp) + stats.nct.cdf(-crit, 4, ncp)
    assert welch_power(3.071, 1.0, 3, 1.0, 3, 0.05) == pytest.approx(exact, abs=0.01) and exact < 0.5


def test_needed_seeds_of_an_undecided_difference_use_g_and_more_seeds_than_there_are():
    a, b = [0.25, 0.65, 0.45], [0.60, 0.62, 0.59]
    u = two_groups(a, b, alpha=0.05, decided=False)
    shrunk = abs(u["hedges_g"]) * math.sqrt((var(a) + var(b)) / 2)
    sa, sb = math.sqrt(var(a)), math.sqrt(var(b))
    n = u["needed_seeds"]
    assert n > 3 and u["needed_practical"] is True
    assert simulated_welch_power(shrunk, sa, n, sb, n, 0.05) >= 0.79
    assert simulated_welch_power(shrunk, sa, n - 1, sb, n - 1, 0.05) < 0.81
    # A difference next to nothing: no practical number of seeds would detect it.
    u = two_groups([0.5, 0.6, 0.7], [0.5001, 0.6001, 0.7001], alpha=0.05, decided=False)
    assert u["needed_seeds"] is None and u["needed_practical"] is False and PRACTICAL_SEEDS == 200


def test_one_group_margin():
    m = [0.1, 0.2, 0.15, 0.12]
    u = one_group(m, alpha=0.05, decided=False)
    half = stats.t.ppf(0.975, len(m) - 1) * math.sqrt(var(m) / len(m))
    assert (u["ci_low"], u["ci_high"]) == pytest.approx((mean(m) - half, mean(m) + half), rel=1e-9)
    g = mean(m) / math.sqrt(var(m)) * (1 - 3 / (4 * (len(m) - 1) - 1))
    assert u["hedges_g"] == pytest.approx(g)

    def power(d, n):
        crit = stats.t.ppf(0.975, n - 1)
        return stats.nct.sf(crit, n - 1, d * math.sqrt(n)) + stats.nct.cdf(-crit, n - 1, d * math.sqrt(n))
    assert u["needed_seeds"] == next(n for n in range(5, 1000) if power(g, n) >= 0.8)


def test_too_few_values_or_no_spread_state_no_uncertainty():
    assert two_groups([0.3], [0.4, 0.5], 0.05, False) == {}
    assert two_groups([0.3, 0.3], [0.4, 0.4], 0.05, True) == {}
    assert one_group([0.1], 0.05, False) == {}
    assert power_with([0.3, 0.3], [0.4, 0.4], 0.05, 5) is None


def test_an_equivalence_is_shown_with_the_power_the_two_one_sided_tests_have():
    # Both one-sided tests at half the level, each at Hsu's degrees of freedom: the claim's p is twice the
    # larger of statsmodels' one-sided statistics' p-values.
    rng = np.random.default_rng(1)
    margin, sd, n, alpha = 0.1, 0.05, 5, 0.05
    x, y = rng.normal(0, sd, (20_000, n)), rng.normal(0, sd, (20_000, n))
    from statsmodels.stats.weightstats import ttost_ind
    one_sided = [ttost_ind(a, b, -margin, margin, usevar="unequal") for a, b in zip(x[:3000], y[:3000])]
    p = [max(stats.t.sf(low[0], n - 1), stats.t.cdf(high[0], n - 1)) for _, low, high in one_sided]
    shown = np.mean([2 * v < alpha for v in p])
    assert tost_power(0.0, margin, sd, n, sd, n, alpha) == pytest.approx(shown, abs=0.03)
    u = two_groups(list(x[0]), list(y[0]), alpha, decided=True, margin=margin)
    assert 0 < u["mde"] < margin * 2


def test_one_group_of_two_values_states_no_hedges_g():
    # Hedges' correction 1 − 3 / (4·df − 1) is 0 at one degree of freedom: a g of 0 would be wrong.
    assert one_group([0.1, 0.3], 0.05, False)["hedges_g"] is None
    assert one_group([0.1, 0.3, 0.2], 0.05, False)["hedges_g"] == pytest.approx(2.0 * (1 - 3 / 7))
