"""lr_beats: for every variant run at both learning rates, the better rate gives the lower metric —
every pair must point that way at the claim's level; one counter-example contradicts it after a
correction for the pairs. A rate that diverged in every seed is the worst outcome of a rank test."""
from __future__ import annotations

from ..claim_words import CORRECTION_WORDS, claim_p, deciding_words
from ..judging import Judging, at_level, every_one, lr_pairs, present
from ..numbers import Sentence, num
from ..stats import compare, group_by_name
from ..vocabulary import METRIC_WORDS
from .base import ClaimKind, register
from .rank import FAR, reach, settle_each


def judge(results: dict, check: dict, how: Judging) -> dict:
    metric, better, worse = check["lr_beats"], check["better"], check["worse"]
    pairs = lr_pairs(results, better, worse)
    comps = [compare(results, b, w, metric, how.alpha, uncertainty=False) for b, w in pairs]
    one_diverged = sum((c["a_lost"] > 0 and not present(c["a_values"])) != (c["b_lost"] > 0 and not present(c["b_values"]))
                       for c in comps)
    unlearned = sum(all(group_by_name(results, g)["n_learned"] == 0 for g in pair) for pair in pairs)
    return {"metric": metric, "better": better, "worse": worse, "comparisons": comps, "n": len(comps),
            "n_one_diverged": one_diverged, "n_neither_learned": unlearned, **every_one(comps, "lower", how.correction)}


def settle(results: dict, entry: dict, level: float, uncertainty: bool) -> None:
    entry["n_better"], entry["n_worse"] = at_level(entry["comparisons"], "lower", level, entry["correction"])
    settle_each(entry, uncertainty)


def _pairs(groups: list[str]) -> list[tuple[str, str]]:
    """(better, worse) pairs from the claim's groups (claims.claim_groups: every better one, then every worse)."""
    half = len(groups) // 2
    return list(zip(groups[:half], groups[half:]))


def truth(check: dict, mean, groups: list[str]) -> float:
    metric = check["lr_beats"]
    return min((mean(w, metric) - mean(b, metric) for b, w in _pairs(groups)), default=0.0)


def least_favourable(check: dict, mean, spread, groups: list[str]) -> dict:
    """One pair tied (the noisiest), every other with the better rate far lower: both verdicts are false."""
    metric, pairs = check["lr_beats"], _pairs(groups)
    if not pairs:
        return {}
    tied = max(pairs, key=lambda p: spread(p[0], metric) + spread(p[1], metric))
    far = FAR * max(spread(g, metric) for p in pairs for g in p)
    shifts = {(tied[1], metric): mean(tied[0], metric) - mean(tied[1], metric)}
    shifts.update({(w, metric): mean(b, metric) + far - mean(w, metric) for b, w in pairs if (b, w) != tied})
    return shifts


def evidence(results: dict, ci: int) -> Sentence:
    C = f"/claims/{ci}"
    c = results["claims"][ci]
    over = (f", after {CORRECTION_WORDS[c['correction']]} over them," if c["n"] > 1 and c["correction"] != "none"
            else "")
    s = ["At the claim's level, lr ", num(results, f"{C}/better", "g"), " has a significantly lower ",
         METRIC_WORDS[c["metric"]], " than lr ", num(results, f"{C}/worse", "g"), " in ",
         num(results, f"{C}/n_better", "int"), " of ", num(results, f"{C}/n", "int"),
         f" variants and{over} a significantly higher one in ", num(results, f"{C}/n_worse", "int"), "."]
    if c["n_one_diverged"]:
        s += [" In ", num(results, f"{C}/n_one_diverged", "int"), " of them one rate diverged in every seed (an exact "
              "rank test, a diverged seed ranked as the worst outcome)."]
    if c["n_neither_learned"]:
        s += [" In ", num(results, f"{C}/n_neither_learned", "int"), " neither rate learned in any seed, so their "
              "difference says little about the rate."]
    return s + [*deciding_words(results, ci), *claim_p(results, ci)]


register(ClaimKind("lr_beats", "lr", judge, evidence, ("better", "worse"), order=40, settle=settle, reach=reach,
                   truth=truth, least_favourable=least_favourable))
