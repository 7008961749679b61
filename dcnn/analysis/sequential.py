"""Deciding with more seeds, without fooling oneself (``dcnn run --decide``, docs/metrics.md).

Adding seeds because a result was inconclusive is repeated testing: tested at the study's alpha at
every look, a difference that does not exist is found far more often than alpha says. A study that
declares ``analysis.max_seeds`` plans its looks in advance — one look with the declared seeds, then
one more after each added seed, up to max_seeds: K looks in all — and tests every claim at alpha / K
at each look (a Bonferroni split of alpha over the planned looks). By the union bound the chance of
any false verdict over all K looks stays at or below alpha, whatever the looks' correlation, and no
distributional assumption beyond the t-test's own is needed; the price is some power at each look,
which tests/test_decide.py measures. A claim is decided at its first look with a verdict, and the
seeds after that look do not change it.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from ..vocabulary import INCONCLUSIVE
from .stats import summarise_group


def planned_looks(n0: int, max_seeds: Optional[int]) -> int:
    """K: the look with the declared seeds and one after each seed that may be added."""
    return 1 if max_seeds is None else max(1, max_seeds - n0 + 1)


def at_look(results: dict, extra: int, n0: dict[str, int]) -> dict:
    """results with every group cut to the seeds it had at a look: its declared ``n0[group]`` seeds
    plus ``extra`` added ones (as the report was when that look was taken)."""
    def cut(g: dict) -> dict:
        runs = g["runs"][:n0.get(g["group"], g["n_seeds"]) + extra]
        return dict(g, runs=runs, **summarise_group([results["runs"][i] for i in runs]))
    return {**results, "groups": [cut(g) for g in results["groups"]]}


def sequential_verdict(evaluate: Callable[[int, float], dict], looks: int, available: int,
                       alpha: float) -> dict[str, Any]:
    """Evaluate a claim at each look ``0 .. available`` (seeds added so far) at alpha / looks, and stop
    at the first verdict. ``evaluate(extra_seeds, alpha)`` returns the claim's entry at that look.
    ``final`` is False while nothing is decided and a planned look is left (more seeds may decide it)."""
    per_look = alpha / looks
    last = min(available, looks - 1)
    for extra in range(last + 1):        # look 0 (the seeds there are) always runs, so entry is set
        entry = evaluate(extra, per_look)
        if entry["verdict"] != INCONCLUSIVE:
            return {**entry, "look": extra + 1, "looks": looks, "alpha_per_look": per_look, "final": True}
    return {**entry, "look": last + 1, "looks": looks, "alpha_per_look": per_look, "final": last + 1 == looks}
