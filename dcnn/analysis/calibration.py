"""``dcnn calibrate``: how often would this study's claims give a false verdict if nothing differed?

Thousands of synthetic studies with the study's own claims, groups and declared seeds go through the
code that judges the real one (synthetic.py → verdicts.judge_claims, and for --decide the same
choice of groups to grow, sequential.groups_to_grow). In each, every group draws its seeds from one
common distribution per metric — no setting makes any difference — with the spread the study's own
seeds show where they are cached (else 1). A verdict is false when a claim is supported or
contradicted although nothing differs; for "similar", which nothing differing makes true, when it is
contradicted. The family-wise rate is the share of studies with any false verdict.
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, Optional

from .vocabulary import METRICS
from .claims import Judging, claim_groups, flag_runs
from .kinds import CLAIM_KINDS, kind_of
from .metrics import LEARNED_FRACTION
from .sequential import groups_to_grow
from .stats import group_by_name
from .synthetic import add_run, results_from
from .uncertainty import sample_sd
from .verdicts import judge_claims

CHANCE = math.log(5)     # where no study says otherwise: the chance loss the null world centres on
BIG = 1e3                # a last epoch far past any plateau_by epoch


def spreads(results: Optional[dict], checks: list[dict]) -> dict[tuple[str, str], float]:
    """{(group, metric or "margin:kind"): the SD of the study's own seeds}, where two or more are cached
    and differ; the simulation uses 1 elsewhere."""
    out: dict[tuple[str, str], float] = {}
    if results is None:
        return out
    tol = results["study"]["analysis"].get("plateau_tol", 0.01)
    for check in checks:
        kind = kind_of(check)
        for g in claim_groups(results, check):
            if kind.margin is not None:
                key, values = f"margin:{kind.name}", [kind.margin(results["runs"][i]["metrics"], check, tol)
                                                      for i in flag_runs(results, g)]
            else:
                key = kind.metric(results, check)
                values = group_by_name(results, g)["metrics"][key]["values"]
            values = [v for v in values if v is not None and math.isfinite(v)]
            if len(values) >= 2 and sample_sd(values) > 0:
                out[(g, key)] = sample_sd(values)
    return out


def _centres(results: Optional[dict], checks: list[dict]) -> dict[str, float]:
    """The common mean of each metric in the null world: the study's own mean where cached, so that a
    relative margin is as wide as in the study; the best validation loss at 90 % of chance when a
    learns / never_learns claim needs that to be its null."""
    out = {m: 0.0 for m in METRICS}
    if results is not None:
        for m in METRICS:
            vals = [v for g in results["groups"] for v in g["metrics"][m]["values"] if v is not None]
            if vals:
                out[m] = sum(vals) / len(vals)
    needs = {m: f for c in checks for m, f in kind_of(c).null_centre.items()}   # a kind's null, where it has one
    if not out["best_val_loss"] and "best_val_loss" not in needs:
        needs["best_val_loss"] = lambda chance: LEARNED_FRACTION * chance   # (the boundary of "learned")
    out.update({m: f(CHANCE) for m, f in needs.items()})
    return out


class NullWorld:
    """Draws one run's metrics for a group where nothing makes a difference."""

    def __init__(self, checks: list[dict], sd: dict[tuple[str, str], float], centres: dict[str, float], tol: float):
        self.sd, self.centre, self.tol, self.checks = sd, centres, tol, checks

    def draw(self, rng, group: str) -> dict[str, Any]:
        s = lambda key: self.sd.get((group, key), 1.0)  # noqa: E731
        z = lambda: float(rng.standard_normal())  # noqa: E731
        m = {k: self.centre[k] + s(k) * z() for k in METRICS}
        m.update(chance_loss=CHANCE, last_epoch=BIG)
        for kind in CLAIM_KINDS.values():   # every per-seed margin centred on 0 with its own spread
            if kind.null is not None:
                kind.null(m, self, lambda key: s(key) * z())
        return m


def _false(claim: dict) -> bool:
    return claim["verdict"] in CLAIM_KINDS[claim["kind"]].false_when


def simulate_one(rng, world: NullWorld, skeleton: dict, claims: list[dict], how: Judging, *, looks: int,
                 cap: Optional[int]) -> list[dict]:
    """One synthetic study: its declared seeds, then (with ``cap``) seeds added as --decide adds them."""
    groups = sorted({g for c in claims for g in claim_groups(skeleton, c["check"])})
    n0 = {g: group_by_name(skeleton, g)["declared_seeds"] for g in groups}
    results = results_from({g: [world.draw(rng, g) for _ in range(n0[g])] for g in groups}, n0, world.tol)
    results.update({k: skeleton[k] for c in claims for k in kind_of(c["check"]).context})   # (factors: the cells)
    while True:
        results["claims"] = judge_claims(results, claims, how, correction=how.correction, looks=looks,
                                         max_seeds=cap, uncertainty=False)
        grow = groups_to_grow(results, cap) if cap is not None else []
        if not grow:
            return results["claims"]
        for g in grow:
            add_run(results, g, world.draw(rng, g))


def calibrate(skeleton: dict, claims: list[dict], how: Judging, *, looks: int, cap: Optional[int], n: int = 2000,
              seed: int = 0, results: Optional[dict] = None) -> dict[str, Any]:
    """The false-verdict rates of ``claims`` over ``n`` null studies: family-wise and per claim kind.
    ``skeleton``: the study's groups ({"groups": [{group, variant, lr, sweep, declared_seeds}]});
    ``results``: the study's cached results, for the seeds' spread (None: unit spread)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    checks = [c["check"] for c in claims]
    tol = results["study"]["analysis"].get("plateau_tol", 0.01) if results else 0.01
    world = NullWorld(checks, spreads(results, checks), _centres(results, checks), tol)
    any_false, per_kind = 0, defaultdict(lambda: [0, 0])
    for _ in range(n):
        judged = simulate_one(rng, world, skeleton, claims, how, looks=looks, cap=cap)
        any_false += any(_false(c) for c in judged)
        for c in judged:
            per_kind[c["kind"]][0] += _false(c)
            per_kind[c["kind"]][1] += 1
    se = lambda p, k: math.sqrt(p * (1 - p) / k)  # noqa: E731  (the simulation's standard error)
    rate = any_false / n
    return {"n": n, "seed": seed, "family_rate": rate, "family_se": se(rate, n), "alpha": how.alpha,
            "correction": how.correction, "looks": looks, "max_seeds": cap, "n_claims": len(claims),
            "per_kind": {k: {"rate": f / t, "se": se(f / t, t), "judged": t} for k, (f, t) in sorted(per_kind.items())}}

