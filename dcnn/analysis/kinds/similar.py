"""similar: the difference of group a's and group b's metric shown to lie within ±margin — two
one-sided Welch tests (statsmodels' ttost_ind): supported when both reject (inside the margin),
contradicted when the difference is shown to lie beyond it."""
from __future__ import annotations

from ..claim_words import REASON_WORDS, pair_words, test_words
from ..inference import equivalence, equivalence_interval
from ..judging import Judging, observed, pair_entry, present, relative_or_absolute
from ..numbers import Sentence, num
from ..sentences import uncertainty_words
from ..vocabulary import CONTRADICTED, SUPPORTED
from .base import ClaimKind, register


def judge(results: dict, check: dict, how: Judging) -> dict:
    entry = pair_entry(results, check, check["similar"], how)
    c = entry["comparison"]
    _, _, reason = observed(c)
    entry["similar_margin"] = margin = relative_or_absolute(check, how, entry["b_stats"]["mean"])
    if c["verdict"] in ("a_diverged", "b_diverged"):      # one diverged, the other did not: not similar
        return {**entry, "candidate": CONTRADICTED, "p_value": 0.0, "reason": None}
    if reason is not None and reason != "identical":
        return {**entry, "candidate": None, "p_value": None, "reason": reason}
    av, bv = present(c["a_values"]), present(c["b_values"])
    eq = equivalence(av, bv, margin["value"])
    if eq["p_similar"] is None:
        return {**entry, "candidate": None, "p_value": None,
                "reason": "single_seed" if min(len(av), len(bv)) < 2 else "no_spread"}
    ci = equivalence_interval(av, bv, how.alpha)
    entry["equivalence"] = {"p_similar": eq["p_similar"], "p_different": eq["p_different"],
                            "confidence": 1 - 2 * how.alpha, **({"ci_low": ci[0], "ci_high": ci[1]} if ci else {})}
    similar = eq["p_similar"] <= eq["p_different"]
    return {**entry, "candidate": SUPPORTED if similar else CONTRADICTED,
            "p_value": min(eq["p_similar"], eq["p_different"]), "reason": None}


def _margin_words(results: dict, ci: int) -> Sentence:
    C = f"/claims/{ci}"
    c = results["claims"][ci]
    m = c["similar_margin"]
    margin = ["±", num(results, f"{C}/similar_margin/value")]
    if m["relative"] is not None:
        margin += [" (", num(results, f"{C}/similar_margin/relative", "pct"), " of the second's mean)"]
    s: Sentence = ["; difference ", num(results, f"{C}/comparison/difference"), ", margin ", *margin]
    eq = c.get("equivalence")
    if not eq:
        return s + ["."]
    s += [". Two one-sided Welch tests: ", *test_words(results, ci)]
    if "ci_low" in eq:
        inside = -m["value"] < eq["ci_low"] and eq["ci_high"] < m["value"]
        outside = eq["ci_low"] > m["value"] or eq["ci_high"] < -m["value"]
        where = "inside" if inside else ("outside" if outside else "across")
        s += ["; the ", num(results, f"{C}/equivalence/confidence", "pct"), " interval of the difference, ",
              num(results, f"{C}/equivalence/ci_low"), " to ", num(results, f"{C}/equivalence/ci_high"),
              f", lies {where} the margin"]
    more = uncertainty_words(results, f"{C}/comparison", similar=True)
    return s + (["; ", *more] if more else []) + ["."]


def evidence(results: dict, ci: int) -> Sentence:
    c = results["claims"][ci]
    s = pair_words(results, ci)
    if c["comparison"]["verdict"] in ("a_diverged", "b_diverged"):
        return s + [" (a group that diverged in every seed counts as the higher loss)."]
    if c.get("reason") in REASON_WORDS:
        return s + ["."]
    if c.get("similar_margin", {}).get("value") is not None:
        return s + _margin_words(results, ci)
    test = test_words(results, ci)
    if not test:
        return s + ["."]
    more = uncertainty_words(results, f"/claims/{ci}/comparison")
    return s + [" (Welch's t-test, ", *test, *(["; ", *more] if more else []), ")."]


# Where nothing differs "similar" is true: only a contradiction is a false verdict.
register(ClaimKind("similar", "compare", judge, evidence, ("a", "b"), order=12, margins=True,
                   false_when=(CONTRADICTED,)))
