"""The worlds ``dcnn calibrate`` draws synthetic studies from: every group's seeds with known true means.

A world is built from the study's own seeds (``study_world``): each group's spread of each metric its
claims name (and of each flag's per-seed margin) from its healthy seeds — a group without any takes the
median spread of the others; the correlation of those metrics within a group, pooled over the groups
(so that claims on two metrics of one group stay coupled); and the rates at which the study's seeds
diverged before they had a value and collapsed, pooled, so that every group diverges and collapses at
the same rate (where nothing differs, nothing differs in that either). A seed that collapsed takes the
values the study's collapsed seeds show. Where nothing differs every group shares one mean per metric
(the study's own, so a relative margin is as wide as in the study); ``shifted`` moves some of them, and
``false`` says which verdicts are false there (each kind's ``truth``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from statistics import median
from typing import Any, Optional

from .vocabulary import METRICS
from .claims import claim_groups, flag_runs
from .kinds import CLAIM_KINDS, kind_of
from .metrics import LEARNED_FRACTION
from .moments import mean, sample_sd

CHANCE = math.log(5)     # where no study says otherwise: the chance loss the null world centres on
BIG = 1e3                # a last epoch far past any plateau_by epoch
_LOST = {m: None for m in METRICS} | {"learned": False, "overfits": False, "collapsed": False, "upturn_epoch": None}


def key_of(check: dict, source: Optional[dict] = None) -> str:
    """What a claim reads of a run: the metric it names (or, for a kind whose metric is its analysis', that
    metric, read in ``source``: the study's results or skeleton), or a flag kind's per-seed margin."""
    kind = kind_of(check)
    if kind.margin is not None:
        return f"margin:{kind.name}"
    return kind.metric(source, check) if kind.metric_of is not None else check[kind.name]


def keys_of(checks: list[dict], source: Optional[dict] = None) -> list[str]:
    """What the claims read of a run, each once."""
    return list(dict.fromkeys(key_of(c, source) for c in checks))


@dataclass(frozen=True)
class World:
    """Draws one run's metrics for a group; ``mean``/``spread`` are the world's truth."""

    checks: list[dict]
    centre: dict[str, float] = field(default_factory=lambda: {m: 0.0 for m in METRICS})
    sd: dict[tuple[str, str], float] = field(default_factory=dict)   # (group, key) → spread; else fallback
    fallback: dict[str, float] = field(default_factory=dict)         # key → spread (else 1)
    keys: tuple[str, ...] = ()                                       # drawn together, correlated by chol
    chol: Any = None
    p_lost: float = 0.0                                              # diverged before it had a value
    p_collapsed: float = 0.0
    collapsed: dict[str, tuple[float, float]] = field(default_factory=dict)   # key → (mean, sd) when collapsed
    tol: float = 0.01
    chance: float = CHANCE
    shifts: dict[tuple[str, str], float] = field(default_factory=dict)
    name: str = "nothing differs"

    def mean(self, group: str, key: str) -> float:
        if key == "chance_loss":
            return self.chance
        base = 0.0 if key.startswith("margin:") else self.centre.get(key, 0.0)
        return base + self.shifts.get((group, key), 0.0)

    def spread(self, group: str, key: str) -> float:
        return self.sd.get((group, key), self.fallback.get(key, 1.0))

    def shifted(self, shifts: dict, name: str) -> "World":
        return replace(self, shifts={**self.shifts, **shifts}, name=name)

    def false(self, claim: dict, groups: list[str]) -> bool:
        """Whether the claim's verdict is false in this world."""
        kind = CLAIM_KINDS[claim["kind"]]
        wrong = kind.false_when if not self.shifts else kind.false_in(claim["check"], self.mean, groups)
        return claim["verdict"] in wrong

    def draw(self, rng, group: str) -> dict[str, Any]:
        import numpy as np

        u = float(rng.random())
        if u < self.p_lost:
            return {"status": "diverged", "metrics": dict(_LOST), "history": []}
        z = dict(zip(self.keys, (self.chol @ rng.standard_normal(len(self.keys))) if self.keys else []))
        dev = lambda key: self.mean(group, key) - (0.0 if key.startswith("margin:") else self.centre.get(key, 0.0)) \
            + self.spread(group, key) * (z[key] if key in z else float(rng.standard_normal()))  # noqa: E731
        m = {k: self.centre[k] + dev(k) for k in METRICS}
        m.update(chance_loss=self.chance, last_epoch=BIG, collapsed=False, learned=True)
        for kind in CLAIM_KINDS.values():   # every per-seed margin centred on its true mean with its own spread
            if kind.null is not None:
                kind.null(m, self, dev)
        if u < self.p_lost + self.p_collapsed:
            m.update({k: c + s * float(rng.standard_normal()) for k, (c, s) in self.collapsed.items()}, collapsed=True)
        return {"status": "complete", "metrics": m, "history": [{}]}


def _seeds(results: dict, check: dict, group: str, key: str) -> list[tuple[float, bool]]:
    """(value of ``key``, collapsed) of each of a group's seeds that has one."""
    kind, tol = kind_of(check), results["study"]["analysis"].get("plateau_tol", 0.01)
    runs = [results["runs"][i] for i in (flag_runs(results, group) if kind.margin is not None else
                                         next(g for g in results["groups"] if g["group"] == group)["runs"])]
    out = []
    for r in runs:
        v = kind.margin(r["metrics"], check, tol) if kind.margin is not None else r["metrics"][key]
        if v is not None and math.isfinite(v):
            out.append((float(v), bool(r["metrics"].get("collapsed"))))
    return out


def _correlation(rows: list[list[float]], k: int):
    """The pooled within-group correlation of the keys, made positive definite (eigenvalues kept ≥ 1e-6),
    as its Cholesky factor; the identity without enough seeds."""
    import numpy as np

    if k < 2 or len(rows) <= k:
        return np.eye(k)
    with np.errstate(all="ignore"):
        corr = np.nan_to_num(np.corrcoef(np.asarray(rows).T), nan=0.0)
    np.fill_diagonal(corr, 1.0)
    w, v = np.linalg.eigh(corr)
    corr = v @ np.diag(np.maximum(w, 1e-6)) @ v.T
    d = np.sqrt(np.diag(corr))
    return np.linalg.cholesky(corr / np.outer(d, d))


def study_world(results: Optional[dict], checks: list[dict], skeleton: Optional[dict] = None) -> World:
    """The world where nothing differs, with the study's own spreads, correlations, divergence and collapse."""
    import numpy as np

    keys = keys_of(checks, results if results is not None else skeleton)
    if results is None:
        return World(checks, centre=_centres(None, checks), keys=tuple(keys), chol=np.eye(len(keys)))
    by_key = {k: next(c for c in checks if key_of(c, results) == k) for k in keys}
    groups = sorted({g for c in checks for g in claim_groups(results, c)})
    seeds = {(g, k): _seeds(results, by_key[k], g, k) for g in groups for k in keys}
    sd = {}
    for (g, k), vs in seeds.items():
        healthy = [v for v, c in vs if not c]
        if len(healthy) >= 2 and sample_sd(healthy) > 0:
            sd[(g, k)] = sample_sd(healthy)
    fallback = {k: median([s for (_, kk), s in sd.items() if kk == k]) for k in keys if any(kk == k for _, kk in sd)}
    rows = []
    for g in groups:
        cols = [[v for v, c in seeds[(g, k)] if not c] for k in keys]
        n = min(len(c) for c in cols)
        if n >= 2 and all(len(c) == n and sample_sd(c) > 0 for c in cols):
            rows += [[(c[i] - mean(c)) / sample_sd(c) for c in cols] for i in range(n)]
    collapsed = {k: [v for g in groups for v, c in seeds[(g, k)] if c] for k in keys if not k.startswith("margin:")}
    p_lost, p_collapsed = _rates(results, groups)
    return World(checks, centre=_centres(results, checks), sd=sd, fallback=fallback, keys=tuple(keys),
                 chol=_correlation(rows, len(keys)), p_lost=p_lost, p_collapsed=p_collapsed,
                 collapsed={k: (mean(v), sample_sd(v) if len(v) > 1 else 0.0) for k, v in collapsed.items() if v},
                 tol=results["study"]["analysis"].get("plateau_tol", 0.01), chance=_chance(results))


def _rates(results: dict, groups: list[str]) -> tuple[float, float]:
    """The shares of the claims' finished seeds that diverged before they had a value, and that collapsed."""
    runs = [results["runs"][i] for g in results["groups"] if g["group"] in groups for i in g["runs"]
            if results["runs"][i]["status"] in ("complete", "diverged")]
    if not runs:
        return 0.0, 0.0
    lost = sum(r["status"] == "diverged" and not r["history"] for r in runs)
    collapsed = sum(bool(r["metrics"].get("collapsed")) and bool(r["history"]) for r in runs)
    return lost / len(runs), collapsed / len(runs)


def _chance(results: dict) -> float:
    values = [r["metrics"]["chance_loss"] for r in results["runs"] if r["metrics"].get("chance_loss")]
    return mean(values) if values else CHANCE


def _centres(results: Optional[dict], checks: list[dict]) -> dict[str, float]:
    """The common mean of each metric where nothing differs: the study's own where cached (healthy seeds),
    so that a relative margin is as wide as in the study; the best validation loss at 90 % of chance when a
    learns / never_learns claim needs that to be its null."""
    out = {m: 0.0 for m in METRICS}
    if results is not None:
        for m in METRICS:
            vals = [r["metrics"][m] for r in results["runs"] if r["metrics"].get(m) is not None
                    and not r["metrics"].get("collapsed")]
            if vals:
                out[m] = mean(vals)
    chance = _chance(results) if results is not None else CHANCE
    needs = {m: f for c in checks for m, f in kind_of(c).null_centre.items()}   # a kind's null, where it has one
    if not out["best_val_loss"] and "best_val_loss" not in needs:
        needs["best_val_loss"] = lambda ch: LEARNED_FRACTION * ch   # (the boundary of "learned")
    out.update({m: f(chance) for m, f in needs.items()})
    return out
