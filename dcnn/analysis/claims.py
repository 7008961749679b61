"""Claims: a check declared in study.yaml → the evidence the runs give for it, the verdict that
evidence points to (``candidate``) and the p-value of that verdict's test, as its registered kind
judges it (kinds/*.py). The verdicts themselves are given to all of a study's claims at once, after
correcting for their number (verdicts.py)."""
from __future__ import annotations

from .judging import Judging, flag_runs, lr_pairs
from .kinds import CLAIM_KINDS, claim_kind, kind_of
from .stats import group_by_name, summarise_group

__all__ = ["Judging", "claim_groups", "claim_kind", "degenerate_runs", "evaluate_claim", "flag_runs", "without_runs"]


def claim_groups(results: dict, check: dict) -> list[str]:
    """The groups a claim's verdict rests on (the ones more seeds would go to)."""
    kind = CLAIM_KINDS[claim_kind(check)]
    if kind.groups is not None:
        return kind.groups(results, check)
    if kind.shape != "lr":
        return kind.names(check)
    pairs = lr_pairs(results, check["better"], check["worse"])
    return [b for b, _ in pairs] + [w for _, w in pairs]


def degenerate_runs(results: dict, group: str) -> list[int]:
    """A group's seeds that diverged or collapsed: they reflect a failed run more than the setting."""
    return [i for i in group_by_name(results, group)["runs"]
            if results["runs"][i]["status"] == "diverged" or results["runs"][i]["metrics"].get("collapsed")]


def without_runs(results: dict, drop: dict[str, list[int]]) -> dict:
    """results with the given runs left out of their groups (the groups' statistics recomputed)."""
    def cut(g: dict) -> dict:
        if g["group"] not in drop:
            return g
        runs = [i for i in g["runs"] if i not in drop[g["group"]]]
        return dict(g, runs=runs, **summarise_group([results["runs"][i] for i in runs]))
    return {**results, "groups": [cut(g) for g in results["groups"]]}


def evaluate_claim(results: dict, check: dict, how: Judging = Judging()) -> dict:
    """The evidence for one declared claim, the verdict it points to (``candidate``: supported,
    contradicted, or None with a ``reason``) and that verdict's p-value, before any correction.

    A group that holds some diverged or collapsed seeds besides healthy ones is judged with and
    without them: the claim points to a verdict only when both agree (then p is the larger of the
    two), else to none, with reason "degenerate"."""
    kind = kind_of(check)
    judge = lambda r: kind.judge(r, check, how)  # noqa: E731
    entry = {"kind": kind.name, **judge(results)}
    mixed = {}
    for g in claim_groups(results, check):
        bad = degenerate_runs(results, g)
        if bad and len(bad) < len(group_by_name(results, g)["runs"]):
            mixed[g] = bad
    if not mixed:
        return entry
    clean = judge(without_runs(results, mixed))
    entry["degenerate"] = {"groups": {g: len(bad) for g, bad in mixed.items()}, "candidate_with": entry["candidate"],
                           "candidate_without": clean["candidate"], "p_value_without": clean["p_value"]}
    if clean["candidate"] != entry["candidate"] or entry["candidate"] is None:
        return {**entry, "candidate": None, "p_value": None, "reason": entry.get("reason") or "degenerate"}
    return {**entry, "p_value": max(entry["p_value"], clean["p_value"])}
