"""The evidence under each claim of the report: the measured numbers its verdict rests on, and their
uncertainty. Every number points into results.json."""
from __future__ import annotations

from ..vocabulary import CLAIM_KINDS, METRIC_WORDS
from .numbers import Sentence, num
from .sentences import pm, stats_words, uncertainty_words
from .stats import group_by_name


def _compare_evidence(results: dict, ci: int) -> Sentence:
    C = f"/claims/{ci}"
    c = results["claims"][ci]
    cmp_ = c["comparison"]
    s = [f"{METRIC_WORDS[c['metric']]}: {cmp_['a']} ", *stats_words(results, f"{C}/a_stats"), f" vs {cmp_['b']} ",
         *stats_words(results, f"{C}/b_stats")]
    if cmp_["verdict"] == "both_collapsed":
        return s + [". Both collapsed in every seed: their outputs no longer depend on the input, so the claim "
                    "cannot be judged by them."]
    if cmp_["p_value"] is not None:
        more = uncertainty_words(results, f"{C}/comparison")
        return s + [" (", num(results, f"{C}/comparison/p_value", "p"), *(["; ", *more] if more else []), ")."]
    if cmp_["verdict"] == "single_seed":
        return s + [" (single seed, no noise estimate)."]
    return s + ["."]


def _rank_evidence(results: dict, ci: int) -> Sentence:
    C = f"/claims/{ci}"
    c = results["claims"][ci]
    a, best = c["check"]["a"], c["kind"] == "best"
    lead = ([f"{a} diverged in every seed; "] if group_by_name(results, a)["metrics"][c["metric"]]["n"] == 0 else
            [f"{a} ranks ", num(results, f"{C}/rank", "int"), f" of {len(c['ranking'])} by mean "
             f"{METRIC_WORDS[c['metric']]} (1 = {'lowest' if best else 'highest'}); "])
    return lead + [f"it is significantly {'lower' if best else 'higher'} than ",
                   num(results, f"{C}/n_beaten", "int"), f" of {len(c['comparisons'])} others and significantly "
                   f"{'higher' if best else 'lower'} than ", num(results, f"{C}/n_beating", "int"),
                   " (a diverged run counts as the higher loss).", *_deciding_words(results, ci)]


def _deciding_words(results: dict, ci: int) -> Sentence:
    d = results["claims"][ci].get("deciding") or {}
    more = uncertainty_words(results, f"/claims/{ci}/deciding") if d else []
    if not more:
        return []
    return [f" The least clear comparison, {d['a']} against {d['b']}: difference ",
            num(results, f"/claims/{ci}/deciding/difference"), " (", num(results, f"/claims/{ci}/deciding/p_value", "p"),
            "; ", *more, ")."]


def _lr_evidence(results: dict, ci: int) -> Sentence:
    C = f"/claims/{ci}"
    return ["lr ", num(results, f"{C}/better", "g"), " has a significantly lower ",
            METRIC_WORDS[results["claims"][ci]["metric"]], " than lr ", num(results, f"{C}/worse", "g"),
            " in ", num(results, f"{C}/n_better", "int"), " of ", num(results, f"{C}/n", "int"),
            " variants (a diverged run counts as worse) and a significantly higher one in ",
            num(results, f"{C}/n_worse", "int"), ".", *_deciding_words(results, ci)]


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
    more = uncertainty_words(results, f"{C}/margin")
    if more:
        s += [f" The margin ({c['margin']['measures']}, positive when it holds) is ",
              *pm(results, f"{C}/margin"), ": ", *more, "."]
    return s


def claim_evidence(results: dict, ci: int) -> Sentence:
    """The measured evidence behind claim ``ci``, with every number pointing into results.json."""
    shape = CLAIM_KINDS[results["claims"][ci]["kind"]].shape
    return {"compare": _compare_evidence, "rank": _rank_evidence, "lr": _lr_evidence,
            "flag": _flag_evidence}[shape](results, ci)
