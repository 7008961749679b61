"""``dcnn calibrate``: how often would this study's claims give a false verdict?

Thousands of synthetic studies with the study's own claims, groups and declared seeds go through the
code that judges the real one (synthetic.py → verdicts.judge_claims, and for --decide the same choice
of groups to grow, sequential.groups_to_grow), drawn from worlds built on the study's own seeds
(world.py: their spreads, the correlation of a group's metrics, their divergence and collapse rates):
the world where nothing differs, and for each claim whose kind has one its least favourable world —
a "similar" or "not_worse" claim with the difference at its margin, a "best" or "worst" one with a tied
to its noisiest rival and every other group far on the other side, an lr_beats one with one variant
tied and every other far apart — where both of its verdicts are false. A verdict is false when the
world makes it so (each kind's ``truth``); the family-wise rate of a world is the share of its studies
with any false verdict, and the study's is the largest over its worlds, with its simulation error.
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, Optional

from .claims import Judging, claim_groups
from .kinds import CLAIM_KINDS, MARGIN_KEYS, kind_of
from .sequential import groups_to_grow
from .stats import group_by_name
from .synthetic import add_run, results_from
from .verdicts import judge_claims
from .world import World, study_world

CALIBRATION_VERSION = 2      # the worlds and the rules; a calibration.json made by another is not cited


def simulate_one(rng, world: World, skeleton: dict, claims: list[dict], how: Judging, *,
                 cap: Optional[int]) -> list[dict]:
    """One synthetic study: its declared seeds, then (with ``cap``) seeds added as --decide adds them."""
    groups = sorted({g for c in claims for g in claim_groups(skeleton, c["check"])})
    n0 = {g: group_by_name(skeleton, g)["declared_seeds"] for g in groups}
    results = results_from({g: [world.draw(rng, g) for _ in range(n0[g])] for g in groups}, n0, world.tol)
    results.update({k: skeleton[k] for c in claims for k in kind_of(c["check"]).context})   # (factors: the cells)
    memo: dict = {}
    while True:
        results["claims"] = judge_claims(results, claims, how, correction=how.correction, max_seeds=cap,
                                         uncertainty=False, memo=memo)
        grow = groups_to_grow(results, cap) if cap is not None else []
        if not grow:
            return results["claims"]
        for g in grow:
            add_run(results, g, world.draw(rng, g))


def _se(p: float, k: int) -> float:
    return math.sqrt(p * (1 - p) / k) if k else 0.0      # the simulation's standard error of a share


def rates(world: World, skeleton: dict, claims: list[dict], how: Judging, *, cap: Optional[int], n: int,
          rng) -> dict[str, Any]:
    """The family-wise false-verdict rate of ``claims`` in ``world`` over ``n`` studies, and per claim kind."""
    groups = [claim_groups(skeleton, c["check"]) for c in claims]
    any_false, per_kind = 0, defaultdict(lambda: [0, 0])
    for _ in range(n):
        judged = simulate_one(rng, world, skeleton, claims, how, cap=cap)
        wrong = [world.false(c, g) for c, g in zip(judged, groups)]
        any_false += any(wrong)
        for c, w in zip(judged, wrong):
            per_kind[c["kind"]][0] += w
            per_kind[c["kind"]][1] += 1
    rate = any_false / n
    return {"world": world.name, "family_rate": rate, "family_se": _se(rate, n),
            "per_kind": {k: {"rate": f / t, "se": _se(f / t, t), "judged": t} for k, (f, t) in sorted(per_kind.items())}}


def worlds(base: World, skeleton: dict, claims: list[dict]) -> list[World]:
    """The world where nothing differs, and the least favourable ones: each claim whose kind has one puts
    its shifts into the first world they fit (no true mean shifted two ways, and every claim placed there
    still on its boundary), else into a world of its own."""
    placed: list[tuple[dict, list[int]]] = []
    truth = lambda w, i: kind_of(claims[i]["check"]).truth(claims[i]["check"], w.mean,  # noqa: E731
                                                          claim_groups(skeleton, claims[i]["check"]))
    for i, c in enumerate(claims):
        kind = kind_of(c["check"])
        if kind.least_favourable is None:
            continue
        shifts = kind.least_favourable(c["check"], base.mean, base.spread, claim_groups(skeleton, c["check"]))
        if not shifts:
            continue
        for merged, members in placed:
            if any(k in merged and abs(merged[k] - v) > 1e-12 for k, v in shifts.items()):
                continue
            w = base.shifted({**merged, **shifts}, "")
            if all(abs(truth(w, j)) < 1e-9 for j in [*members, i]):
                merged.update(shifts)
                members.append(i)
                break
        else:
            placed.append((dict(shifts), [i]))
    named = lambda ms: "least favourable to claim" + ("s " if len(ms) > 1 else " ") + ", ".join(  # noqa: E731
        f"{j + 1} ({kind_of(claims[j]['check']).name})" for j in ms)
    return [base] + [base.shifted(merged, named(members)) for merged, members in placed]


def with_margins(claims: list[dict], how: Judging) -> list[dict]:
    """The claims with the study's default margin written into those that take one and give none (a world's
    truth reads it from the check)."""
    def fill(check: dict) -> dict:
        if kind_of(check).margins and not any(check.get(k) is not None for k in MARGIN_KEYS):
            return {**check, "relative_margin": how.similar_margin}
        return check
    return [{**c, "check": fill(c["check"])} for c in claims]


def calibrate(skeleton: dict, claims: list[dict], how: Judging, *, cap: Optional[int], n: int = 2000,
              seed: int = 0, results: Optional[dict] = None, world: Optional[World] = None,
              least_favourable: bool = True) -> dict[str, Any]:
    """The false-verdict rates of ``claims`` over ``n`` studies per world: the largest family-wise rate
    and every world's. ``skeleton``: the study's groups ({"groups": [{group, variant, lr, sweep,
    declared_seeds}]}); ``results``: the study's cached results, that the worlds are built on (None: unit
    spreads, nothing diverges); ``world``: a world to use instead (its least favourable ones follow)."""
    import numpy as np

    claims = with_margins(claims, how)
    claims = [{**c, "check": kind_of(c["check"]).for_calibration(c["check"], skeleton)}
              if kind_of(c["check"]).for_calibration is not None else c for c in claims]
    base = world or study_world(results, [c["check"] for c in claims], skeleton)
    found = [rates(w, skeleton, claims, how, cap=cap, n=n, rng=np.random.default_rng([seed, i]))
             for i, w in enumerate(worlds(base, skeleton, claims) if least_favourable else [base])]
    worst = max(found, key=lambda f: f["family_rate"])
    per_kind = {k: max((f["per_kind"][k] for f in found if k in f["per_kind"]), key=lambda r: r["rate"])
                for k in worst["per_kind"]}
    return {"n": n, "seed": seed, "family_rate": worst["family_rate"], "family_se": worst["family_se"],
            "worst_world": worst["world"], "alpha": how.alpha, "correction": how.correction, "max_seeds": cap,
            "n_claims": len(claims), "p_lost": base.p_lost, "p_collapsed": base.p_collapsed,
            "per_kind": per_kind, "worlds": found}
