"""The evidence under each claim of the report: the measured numbers its verdict rests on, the test
that decided it and its uncertainty. Every number points into results.json."""
from __future__ import annotations

from .vocabulary import CLAIM_KINDS, INCONCLUSIVE, METRIC_WORDS
from .numbers import Sentence, num
from .sentences import pm, stats_words, uncertainty_words
from .stats import group_by_name

CORRECTION_WORDS = {"holm": "Holm's method", "bonferroni": "Bonferroni's method", "none": "no correction"}
# Why a claim could not point to a verdict, in words.
REASON_WORDS = {
    "not_run": "a group it rests on has not been trained yet",
    "both_diverged": "both groups diverged in every seed",
    "both_collapsed": "both groups collapsed in every seed: their outputs no longer depend on the input, so "
                      "the claim cannot be judged by them",
    "single_seed": "a group it rests on has a single seed, so there is no noise estimate",
    "identical": "the two groups are identical in every seed",
    "no_epoch": "every seed diverged before finishing an epoch: there is no curve to judge",
    "no_margin": "the per-seed margins average exactly zero",
    "no_spread": "every seed of both groups gave the same value, so no test can show the difference inside or "
                 "outside the margin",
    "nothing_to_compare": "there is nothing to compare it with",
}


def _test_words(results: dict, ci: int) -> Sentence:
    """The p-value that decided the claim, and its corrected value when several claims share alpha."""
    C = f"/claims/{ci}"
    c = results["claims"][ci]
    if c["p_value"] is None:
        return []
    s: Sentence = [num(results, f"{C}/p_value", "p")]
    if c["family"] > 1 and c["correction"] != "none":
        s += [f"; {CORRECTION_WORDS[c['correction']]} over the ", num(results, f"{C}/family", "int"),
              " claims: corrected ", num(results, f"{C}/p_adjusted", "p")]
    return s


def _compare_evidence(results: dict, ci: int) -> Sentence:
    C = f"/claims/{ci}"
    c = results["claims"][ci]
    cmp_ = c["comparison"]
    s = [f"{METRIC_WORDS[c['metric']]}: {cmp_['a']} ", *stats_words(results, f"{C}/a_stats"), f" vs {cmp_['b']} ",
         *stats_words(results, f"{C}/b_stats")]
    if cmp_["verdict"] in ("a_diverged", "b_diverged"):
        return s + [" (a group that diverged in every seed counts as the higher loss)."]
    if c.get("reason") in REASON_WORDS:
        return s + ["."]
    if c["kind"] == "similar" and c.get("similar_margin", {}).get("value") is not None:
        return s + _similar_words(results, ci)
    test = _test_words(results, ci)
    if test:
        name = "exact Mann–Whitney test, no spread in either group" if cmp_.get("test") == "mann_whitney" \
            else "Welch's t-test"
        more = uncertainty_words(results, f"{C}/comparison")
        return s + [f" ({name}, ", *test, *(["; ", *more] if more else []), ")."]
    return s + ["."]


def _similar_words(results: dict, ci: int) -> Sentence:
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
    s += [". Two one-sided Welch tests: ", *_test_words(results, ci)]
    if "ci_low" in eq:
        inside = -m["value"] < eq["ci_low"] and eq["ci_high"] < m["value"]
        outside = eq["ci_low"] > m["value"] or eq["ci_high"] < -m["value"]
        where = "inside" if inside else ("outside" if outside else "across")
        s += ["; the ", num(results, f"{C}/equivalence/confidence", "pct"), " interval of the difference, ",
              num(results, f"{C}/equivalence/ci_low"), " to ", num(results, f"{C}/equivalence/ci_high"),
              f", lies {where} the margin"]
    more = uncertainty_words(results, f"{C}/comparison", similar=True)
    return s + (["; ", *more] if more else []) + ["."]


def _rank_evidence(results: dict, ci: int) -> Sentence:
    C = f"/claims/{ci}"
    c = results["claims"][ci]
    a, best = c["check"]["a"], c["kind"] == "best"
    lead = ([f"{a} diverged in every seed; "] if group_by_name(results, a)["metrics"][c["metric"]]["n"] == 0 else
            [f"{a} ranks ", num(results, f"{C}/rank", "int"), f" of {len(c['ranking'])} by mean "
             f"{METRIC_WORDS[c['metric']]} (1 = {'lowest' if best else 'highest'}); "])
    k = len(c["comparisons"])
    over = f", after {CORRECTION_WORDS[c['correction']]} over those {k}," if k > 1 and c["correction"] != "none" else ""
    return lead + [f"it is significantly {'lower' if best else 'higher'} than ",
                   num(results, f"{C}/n_beaten", "int"), f" of {k} others and{over} significantly "
                   f"{'higher' if best else 'lower'} than ", num(results, f"{C}/n_beating", "int"),
                   " (a diverged run counts as the higher loss).", *_deciding_words(results, ci), *_claim_p(results, ci)]


def _deciding_words(results: dict, ci: int) -> Sentence:
    c = results["claims"][ci]
    d = c.get("deciding") or {}
    if not d or d.get("difference") is None:
        return []
    D = f"/claims/{ci}/deciding"
    which = ("The least clear comparison" if c["candidate"] != "contradicted" else
             "The counter-example that contradicts it" if c["verdict"] == "contradicted" else "The strongest counter-example")
    s = [f" {which}, {d['a']} against {d['b']}: difference ", num(results, f"{D}/difference")]
    if d.get("p_value") is not None:
        s += [" (", num(results, f"{D}/p_value", "p")]
        if "deciding_corrected_p" in c:
            s += [", corrected ", num(results, f"/claims/{ci}/deciding_corrected_p", "p")]
        more = uncertainty_words(results, D)
        s += [*(["; ", *more] if more else []), ")"]
    return s + ["."]


def _lr_evidence(results: dict, ci: int) -> Sentence:
    C = f"/claims/{ci}"
    c = results["claims"][ci]
    over = (f", after {CORRECTION_WORDS[c['correction']]} over them," if c["n"] > 1 and c["correction"] != "none"
            else "")
    return ["lr ", num(results, f"{C}/better", "g"), " has a significantly lower ",
            METRIC_WORDS[c["metric"]], " than lr ", num(results, f"{C}/worse", "g"),
            " in ", num(results, f"{C}/n_better", "int"), " of ", num(results, f"{C}/n", "int"),
            f" variants (a diverged run counts as worse) and{over} a significantly higher one in ",
            num(results, f"{C}/n_worse", "int"), ".", *_deciding_words(results, ci), *_claim_p(results, ci)]


def _claim_p(results: dict, ci: int) -> Sentence:
    """A claim over several comparisons: the p-value of its own test, and corrected over the claims."""
    test = _test_words(results, ci)
    return [" The claim's own test: ", *test, "."] if test else []


def _flag_evidence(results: dict, ci: int) -> Sentence:
    C = f"/claims/{ci}"
    c = results["claims"][ci]
    if c["n"] == 0:
        return [f"Every seed of {c['group']} diverged before finishing an epoch: there is no curve to judge."]
    if c["kind"] == "plateaus_by":
        s = [num(results, f"{C}/count", "int"), " of ", num(results, f"{C}/n", "int"),
             f" seeds of {c['group']} level off by epoch ", num(results, f"{C}/epoch", "int"), "."]
    else:
        s = [num(results, f"{C}/count", "int"), " of ", num(results, f"{C}/n", "int"),
             f" seeds of {c['group']} with a finished epoch {CLAIM_KINDS[c['kind']].words}."]
    s += [f" Tested on each seed's margin ({c['margin']['measures']}; positive when it holds): ",
          *pm(results, f"{C}/margin")]
    test = _test_words(results, ci)
    if test:
        name = "one-sample t-test against 0" if c["margin"]["std"] else "the same in every seed, so an exact sign test"
        s += [f" ({name}, ", *test, ")"]
    more = uncertainty_words(results, f"{C}/margin")
    return s + (["; ", *more] if more else []) + ["."]


def _why_undecided(results: dict, ci: int) -> Sentence:
    """For an inconclusive claim: what stood in the way."""
    C = f"/claims/{ci}"
    c = results["claims"][ci]
    if c["verdict"] != INCONCLUSIVE:
        return []
    deg = c.get("degenerate")
    if c.get("reason") == "degenerate" and deg:
        groups = ", ".join(f"{g}: {n} of {group_by_name(results, g)['n_done']}" for g, n in deg["groups"].items())
        word = lambda v: v or "no verdict"  # noqa: E731
        return [f" Inconclusive: some seeds collapsed or diverged ({groups}); with them the evidence points to "
                f"{word(deg['candidate_with'])}, without them to {word(deg['candidate_without'])}."]
    if c.get("reason") in REASON_WORDS and c["reason"] != "no_epoch":     # (no epoch: its evidence says so)
        return [f" Inconclusive: {REASON_WORDS[c['reason']]}."]
    if c["candidate"] is not None and c["p_adjusted"] is not None:
        which = "corrected p-value" if c["family"] > 1 and c["correction"] != "none" else "p-value"
        return [f" Inconclusive: its {which} is not below ", num(results, f"{C}/alpha_per_look", "e3"), "."]
    return []


def claim_evidence(results: dict, ci: int) -> Sentence:
    """The measured evidence behind claim ``ci``, with every number pointing into results.json."""
    shape = CLAIM_KINDS[results["claims"][ci]["kind"]].shape
    body = {"compare": _compare_evidence, "rank": _rank_evidence, "lr": _lr_evidence,
            "flag": _flag_evidence}[shape](results, ci)
    return body + _why_undecided(results, ci)
