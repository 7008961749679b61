"""lr_beats: for every variant run at both learning rates, the better rate gives the lower metric —
every pair must point that way; one counter-example contradicts it after a correction for the pairs."""
from __future__ import annotations

from ..claim_words import CORRECTION_WORDS, claim_p, deciding_words
from ..judging import Judging, counts, every_one, lr_pairs
from ..numbers import Sentence, num
from ..stats import compare
from ..vocabulary import METRIC_WORDS
from .base import ClaimKind, register


def judge(results: dict, check: dict, how: Judging) -> dict:
    metric, better, worse = check["lr_beats"], check["better"], check["worse"]
    pairs = [compare(results, b, w, metric, how.alpha, uncertainty=False) for b, w in lr_pairs(results, better, worse)]
    n_better, n_worse = counts(pairs, "lower", how.alpha, how.correction)
    return {"metric": metric, "better": better, "worse": worse, "comparisons": pairs, "n": len(pairs),
            "n_better": n_better, "n_worse": n_worse, **every_one(pairs, "lower", how.correction)}


def evidence(results: dict, ci: int) -> Sentence:
    C = f"/claims/{ci}"
    c = results["claims"][ci]
    over = (f", after {CORRECTION_WORDS[c['correction']]} over them," if c["n"] > 1 and c["correction"] != "none"
            else "")
    return ["lr ", num(results, f"{C}/better", "g"), " has a significantly lower ",
            METRIC_WORDS[c["metric"]], " than lr ", num(results, f"{C}/worse", "g"),
            " in ", num(results, f"{C}/n_better", "int"), " of ", num(results, f"{C}/n", "int"),
            f" variants (a diverged run counts as worse) and{over} a significantly higher one in ",
            num(results, f"{C}/n_worse", "int"), ".", *deciding_words(results, ci), *claim_p(results, ci)]


register(ClaimKind("lr_beats", "lr", judge, evidence, ("better", "worse"), order=40))
