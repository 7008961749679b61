"""The evidence under each claim of the report — the measured numbers its verdict rests on, the test
that decided it and its uncertainty — and the statistical-methods paragraph, written from the
study's own settings. Every number points into results.json."""
from __future__ import annotations

from ..vocabulary import CLAIM_KINDS, INCONCLUSIVE, METRIC_WORDS
from .inference import CORRECTIONS
from .numbers import Sentence, get, num
from .sentences import pm, stats_words, uncertainty_words
from .stats import group_by_name
from .uncertainty import CONFIDENCE, DRAWS, POWER
from .verdicts import FUTILE_BELOW

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


def methods_sentences(results: dict) -> list[Sentence]:
    """The statistical methods, from the study's settings: tests, alpha, correction, margins, looks."""
    S, P = "/study/analysis", "/study/plan"
    an, plan = results["study"]["analysis"], results["study"]["plan"]
    n_claims = len(results["claims"])
    out: list[Sentence] = [[
        "Every number is a mean ± standard deviation over seeds, and every interval a ",
        f"{100 * CONFIDENCE:g} %", " confidence interval of a difference of means (Welch). The seeds of a group vary the network's "
        "initialisation, the order of the training images and any random transformation or dropout; the split "
        "into training and validation images is the same for every seed."]]
    out.append(["A comparison of two groups is Welch's two-sided t-test at alpha ", num(results, f"{S}/alpha", "g"),
                "; beside each raw p-value the tables give the Benjamini–Hochberg q-value over all ",
                num(results, "/study/methods/n_comparisons", "int"),
                " comparisons of this report, which are exploratory: a q-value below alpha keeps the expected share "
                "of false findings among them at alpha."])
    if n_claims:
        corr = CORRECTION_WORDS[an["correction"]]
        s: Sentence = ["The ", num(results, "/study/methods/n_claims", "int"),
                       " claims are one family: each claim's test gives one p-value, the family is corrected by ",
                       corr, " (", "statsmodels" if CORRECTIONS[an["correction"]] else "each at its own level",
                       "), and a claim is supported or contradicted only when its corrected p-value is below alpha"]
        if plan["looks"] > 1:
            s += [" divided by the ", num(results, f"{P}/looks", "int"), " planned looks (",
                  num(results, f"{P}/alpha_per_look", "e3"), " at each look: up to ",
                  num(results, f"{S}/max_seeds", "int"), " seeds per group, one look after each added seed, "
                  "a Bonferroni split that keeps the chance of any false verdict at alpha however the looks go)"]
        out.append(s + ["."])
        out.append(["A claim that one group is lower or higher than another uses Welch's test. A claim that two are "
                    "similar is decided by two one-sided Welch tests against a margin, by default ±",
                    num(results, f"{S}/similar_margin", "pct"), " of the second group's mean: it is supported only "
                    "when the difference is shown to lie inside the margin and contradicted only when it is shown to "
                    "lie outside, never by the mere absence of a significant difference. A claim that one group is "
                    "the best (or worst) of several, or that one learning rate beats another for every variant, is "
                    "supported when every comparison it needs points its way (the largest of their p-values decides) "
                    "and contradicted when one comparison shows the opposite after ", corr, " over its comparisons. "
                    "A claim about every seed of a group (it learns, overfits, is still improving, levels off by an "
                    "epoch) is a one-sample t-test of a per-seed margin that is positive when the claim holds; the "
                    "count of seeds that show it is a description, since a sign test on three seeds could never reach "
                    "alpha. A group that holds some diverged or collapsed seeds is judged with and without them, and "
                    "the claim is decided only when both agree."])
        out.append(["The smallest detectable differences and the seeds needed are those of the test the verdict "
                    "uses, at power ", f"{POWER:g}", ": for Welch's test they are simulated (", f"{DRAWS:,}",
                    " studies with each group's own spread, judged as Welch's test judges them, since with three "
                    "seeds a side the textbook noncentral-t formula overstates its power), for the difference that "
                    "Hedges' g states rather than the raw one, at the alpha of one look before the correction for "
                    "the number of claims. A claim that seeds up to the cap would settle with "
                    "less than ", f"{100 * FUTILE_BELOW:g} %", " power is not given more seeds."])
    if plan.get("restarts"):
        r = plan["restarts"][-1]
        out.append([f"The plan of looks was restarted with python -m dcnn run --decide --new-plan; it had been "
                    f"max_seeds {r['max_seeds']}, alpha {r['alpha']:g}, correction {r['correction']}. Verdicts after "
                    "a restarted plan no longer keep the chance of a false verdict at alpha."])
    cal = results["study"].get("calibration")
    if cal:
        C = "/study/calibration"
        out.append(["Simulated with no true difference anywhere (python -m dcnn calibrate, ", num(results, f"{C}/n", "count"),
                    " studies of these claims with the seeds' own spread), some claim got a false verdict in ",
                    num(results, f"{C}/family_rate", "pct"), " of them (± ", num(results, f"{C}/family_se", "pct"),
                    ") with the seeds declared, and in ", num(results, f"{C}/decide/family_rate", "pct"),
                    " with seeds added by --decide."])
    return out
