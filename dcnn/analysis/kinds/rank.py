"""best / worst: group a lowest (highest) among the groups named in ``among`` — every comparison of a
with another must point its way (an intersection–union test); one counter-example contradicts it
after a correction for the comparisons."""
from __future__ import annotations

from ..claim_words import CORRECTION_WORDS, claim_p, deciding_words
from ..judging import Judging, counts, every_one
from ..numbers import Sentence, num
from ..stats import compare, group_by_name
from ..vocabulary import METRIC_WORDS
from .base import ClaimKind, register


def judge(results: dict, kind: str, check: dict, how: Judging) -> dict:
    metric = check[kind]
    others = [o for o in check["among"] if o != check["a"]]
    comps = [compare(results, check["a"], o, metric, how.alpha, uncertainty=False) for o in others]
    want = "lower" if kind == "best" else "higher"
    mean = lambda g: group_by_name(results, g)["metrics"][metric]["mean"]  # noqa: E731
    ranking = sorted([check["a"]] + others, key=lambda g: (mean(g) is None,
                                                           (mean(g) or 0.0) * (1 if kind == "best" else -1)))
    n_beaten, n_beating = counts(comps, want, how.alpha, how.correction)
    return {"metric": metric, "comparisons": comps, "ranking": ranking, "rank": ranking.index(check["a"]) + 1,
            "n_beaten": n_beaten, "n_beating": n_beating, **every_one(comps, want, how.correction)}


def evidence(results: dict, ci: int) -> Sentence:
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
                   " (a diverged run counts as the higher loss).", *deciding_words(results, ci), *claim_p(results, ci)]


register(ClaimKind("best", "rank", lambda r, check, how: judge(r, "best", check, how), evidence, ("a", "among"),
                   order=20),
         ClaimKind("worst", "rank", lambda r, check, how: judge(r, "worst", check, how), evidence, ("a", "among"),
                   order=21))
