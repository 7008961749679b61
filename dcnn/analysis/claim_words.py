"""The words every kind of claim shares in the report: the test that decided it, the comparison it
hangs on, and why it stayed undecided. Every number points into results.json."""
from __future__ import annotations

from .vocabulary import INCONCLUSIVE
from .numbers import Sentence, num
from .sentences import uncertainty_words
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
    "not_fitted": "the factorial analysis it rests on cannot be fitted on the seeds there are",
    "not_estimated": "an effect it names cannot be estimated: not every combination of its factors' levels has a value",
}


def test_words(results: dict, ci: int) -> Sentence:
    """The p-value that decided the claim, corrected for the claims' number and its look's share of alpha,
    and the level its own p is compared with."""
    C = f"/claims/{ci}"
    c = results["claims"][ci]
    if c["p_value"] is None:
        return []
    s: Sentence = [num(results, f"{C}/p_value", "p")]
    several, looked = c["family"] > 1 and c["correction"] != "none", c["looks"] > 1
    if looked:
        s += ["; over its look's share of alpha (", num(results, f"{C}/alpha_per_look", "e3"), " of ",
              num(results, f"{C}/alpha", "g"), ")"]
    if several:
        s += [" and " if looked else "; ", f"{CORRECTION_WORDS[c['correction']]} over the ",
              num(results, f"{C}/family", "int"), " claims"]
    if several or looked:
        s += [": corrected ", num(results, f"{C}/p_adjusted", "p")]
    return s + ["; the claim's level ", num(results, f"{C}/level", "e3")]


def deciding_words(results: dict, ci: int) -> Sentence:
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


def claim_p(results: dict, ci: int) -> Sentence:
    """A claim over several comparisons: the p-value of its own test, and corrected over the claims."""
    test = test_words(results, ci)
    return [" The claim's own test: ", *test, "."] if test else []


def why_undecided(results: dict, ci: int) -> Sentence:
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
        corrected = (c["family"] > 1 and c["correction"] != "none") or c["looks"] > 1
        return [f" Inconclusive: its {'corrected p-value' if corrected else 'p-value'} is not below alpha ",
                num(results, f"{C}/alpha", "g"),
                " (its own p is not below its level, ", num(results, f"{C}/level", "e3"), ")."]
    return []


def pair_words(results: dict, ci: int) -> Sentence:
    """A claim about a against b: the metric and each group's mean ± SD (n)."""
    from .sentences import stats_words
    from .vocabulary import METRIC_WORDS

    C = f"/claims/{ci}"
    c = results["claims"][ci]
    cmp_ = c["comparison"]
    return [f"{METRIC_WORDS[c['metric']]}: {cmp_['a']} ", *stats_words(results, f"{C}/a_stats"), f" vs {cmp_['b']} ",
            *stats_words(results, f"{C}/b_stats")]
