"""Deciding with more seeds, without fooling oneself (``dcnn run --decide``, docs/metrics.md).

Adding seeds because a result was inconclusive is repeated testing: tested at the study's alpha at
every look, a difference that does not exist is found far more often than alpha says. So a study that
declares ``analysis.max_seeds`` plans each claim's looks before any seed is seen, and every look of a
claim is a fixed set of seeds: look j judges it on the first min(declared + j − 1, max_seeds) seeds of
each of its groups — whatever seeds a group got for other claims, and in whatever order the groups grew
— so a claim is tested at most K times, K = max_seeds − (the fewest seeds its groups declare) + 1.
Look j spends the share of alpha its seeds add (Lan & DeMets' linear spending, α·t, with t the seeds of
the look over max_seeds: the first look spends declared / max_seeds, each later one 1 / max_seeds), and
the claim's p at a look is divided by that share before the claims are corrected together (Holm over
the claims, verdicts.py). By the union bound over a claim's looks and Holm's over the claims, the chance
of any false verdict stays at or below alpha whatever the correlation between looks and whichever
groups grow. A claim decided at a look keeps that verdict; one that is undecided is judged at its next
look once its groups have the seeds, and stops growing when no look is left or more seeds are not
expected to decide it.
"""
from __future__ import annotations

from typing import Optional

from .vocabulary import INCONCLUSIVE
from .claims import claim_groups, without_runs
from .stats import group_by_name


def planned_looks(n0: int, max_seeds: Optional[int]) -> int:
    """K: the look with the declared seeds and one after each seed that may be added."""
    return 1 if max_seeds is None else max(1, max_seeds - n0 + 1)


def study_looks(results: dict, checks: list[dict], max_seeds: Optional[int]) -> int:
    """The most looks any claim of a study plans: from the fewest seeds any group behind a claim declares."""
    n0 = [group_by_name(results, g)["declared_seeds"] for check in checks for g in claim_groups(results, check)]
    return planned_looks(min(n0), max_seeds) if n0 else 1


class ClaimLooks:
    """One claim's planned looks: the seeds each of its groups has at each look, and the alpha it spends."""

    def __init__(self, results: dict, groups: list[str], cap: Optional[int]):
        self.cap = cap
        self.declared = {g: group_by_name(results, g)["declared_seeds"] for g in groups}
        self.runs = {g: len(group_by_name(results, g)["runs"]) for g in groups}
        self.n0 = min(self.declared.values(), default=1)
        self.looks = planned_looks(self.n0, cap)

    def seeds(self, look: int) -> dict[str, int]:
        """The seeds per group that look ``look`` judges the claim on (the declared ones at look 1)."""
        if self.cap is None:                  # no looks planned: every seed there is
            return dict(self.runs)
        return {g: min(n + look - 1, max(self.cap, n)) for g, n in self.declared.items()}

    def share(self, look: int) -> float:
        """The share of alpha look ``look`` spends: the seeds it adds over max_seeds (all of it without looks)."""
        if self.cap is None or self.looks == 1:
            return 1.0
        return (self.n0 if look == 1 else 1) / (self.n0 + self.looks - 1)

    def available(self, results: dict) -> int:
        """The last look whose seeds the groups have finished (look 1, the declared seeds, always)."""
        look = 1
        while look < self.looks and all(_finished(results, g, n) for g, n in self.seeds(look + 1).items()):
            look += 1
        return look

    def at(self, results: dict, look: int) -> dict:
        """The results as look ``look`` sees them: each group cut to its first seeds at that look."""
        drop = {}
        for g, n in self.seeds(look).items():
            runs = group_by_name(results, g)["runs"]
            if len(runs) > n:
                drop[g] = runs[n:]
        return without_runs(results, drop) if drop else results


def _finished(results: dict, group: str, n: int) -> bool:
    runs = group_by_name(results, group)["runs"]
    return len(runs) >= n and all(results["runs"][i]["status"] in ("complete", "diverged") for i in runs[:n])


def groups_to_grow(results: dict, cap: int) -> list[str]:
    """The groups that ``dcnn run --decide`` gives one more seed: those an undecided claim that is not
    ``final`` (no look left, or more seeds would not decide it) needs for its next look."""
    grow = set()
    for c in results["claims"]:
        if c["verdict"] != INCONCLUSIVE or c["final"]:
            continue
        groups = claim_groups(results, c["check"])
        nxt = ClaimLooks(results, groups, cap).seeds(c["look"] + 1)
        grow |= {g for g in groups if group_by_name(results, g)["n_seeds"] < min(nxt[g], cap)}
    return sorted(grow)
