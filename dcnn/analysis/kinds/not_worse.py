"""not_worse (non-inferiority): group a is not worse than group b by more than the margin.

    check: {not_worse: test_loss_at_best, a: vgg16-freeze-first15@0.002, b: vgg16-train-all@0.002, margin: 0.05}

"Worse" is a higher loss (a lower accuracy). The margin is the claim's ``margin`` (in the metric's
units) or ``relative_margin`` (a share of b's mean, tested as a ratio of means), else the study's
``similar_margin``. It is tested as one half of TOST, as ``similar`` is: a one-sided Welch test at
Hsu's degrees of freedom of H0 "a is worse by the margin or more" (statsmodels' ``ttest_ind`` against
the margin's bound) — supported when it rejects at half the claim's level; contradicted when the
opposite one-sided test shows a worse by more than the margin at half the level (the claim's p is
twice the smaller one-sided p: at the margin both verdicts are false, and together they stay at the
level). A seed that diverged before it had a value is the worst outcome, in the exact rank test.
"""
from __future__ import annotations

from ..claim_words import REASON_WORDS, pair_words, test_words
from ..inference import non_inferiority
from ..judging import Judging, observed, pair_entry, present, relative_or_absolute, true_margin
from ..numbers import Sentence, num
from ..sentences import rank_words, uncertainty_words
from ..stats import settle as settle_comparison
from ..uncertainty import power_with, two_groups
from ..vocabulary import CONTRADICTED, INCONCLUSIVE, SUPPORTED, worse_sign
from .base import ClaimKind, register


def judge(results: dict, check: dict, how: Judging) -> dict:
    metric = check["not_worse"]
    entry = pair_entry(results, check, metric, how)
    c = entry["comparison"]
    side, p, reason = observed(c)
    entry["worse_margin"] = margin = relative_or_absolute(check, how, entry["b_stats"]["mean"])
    sign = worse_sign(metric)
    if c["test"] == "rank" and (c["a_lost"] or c["b_lost"]):      # a diverged seed is the worst outcome
        a_worse = (side == "higher") == (sign > 0)
        return {**entry, "candidate": None if side is None else (CONTRADICTED if a_worse else SUPPORTED),
                "p_value": p, "reason": reason}
    if reason is not None and reason != "identical":
        return {**entry, "candidate": None, "p_value": None, "reason": reason}
    av, bv = present(c["a_values"]), present(c["b_values"])
    if min(len(av), len(bv)) < 2 or c["difference_se"] in (None, 0.0) or margin["value"] is None:
        return {**entry, "candidate": None, "p_value": None,
                "reason": "single_seed" if min(len(av), len(bv)) < 2 else "no_spread"}
    p_not_worse, p_worse = non_inferiority(av, bv, margin, sign)
    entry["non_inferiority"] = {"p_not_worse": p_not_worse, "p_worse": p_worse,
                                "worse_is": "higher" if sign > 0 else "lower"}
    supported = p_not_worse <= p_worse
    return {**entry, "candidate": SUPPORTED if supported else CONTRADICTED,
            "p_value": min(1.0, 2 * min(p_not_worse, p_worse)), "reason": None}


def _oriented(entry: dict) -> tuple[list[float], list[float]]:
    """a and b with worse as higher (an accuracy's sign turned), as the one-sided tests see them."""
    c, sign = entry["comparison"], worse_sign(entry["metric"])
    return [sign * v for v in present(c["a_values"])], [sign * v for v in present(c["b_values"])]


def settle(results: dict, entry: dict, level: float, uncertainty: bool) -> None:
    """The comparison at the claim's level; its detectable margin and needed seeds those of the one-sided
    test against the margin (on values turned so that worse is higher)."""
    c, m = entry["comparison"], entry["worse_margin"]["value"]
    decided = entry["verdict"] != INCONCLUSIVE
    settle_comparison(c, level, uncertainty, decided=decided)
    if uncertainty and c["test"] == "welch" and m is not None and c["ci_low"] is not None:
        u = two_groups(*_oriented(entry), level, decided=decided, margin=m, sided="one")
        c.update(mde=u.get("mde"), needed_seeds=u.get("needed_seeds"), needed_practical=u.get("needed_practical"))


def reach(results: dict, entry: dict, level: float, seeds: int):
    if entry["comparison"]["test"] != "welch" or entry["worse_margin"]["value"] is None:
        return None
    a, b = _oriented(entry)
    return power_with(a, b, level, seeds, margin=entry["worse_margin"]["value"], sided="one")


def truth(check: dict, mean, groups=()) -> float:
    metric = check["not_worse"]
    worse_by = worse_sign(metric) * (mean(check["a"], metric) - mean(check["b"], metric))
    return true_margin(check, metric, mean) - worse_by


def least_favourable(check: dict, mean, spread, groups=()) -> dict:
    """a worse than b by exactly the margin: both verdicts are false there."""
    return {(check["a"], check["not_worse"]): worse_sign(check["not_worse"]) * truth(check, mean)}


def evidence(results: dict, ci: int) -> Sentence:
    C = f"/claims/{ci}"
    c = results["claims"][ci]
    s = pair_words(results, ci)
    if c.get("reason") in REASON_WORDS:
        return s + ["."]
    if c["comparison"].get("test") == "rank":
        test = test_words(results, ci)
        return s + [" (", *rank_words(results, f"{C}/comparison"), *([", ", *test] if test else []), ")."]
    if "non_inferiority" not in c:
        return s + ["."]
    m, worse = c["worse_margin"], c["non_inferiority"]["worse_is"]
    margin = [num(results, f"{C}/worse_margin/value")]
    if m["relative"] is not None:
        margin += [" (", num(results, f"{C}/worse_margin/relative", "pct"), " of the second's mean, tested as the "
                   "ratio of the means)"]
    s += ["; difference ", num(results, f"{C}/comparison/difference"), f", worse meaning {worse} by more than ",
          *margin, ". One-sided Welch tests against the margin at Hsu's degrees of freedom (the claim's p is twice "
          "the smaller): ", *test_words(results, ci)]
    more = uncertainty_words(results, f"{C}/comparison")
    return s + (["; ", *more] if more else []) + ["."]


# Where nothing differs a is not worse than b: only a contradiction is a false verdict; at the margin both are.
register(ClaimKind("not_worse", "compare", judge, evidence, ("a", "b"), order=13, margins=True,
                   false_when=(CONTRADICTED,), settle=settle, reach=reach, truth=truth,
                   least_favourable=least_favourable))
