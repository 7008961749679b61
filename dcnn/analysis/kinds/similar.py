"""similar: group a's and group b's metric shown to differ by less than the margin — two one-sided Welch
tests at Hsu's degrees of freedom against its bounds (a − b against ±margin, or, for a margin that is a
share r of b's mean, a against (1 ± r)·b: the ratio of the means within 1 ± r), both at half the claim's
level, so that its interval at that level lies inside the margin (supported); contradicted when the
difference is shown to lie beyond the margin (two-sided). At the margin both verdicts are false, and
together they stay at the level. A seed that diverged before it had a value lies beyond any margin: the
exact rank test of a difference may contradict the claim, nothing can support it."""
from __future__ import annotations

from ..claim_words import REASON_WORDS, pair_words, test_words
from ..inference import difference_interval, equivalence, ratio_interval
from ..judging import Judging, observed, pair_entry, present, relative_or_absolute, true_margin
from ..numbers import Sentence, num
from ..sentences import rank_words, uncertainty_words
from ..stats import settle as settle_comparison
from ..uncertainty import power_with
from ..vocabulary import CONTRADICTED, INCONCLUSIVE, SUPPORTED
from .base import ClaimKind, register


def judge(results: dict, check: dict, how: Judging) -> dict:
    entry = pair_entry(results, check, check["similar"], how)
    c = entry["comparison"]
    _, p, reason = observed(c)
    entry["similar_margin"] = margin = relative_or_absolute(check, how, entry["b_stats"]["mean"])
    if c["test"] == "rank" and (c["a_lost"] or c["b_lost"]):
        return {**entry, "candidate": None if p is None else CONTRADICTED, "p_value": p, "reason": reason}
    if reason is not None and reason != "identical":
        return {**entry, "candidate": None, "p_value": None, "reason": reason}
    av, bv = present(c["a_values"]), present(c["b_values"])
    eq = equivalence(av, bv, margin)
    if eq["p_similar"] is None:
        return {**entry, "candidate": None, "p_value": None,
                "reason": "single_seed" if min(len(av), len(bv)) < 2 else "no_spread"}
    p_similar, p_different = min(1.0, 2 * eq["p_similar"]), eq["p_different"]
    entry["equivalence"] = {"p_similar": eq["p_similar"], "p_different": p_different,
                            "scale": "difference" if margin["relative"] is None else "ratio"}
    return {**entry, "candidate": SUPPORTED if p_similar <= p_different else CONTRADICTED,
            "p_value": min(p_similar, p_different), "reason": None}


def settle(results: dict, entry: dict, level: float, uncertainty: bool) -> None:
    """The comparison at the claim's level, and the interval the two one-sided tests decide by: of the
    difference (a margin in the metric's units) or of the ratio of the means (a share of b's mean)."""
    c, margin, eq = entry["comparison"], entry["similar_margin"], entry.get("equivalence")
    settle_comparison(c, level, uncertainty, margin=margin["value"], decided=entry["verdict"] != INCONCLUSIVE)
    if eq and uncertainty:
        av, bv = present(c["a_values"]), present(c["b_values"])
        ci = (ratio_interval if eq["scale"] == "ratio" else difference_interval)(av, bv, 1 - level)
        eq.update(confidence=1 - level, ci_low=ci[0] if ci else None, ci_high=ci[1] if ci else None)


def reach(results: dict, entry: dict, level: float, seeds: int):
    c = entry["comparison"]
    if c["test"] != "welch" or entry["similar_margin"]["value"] is None:
        return None
    return power_with(present(c["a_values"]), present(c["b_values"]), level, seeds,
                      margin=entry["similar_margin"]["value"])


def truth(check: dict, mean, groups=()) -> float:
    metric = check["similar"]
    return true_margin(check, metric, mean) - abs(mean(check["a"], metric) - mean(check["b"], metric))


def least_favourable(check: dict, mean, spread, groups=()) -> dict:
    """The difference at the margin (a above b by exactly it): both verdicts are false there."""
    metric = check["similar"]
    return {(check["a"], metric): true_margin(check, metric, mean) - (mean(check["a"], metric) - mean(check["b"], metric))}


def _interval_words(results: dict, ci: int) -> Sentence:
    C = f"/claims/{ci}"
    c = results["claims"][ci]
    m, eq = c["similar_margin"], c["equivalence"]
    if eq.get("ci_low") is None:
        return []
    if eq["scale"] == "ratio":
        lo, hi, what = 1 - m["relative"], 1 + m["relative"], "ratio of the means (a / b)"
    else:
        lo, hi, what = -m["value"], m["value"], "difference"
    inside, outside = lo < eq["ci_low"] and eq["ci_high"] < hi, eq["ci_low"] > hi or eq["ci_high"] < lo
    where = "inside" if inside else ("outside" if outside else "across")
    return ["; the ", num(results, f"{C}/equivalence/confidence", "pct"), f" interval of the {what} at the claim's "
            "level, ", num(results, f"{C}/equivalence/ci_low"), " to ", num(results, f"{C}/equivalence/ci_high"),
            f", lies {where} the margin"]


def _margin_words(results: dict, ci: int) -> Sentence:
    C = f"/claims/{ci}"
    c = results["claims"][ci]
    m = c["similar_margin"]
    margin = ["±", num(results, f"{C}/similar_margin/value")]
    if m["relative"] is not None:
        margin += [" (", num(results, f"{C}/similar_margin/relative", "pct"), " of the second's mean, tested as the "
                   "ratio of the means)"]
    s: Sentence = ["; difference ", num(results, f"{C}/comparison/difference"), ", margin ", *margin]
    if not c.get("equivalence"):
        return s + ["."]
    s += [". Two one-sided Welch tests at Hsu's degrees of freedom: ", *test_words(results, ci),
          *_interval_words(results, ci)]
    more = uncertainty_words(results, f"{C}/comparison", similar=True)
    return s + (["; ", *more] if more else []) + ["."]


def evidence(results: dict, ci: int) -> Sentence:
    c = results["claims"][ci]
    s = pair_words(results, ci)
    if c.get("reason") in REASON_WORDS:
        return s + ["."]
    if c["comparison"].get("test") == "rank":
        test = test_words(results, ci)
        return s + [" (", *rank_words(results, f"/claims/{ci}/comparison"), *([", ", *test] if test else []),
                    "; a seed that diverged lies beyond any margin)."]
    return s + _margin_words(results, ci)


# Where nothing differs "similar" is true: only a contradiction is a false verdict; at the margin both are.
register(ClaimKind("similar", "compare", judge, evidence, ("a", "b"), order=12, margins=True,
                   false_when=(CONTRADICTED,), settle=settle, reach=reach, truth=truth,
                   least_favourable=least_favourable))
