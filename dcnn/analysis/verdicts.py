"""A study's claims as one family: each claim's test at its look (claims.py, sequential.py), its p-value
divided by the share of alpha that look spends, then one correction for the claims' number (Holm by
default; statsmodels' multipletests). A claim is supported or contradicted only when its corrected
p-value is below alpha; otherwise it is inconclusive, and says why. Each claim then states ``level``:
the alpha its own p is compared with (alpha × the look's share, over the Holm step it is at), the level
of its intervals, detectable differences and needed seeds, and the one at which its comparisons say
lower or higher.

The looks are replayed in rounds from the seeds the groups have: round r judges every claim at its look
min(r, the last look its seeds allow); a claim decided in a round keeps that verdict, its look and its
level in every later round (a verdict never flips because its groups grew for another claim)."""
from __future__ import annotations

from typing import Any, Optional

from .vocabulary import INCONCLUSIVE
from .claims import Judging, claim_groups, evaluate_claim
from .kinds import CLAIM_KINDS
from .inference import adjust
from .sequential import ClaimLooks

# An undecided claim stops growing when even max_seeds fresh seeds per group would show what its
# evidence shows with less than this power: more seeds up to the cap are unlikely to decide it.
FUTILE_BELOW = 0.2
# Reasons a claim cannot point to a verdict however many seeds it gets.
STRUCTURAL = ("not_run", "both_diverged", "both_collapsed", "no_epoch", "identical", "nothing_to_compare",
              "no_spread")


def _steps(weighted: list[float], correction: str, alpha: float) -> tuple[list[float], list[float]]:
    """(each claim's corrected p, the level its weighted p is compared with at its Holm step: alpha over the
    claims not yet rejected before it)."""
    m = len(weighted)
    corrected = adjust(weighted, correction)
    if correction == "none":
        return corrected, [alpha] * m
    if correction == "bonferroni":
        return corrected, [alpha / m] * m
    order = sorted(range(m), key=lambda i: weighted[i])
    rejected = sum(q < alpha for q in corrected)
    steps = [0.0] * m
    for s, i in enumerate(order):
        steps[i] = alpha / (m - min(s, rejected))
    return corrected, steps


class _Family:
    """The claims of one study judged look by look (``memo`` keeps each claim's judgement at each look)."""

    def __init__(self, results: dict, claims: list[dict], how: Judging, correction: str, cap: Optional[int],
                 memo: Optional[dict], others: tuple[int, int]):
        self.results, self.claims, self.how, self.correction, self.others = results, claims, how, correction, others
        self.plans = [ClaimLooks(results, claim_groups(results, c["check"]), cap) for c in claims]
        self.last = [p.available(results) for p in self.plans]
        self.memo = {} if memo is None else memo
        self.frozen: dict[int, dict] = {}

    def entry(self, i: int, look: int) -> dict:
        if (i, look) not in self.memo:
            at = self.plans[i].at(self.results, look)
            self.memo[(i, look)] = evaluate_claim(at, self.claims[i]["check"], self.how)
        return self.memo[(i, look)]

    def round(self, r: int) -> list[dict]:
        """Every claim at round r: frozen, or judged at its look then, with its corrected p and level."""
        states = []
        for i, plan in enumerate(self.plans):
            if i in self.frozen:
                states.append(self.frozen[i])
                continue
            look = min(r, self.last[i])
            e = self.entry(i, look)
            share = plan.share(look)
            weighted = e["p_value"] / share if e["candidate"] is not None else 1.0
            states.append({"i": i, "look": look, "entry": e, "share": share, "weighted": min(1.0, weighted)})
        decided_others, open_others = self.others
        corrected, steps = _steps([s["weighted"] for s in states] + [0.0] * decided_others + [1.0] * open_others,
                                  self.correction, self.how.alpha)
        for s, q, step in zip(states, corrected, steps):
            if s["i"] in self.frozen:
                continue
            s.update(q=q, level=step * s["share"])
            if s["entry"]["candidate"] is not None and q < self.how.alpha:
                self.frozen[s["i"]] = s
        return states


def _final(results: dict, fam: _Family, s: dict, uncertainty: bool, cap: Optional[int]) -> dict[str, Any]:
    i, e = s["i"], s["entry"]
    plan, kind = fam.plans[i], CLAIM_KINDS[e["kind"]]
    decided = i in fam.frozen
    out = {**fam.claims[i], **e, "verdict": e["candidate"] if decided else INCONCLUSIVE,
           "p_adjusted": s["q"] if e["candidate"] else None, "alpha": fam.how.alpha, "level": s["level"],
           "correction": fam.correction,
           "family": len(fam.claims) + sum(fam.others), "look": s["look"], "looks": plan.looks,
           "alpha_per_look": fam.how.alpha * s["share"], "seeds": plan.seeds(s["look"])}
    at = plan.at(results, s["look"])
    at_cap = cap is None or s["look"] >= plan.looks
    # Futile: even the cap's seeds would show it, at the last look's level, with too little power.
    last_level = s["level"] / s["share"] * plan.share(plan.looks)
    power = None if decided or at_cap or e["reason"] in STRUCTURAL else kind.reach(at, out, last_level, cap)
    out["futile"] = power is not None and power < FUTILE_BELOW
    out["final"] = decided or at_cap or e["reason"] in STRUCTURAL or out["futile"]
    kind.settle(at, out, s["level"], uncertainty)
    return out


def judge_claims(results: dict, claims: list[dict], how: Judging, *, correction: str = "holm",
                 max_seeds: Optional[int] = None, uncertainty: bool = True, memo: Optional[dict] = None,
                 others: tuple[int, int] = (0, 0)) -> list[dict[str, Any]]:
    """Every claim's entry with its verdict. ``claims`` are {"check": ..., and anything to keep}; ``how.alpha``
    is the study's, spent over each claim's looks up to ``max_seeds`` (sequential.py); ``correction`` (holm |
    bonferroni | none) is over the claims, and over ``others`` more: (claims already decided, claims still
    open) of a family judged elsewhere (dcnn judge). ``final`` says whether more seeds may still decide a
    claim. ``memo`` keeps each claim's judgement at each look across calls (calibrate's growing studies)."""
    fam = _Family(results, claims, how, correction, max_seeds, memo, others)
    states: list[dict] = []
    for r in range(1, max(fam.last, default=0) + 1):
        states = fam.round(r)
    return [_final(results, fam, s, uncertainty, max_seeds) for s in states]
