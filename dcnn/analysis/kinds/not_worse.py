"""not_worse (non-inferiority): group a is not worse than group b by more than the margin.

    check: {not_worse: test_loss_at_best, a: vgg16-freeze-first15@0.002, b: vgg16-train-all@0.002, margin: 0.05}

"Worse" is a higher loss (a lower accuracy). The margin is the claim's ``margin`` (in the metric's
units) or ``relative_margin`` (a share of b's mean), else the study's ``similar_margin``. It is
tested as one half of TOST: a one-sided Welch test of H0 "a is worse by the margin or more"
(statsmodels' ``ttest_ind`` against the margin) — supported when it rejects; contradicted when the
other one-sided test shows a worse by more than the margin. Where nothing differs the claim is true,
so only a contradiction is a false verdict (``dcnn calibrate`` counts it so).
"""
from __future__ import annotations

from ..claim_words import REASON_WORDS, pair_words, test_words
from ..judging import Judging, observed, pair_entry, present, relative_or_absolute
from ..numbers import Sentence, num
from ..sentences import uncertainty_words
from ..vocabulary import CONTRADICTED, METRIC_WORDS, SUPPORTED
from .base import ClaimKind, register


def worse_sign(metric: str) -> float:
    """+1 where a higher value is worse (losses, epochs), −1 where it is better (accuracies)."""
    return -1.0 if "accuracy" in METRIC_WORDS[metric] else 1.0


def one_sided(a: list[float], b: list[float], margin: float, sign: float) -> tuple[float, float]:
    """(p that a is not worse than b by the margin, p that it is worse by more): the two one-sided Welch
    tests of sign·(mean(a) − mean(b)) against the margin."""
    from statsmodels.stats.weightstats import ttest_ind

    x, y = ([v * sign for v in a], [v * sign for v in b])
    p_not_worse = float(ttest_ind(x, y, alternative="smaller", usevar="unequal", value=margin)[1])
    p_worse = float(ttest_ind(x, y, alternative="larger", usevar="unequal", value=margin)[1])
    return p_not_worse, p_worse


def judge(results: dict, check: dict, how: Judging) -> dict:
    metric = check["not_worse"]
    entry = pair_entry(results, check, metric, how)
    c = entry["comparison"]
    _, _, reason = observed(c)
    entry["worse_margin"] = margin = relative_or_absolute(check, how, entry["b_stats"]["mean"])
    sign = worse_sign(metric)
    if c["verdict"] in ("a_diverged", "b_diverged"):      # a diverged run counts as the worse one
        a_worse = (c["verdict"] == "a_diverged") == (sign > 0)
        return {**entry, "candidate": CONTRADICTED if a_worse else SUPPORTED, "p_value": 0.0, "reason": None}
    if reason is not None and reason != "identical":
        return {**entry, "candidate": None, "p_value": None, "reason": reason}
    av, bv = present(c["a_values"]), present(c["b_values"])
    if min(len(av), len(bv)) < 2 or c["difference_se"] in (None, 0.0) or margin["value"] is None:
        return {**entry, "candidate": None, "p_value": None,
                "reason": "single_seed" if min(len(av), len(bv)) < 2 else "no_spread"}
    p_not_worse, p_worse = one_sided(av, bv, margin["value"], sign)
    entry["non_inferiority"] = {"p_not_worse": p_not_worse, "p_worse": p_worse, "worse_is": "higher" if sign > 0
                                else "lower"}
    supported = p_not_worse <= p_worse
    return {**entry, "candidate": SUPPORTED if supported else CONTRADICTED,
            "p_value": min(p_not_worse, p_worse), "reason": None}


def evidence(results: dict, ci: int) -> Sentence:
    C = f"/claims/{ci}"
    c = results["claims"][ci]
    s = pair_words(results, ci)
    if c["comparison"]["verdict"] in ("a_diverged", "b_diverged"):
        return s + [" (a group that diverged in every seed counts as the worse one)."]
    if c.get("reason") in REASON_WORDS or "non_inferiority" not in c:
        return s + ["."]
    m, worse = c["worse_margin"], c["non_inferiority"]["worse_is"]
    margin = [num(results, f"{C}/worse_margin/value")]
    if m["relative"] is not None:
        margin += [" (", num(results, f"{C}/worse_margin/relative", "pct"), " of the second's mean)"]
    s += ["; difference ", num(results, f"{C}/comparison/difference"), f", worse meaning {worse} by more than ",
          *margin, ". One-sided Welch tests against the margin: ", *test_words(results, ci)]
    more = uncertainty_words(results, f"{C}/comparison")
    return s + (["; ", *more] if more else []) + ["."]


# Where nothing differs a is not worse than b: only a contradiction is a false verdict.
register(ClaimKind("not_worse", "compare", judge, evidence, ("a", "b"), order=13, margins=True,
                   false_when=(CONTRADICTED,)))
