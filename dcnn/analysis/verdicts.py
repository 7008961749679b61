"""A study's claims as one family: each claim's test (claims.py), then one correction for their
number (Holm by default; statsmodels' multipletests), at the alpha of the planned look
(sequential.py). A claim is supported or contradicted only when its corrected p-value is below
alpha / looks; otherwise it is inconclusive, and says why."""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Optional

from .vocabulary import INCONCLUSIVE
from .claims import Judging, claim_groups, evaluate_claim, flag_runs
from .kinds import CLAIM_KINDS
from .inference import adjust
from .sequential import look_of
from .stats import group_by_name
from .uncertainty import one_group, power_with, two_groups

# An undecided claim stops growing when even max_seeds fresh seeds per group would show what its
# evidence shows with less than this power: more seeds up to the cap are unlikely to decide it.
FUTILE_BELOW = 0.2
# Reasons a claim cannot point to a verdict however many seeds it gets.
STRUCTURAL = ("not_run", "both_diverged", "both_collapsed", "no_epoch", "identical", "nothing_to_compare",
              "no_spread")


def _values(c: dict, side: str) -> list[float]:
    return [v for v in c[f"{side}_values"] if v is not None]


def _margins(results: dict, entry: dict) -> list[float]:
    tol = results["study"]["analysis"].get("plateau_tol", 0.01)
    margin = CLAIM_KINDS[entry["kind"]].margin
    return [margin(results["runs"][i]["metrics"], entry["check"], tol)
            for i in flag_runs(results, entry["group"])]


def _similar_margin(entry: dict) -> Optional[float]:
    return (entry.get("similar_margin") or {}).get("value")


def _out_of_reach(results: dict, entry: dict, alpha: float, cap: int) -> bool:
    """True when ``cap`` seeds per group would show what the claim's deciding evidence shows with power
    below FUTILE_BELOW (False when the seeds there cannot tell: too few, or without spread)."""
    c = entry.get("deciding") or {}
    if CLAIM_KINDS[entry["kind"]].margin is not None:
        power = power_with(_margins(results, entry), None, alpha, cap)
    elif c and "a_values" in c:
        power = power_with(_values(c, "a"), _values(c, "b"), alpha, cap, margin=_similar_margin(entry))
    else:
        power = None
    return power is not None and power < FUTILE_BELOW


def _uncertainty(results: dict, entry: dict, alpha: float) -> None:
    """The interval, effect size and power of the evidence a claim hangs on (in place)."""
    decided = entry["verdict"] != INCONCLUSIVE
    if CLAIM_KINDS[entry["kind"]].margin is not None:
        entry["margin"].update(one_group(_margins(results, entry), alpha, decided))
        return
    deciding = entry.get("deciding") or {}
    # Every comparison the claim rests on states its interval, effect size and detectable difference;
    # the one it hangs on against the claim's own margin (similar), and the needed seeds while undecided.
    for c in [deciding, *[c for c in entry.get("comparisons", []) if c is not deciding]]:
        if c and "a_values" in c:
            margin = _similar_margin(entry) if c is deciding else None
            c.update(two_groups(_values(c, "a"), _values(c, "b"), alpha, decided or c is not deciding, margin=margin))


def judge_claims(results: dict, claims: list[dict], how: Judging, *, correction: str = "holm", looks: int = 1,
                 max_seeds: Optional[int] = None, uncertainty: bool = True) -> list[dict[str, Any]]:
    """Every claim's entry with its verdict. ``claims`` are {"check": ..., and anything to keep};
    ``how.alpha`` is the study's, split over ``looks``; ``correction`` (holm | bonferroni | none) is
    over the claims. ``final`` says whether more seeds may still decide a claim."""
    per_look = replace(how, alpha=how.alpha / looks)
    entries = [{**claim, **evaluate_claim(results, claim["check"], per_look)} for claim in claims]
    p = [e["p_value"] if e["candidate"] is not None else 1.0 for e in entries]
    corrected = adjust(p, correction)
    for e, q in zip(entries, corrected):
        groups = claim_groups(results, e["check"])
        decided = e["candidate"] is not None and q < per_look.alpha
        e.update(verdict=e["candidate"] if decided else INCONCLUSIVE, p_adjusted=q if e["candidate"] else None,
                 correction=correction, family=len(entries), look=look_of(results, groups, looks), looks=looks,
                 alpha_per_look=per_look.alpha, seeds={g: group_by_name(results, g)["n_seeds"] for g in groups})
        at_cap = max_seeds is None or all(group_by_name(results, g)["n_seeds"] >= max_seeds for g in groups)
        e["futile"] = (not decided and not at_cap and e["reason"] not in STRUCTURAL
                       and _out_of_reach(results, e, per_look.alpha, max_seeds))
        e["final"] = decided or e["look"] >= looks or at_cap or e["reason"] in STRUCTURAL or e["futile"]
        if uncertainty:
            _uncertainty(results, e, per_look.alpha)
    return entries
