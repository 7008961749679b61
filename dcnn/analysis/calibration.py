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

from .vocabulary import CLAIM_KINDS, CONTRADICTED, METRICS, SUPPORTED
from .claims import MARGINS, Judging, claim_groups, claim_kind, flag_runs
from .sequential import groups_to_grow
from .stats import group_by_name
from .synthetic import add_run, results_from
from .uncertainty import sample_sd
from .verdicts import judge_claims

CHANCE = math.log(5)     # where no study says otherwise: the chance loss the null world centres on
BIG = 1e3                # a final gap so large that the overfits margin is its rise part alone


def spreads(results: Optional[dict], checks: list[dict]) -> dict[tuple[str, str], float]:
    """{(group, metric or "margin:kind"): the SD of the study's own seeds}, where two or more are cached
    and differ; the simulation uses 1 elsewhere."""
    out: dict[tuple[str, str], float] = {}
    if results is None:
        return out
    tol = results["study"]["analysis"].get("plateau_tol", 0.01)
    for check in checks:
        kind = claim_kind(check)
        for g in claim_groups(results, check):
            if CLAIM_KINDS[kind].shape == "flag":
                key, values = f"margin:{kind}", [MARGINS[kind](results["runs"][i]["metrics"], check, tol)
                                                 for i in flag_runs(results, g)]
            else:
                key, values = check[kind], group_by_name(results, g)["metrics"][check[kind]]["values"]
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
    if any(claim_kind(c) in ("learns", "never_learns") for c in checks) or not out["best_val_loss"]:
        out["best_val_loss"] = 0.9 * CHANCE
    return out


class NullWorld:
    """Draws one run's metrics for a group where nothing makes a difference."""

    def __init__(self, checks: list[dict], sd: dict[tuple[str, str], float], centres: dict[str, float], tol: float):
        self.sd, self.centre, self.tol = sd, centres, tol
        self.epoch = next((c["epoch"] for c in checks if claim_kind(c) == "plateaus_by"), 10)

    def draw(self, rng, group: str) -> dict[str, Any]:
        s = lambda key: self.sd.get((group, key), 1.0)  # noqa: E731
        z = lambda: float(rng.standard_normal())  # noqa: E731
        m = {k: self.centre[k] + s(k) * z() for k in METRICS}
        best = m["best_val_loss"]
        # Every per-seed margin centred on 0 with its own spread (claims.MARGINS, inverted).
        m.update(chance_loss=CHANCE, overfit_gap=BIG + s("overfit_gap") * z(),
                 final_rise=0.1 * abs(best) + s("margin:overfits") * z(),
                 last_gain=self.tol + s("margin:still_improving") * z(),
                 plateau_epoch=self.epoch + 0.5 + s("margin:plateaus_by") * z(), last_epoch=BIG)
        return m


def _false(claim: dict) -> bool:
    if claim["kind"] == "similar":
        return claim["verdict"] == CONTRADICTED
    return claim["verdict"] in (SUPPORTED, CONTRADICTED)


def simulate_one(rng, world: NullWorld, skeleton: dict, claims: list[dict], how: Judging, *, looks: int,
                 cap: Optional[int]) -> list[dict]:
    """One synthetic study: its declared seeds, then (with ``cap``) seeds added as --decide adds them."""
    groups = sorted({g for c in claims for g in claim_groups(skeleton, c["check"])})
    n0 = {g: group_by_name(skeleton, g)["declared_seeds"] for g in groups}
    results = results_from({g: [world.draw(rng, g) for _ in range(n0[g])] for g in groups}, n0, world.tol)
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

