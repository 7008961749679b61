"""best / worst: group a lowest (highest) among the groups named in ``among`` — every comparison of a
with another must point its way at the claim's level (an intersection–union test); one counter-example
contradicts it after a correction for the comparisons. A group that diverged in every seed before it had
a value ranks at the worst end of the metric, tied with any other that did."""
from __future__ import annotations

import math

from ..claim_words import CORRECTION_WORDS, claim_p, deciding_words
from ..judging import Judging, at_level, every_one, present
from ..numbers import Sentence, num
from ..stats import compare, group_by_name, settle as settle_comparison
from ..uncertainty import power_with
from ..vocabulary import INCONCLUSIVE, METRIC_WORDS, worse_sign
from .base import ClaimKind, register

FAR = 1e3     # calibrate: "far worse" is this many times the largest spread of the claim's groups


def _ranking(results: dict, groups: list[str], metric: str, descending: bool) -> list[tuple[str, float]]:
    """(group, the value it is ranked by): its mean, or the worst end of the metric when it has no value."""
    def value(g: str) -> float:
        m = group_by_name(results, g)["metrics"][metric]["mean"]
        return m if m is not None else math.inf * worse_sign(metric)
    return sorted(((g, value(g)) for g in groups), key=lambda gv: -gv[1] if descending else gv[1])


def judge(results: dict, kind: str, check: dict, how: Judging) -> dict:
    metric = check[kind]
    others = [o for o in check["among"] if o != check["a"]]
    comps = [compare(results, check["a"], o, metric, how.alpha, uncertainty=False) for o in others]
    ranked = _ranking(results, [check["a"]] + others, metric, descending=kind == "worst")
    mine = dict(ranked)[check["a"]]
    tied = [i for i, (_, v) in enumerate(ranked) if v == mine]
    want = "lower" if kind == "best" else "higher"
    return {"metric": metric, "comparisons": comps, "ranking": [g for g, _ in ranked], "rank": tied[0] + 1,
            "rank_tied": len(tied), **every_one(comps, want, how.correction)}


def settle(results: dict, entry: dict, level: float, uncertainty: bool) -> None:
    """Each comparison at the claim's level (a counter-example after the correction over them), the counts
    that say how many show each way, and their uncertainty at their level."""
    want = "lower" if entry["kind"] == "best" else "higher"
    entry["n_beaten"], entry["n_beating"] = at_level(entry["comparisons"], want, level, entry["correction"])
    settle_each(entry, uncertainty)


def settle_each(entry: dict, uncertainty: bool) -> None:
    """The uncertainty of each of a claim's comparisons at its own level (rank and lr_beats claims)."""
    if uncertainty:
        decided = entry["verdict"] != INCONCLUSIVE
        for c in entry["comparisons"]:
            settle_comparison(c, c["alpha"], True, decided=decided or c is not entry.get("deciding"))


def reach(results: dict, entry: dict, level: float, seeds: int):
    """The power of the comparison that decides a claim over several (a contradiction needs it after the
    correction over them)."""
    d = entry.get("deciding") or {}
    if d.get("test") != "welch":
        return None
    k = max(1, len(entry["comparisons"]))
    at = level if entry["candidate"] != "contradicted" else level / k
    return power_with(present(d["a_values"]), present(d["b_values"]), at, seeds)


def truth(kind: str, check: dict, mean) -> float:
    metric, a = check[kind], check["a"]
    gaps = [(mean(o, metric) - mean(a, metric)) * (1 if kind == "best" else -1) for o in check["among"] if o != a]
    return min(gaps, default=0.0)


def least_favourable(kind: str, check: dict, mean, spread) -> dict:
    """a tied with its noisiest rival and every other far on the other side: both verdicts are false there,
    and a false "supported" needs only the tie to come out a's way."""
    metric, a = check[kind], check["a"]
    others = [o for o in dict.fromkeys(check["among"]) if o != a]
    if not others:
        return {}
    rival = max(others, key=lambda o: spread(o, metric))
    far = FAR * max(spread(g, metric) for g in [a, *others]) * (1 if kind == "best" else -1)
    shifts = {(rival, metric): mean(a, metric) - mean(rival, metric)}
    shifts.update({(o, metric): mean(a, metric) + far - mean(o, metric) for o in others if o != rival})
    return shifts


def evidence(results: dict, ci: int) -> Sentence:
    C = f"/claims/{ci}"
    c = results["claims"][ci]
    a, best = c["check"]["a"], c["kind"] == "best"
    n, k = len(c["ranking"]), len(c["comparisons"])
    end = "highest" if worse_sign(c["metric"]) > 0 else "lowest"
    if group_by_name(results, a)["metrics"][c["metric"]]["n"] == 0:
        lead = [f"{a} diverged in every seed before it had a value: it ranks at the {end} end of the "
                f"{METRIC_WORDS[c['metric']]}"]
        lead += ([", tied with ", num(results, f"{C}/rank_tied", "int"), " groups in all (ranks ",
                  num(results, f"{C}/rank", "int"), f"–{c['rank'] + c['rank_tied'] - 1} of {n}); "]
                 if c["rank_tied"] > 1 else ["; "])
    else:
        lead = [f"{a} ranks ", num(results, f"{C}/rank", "int"), f" of {n} by mean {METRIC_WORDS[c['metric']]} "
                f"(1 = {'lowest' if best else 'highest'}; a group that diverged in every seed ranks at the {end} "
                "end); "]
    over = f", after {CORRECTION_WORDS[c['correction']]} over those {k}," if k > 1 and c["correction"] != "none" else ""
    return lead + [f"at the claim's level it is significantly {'lower' if best else 'higher'} than ",
                   num(results, f"{C}/n_beaten", "int"), f" of {k} others and{over} significantly "
                   f"{'higher' if best else 'lower'} than ", num(results, f"{C}/n_beating", "int"),
                   ".", *deciding_words(results, ci), *claim_p(results, ci)]


def _kind(name: str, order: int) -> ClaimKind:
    return ClaimKind(name, "rank", lambda r, check, how: judge(r, name, check, how), evidence, ("a", "among"),
                     order=order, settle=settle, reach=reach, truth=lambda check, mean, groups: truth(name, check, mean),
                     least_favourable=lambda check, mean, spread, groups: least_favourable(name, check, mean, spread))


register(_kind("best", 20), _kind("worst", 21))
