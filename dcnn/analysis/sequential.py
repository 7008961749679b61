"""Deciding with more seeds, without fooling oneself (``dcnn run --decide``, docs/metrics.md).

Adding seeds because a result was inconclusive is repeated testing: tested at the study's alpha at
every look, a difference that does not exist is found far more often than alpha says. A study that
declares ``analysis.max_seeds`` plans its looks in advance — one look with the declared seeds, then
one more after each added seed, up to max_seeds: K looks in all — and tests its claims at alpha / K
at each look (a Bonferroni split of alpha over the planned looks), the claims of one look corrected
together (verdicts.py). By the union bound the chance of any false verdict over all K looks stays at
or below alpha, whatever the looks' correlation. At each look every claim is judged on all the seeds
its groups have then, so a verdict always describes the seeds the report shows; a decided claim
stops growing, as does one that more seeds up to the cap are not expected to decide.
"""
from __future__ import annotations

from typing import Optional

from .vocabulary import INCONCLUSIVE
from .claims import claim_groups
from .stats import group_by_name


def planned_looks(n0: int, max_seeds: Optional[int]) -> int:
    """K: the look with the declared seeds and one after each seed that may be added."""
    return 1 if max_seeds is None else max(1, max_seeds - n0 + 1)


def study_looks(results: dict, checks: list[dict], max_seeds: Optional[int]) -> int:
    """The planned looks of a study: from the fewest seeds any group behind a claim declares."""
    n0 = [group_by_name(results, g)["declared_seeds"] for check in checks for g in claim_groups(results, check)]
    return planned_looks(min(n0), max_seeds) if n0 else 1


def look_of(results: dict, groups: list[str], looks: int) -> int:
    """Which look the seeds there are now make (1 = the declared seeds; at most ``looks``)."""
    added = [group_by_name(results, g)["n_seeds"] - group_by_name(results, g)["declared_seeds"] for g in groups]
    return min(looks, 1 + max([0, *added]))


def groups_to_grow(results: dict, cap: int) -> list[str]:
    """The groups that ``dcnn run --decide`` gives one more seed: those below the cap that a claim
    rests on which is undecided and not ``final`` (no look left, or more seeds would not decide it)."""
    grow = {g for c in results["claims"] if c["verdict"] == INCONCLUSIVE and not c["final"]
            for g in claim_groups(results, c["check"]) if group_by_name(results, g)["n_seeds"] < cap}
    return sorted(grow)
