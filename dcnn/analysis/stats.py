"""Seeds: aggregates over a group's seeds, Welch's t-test between two groups, comparison verdicts."""
from __future__ import annotations

import math
from typing import Any, Iterable, Optional, Sequence

from .vocabulary import METRICS, worse_sign
from .inference import q_values, rank_test, welch
from .moments import mean, sample_sd
from .uncertainty import two_groups


def aggregate(values: Iterable[Optional[float]]) -> dict[str, Any]:
    """mean, std (n−1), min, max over the seeds that have a value; ``values`` keeps every seed."""
    vals = list(values)
    present = [float(v) for v in vals if v is not None]
    n = len(present)
    if n == 0:
        return {"mean": None, "std": None, "min": None, "max": None, "n": 0, "values": vals}
    mean = sum(present) / n
    std = sample_sd(present) if n > 1 else 0.0
    return {"mean": mean, "std": std, "min": min(present), "max": max(present), "n": n, "values": vals}


# What every comparison states about its uncertainty, wherever it appears (None where the seeds cannot
# tell: fewer than two a side, or no spread): uncertainty.two_groups fills them.
UNCERTAINTY_KEYS = ("ci_low", "ci_high", "confidence", "decision_low", "decision_high", "decision_confidence",
                    "hedges_g", "mde", "power", "needed_seeds", "needed_practical")
# The verdicts a test gives (the rest say why no test applies), and those that say it showed a difference.
TESTED = ("lower", "higher", "within_noise", "a_diverged", "b_diverged")
DONE = ("complete", "diverged")


def _outcomes(results: dict, g: dict, metric: str) -> tuple[list[Optional[float]], list[bool]]:
    """Each finished seed's value (None for one that diverged before it had a value: the worst outcome)
    and whether it collapsed; seeds without a value for another reason are left out."""
    runs = [results["runs"][i] for i in g["runs"] if results["runs"][i]["status"] in DONE]
    kept = [r for r in runs if r["metrics"][metric] is not None or r["status"] == "diverged"]
    return [r["metrics"][metric] for r in kept], [bool(r["metrics"].get("collapsed")) for r in kept]


def _ranked(results: dict, ga: dict, gb: dict, metric: str) -> tuple[float, Optional[str]]:
    """The exact rank test of two groups' outcomes, ordered from best to worst: the seeds' values, then the
    seeds that collapsed (tied: a collapsed value says only that it did), then those that diverged before
    they had a value (tied, the worst)."""
    (va, ca), (vb, cb) = _outcomes(results, ga, metric), _outcomes(results, gb, metric)
    sign = worse_sign(metric)
    healthy = [v for v, c in zip(va + vb, ca + cb) if v is not None and not c]
    top = max((sign * v for v in healthy), default=0.0)
    tier = lambda vs, cs: [None if v is None else (sign * (top + 1.0) if c else v) for v, c in zip(vs, cs)]  # noqa: E731
    return rank_test(tier(va, ca), tier(vb, cb), math.inf * sign)


def compare(results: dict, a: str, b: str, metric: str = "best_val_loss", alpha: float = 0.05,
            uncertainty: bool = True) -> dict:
    """Compare group ``a`` with group ``b`` on ``metric`` across seeds.

    verdict: lower | higher (p below ``alpha``, the level it is taken at: the study's, or a corrected one
    — ``settle``), within_noise, a_diverged | b_diverged (every seed of one side diverged before it had a
    value and the test does not show the difference), single_seed, identical, both_diverged,
    both_collapsed (every seed of both sides ended with outputs that do not depend on the input: the
    difference cannot speak to the setting), not_run. The test (``test``): Welch's statistic at Hsu's
    degrees of freedom (``welch``), or the exact rank test (``rank``) where a seed diverged before it had
    a value (ranked as the worst outcome) or neither side has any spread; ``side`` is the direction the
    seeds point to. With two or more values on each side it also states its uncertainty
    (uncertainty.two_groups); every comparison has every key, None where it does not apply.
    a_degenerate / b_degenerate: the seeds that diverged after some epochs or collapsed.
    """
    ga, gb = group_by_name(results, a), group_by_name(results, b)
    av = [v for v in ga["metrics"][metric]["values"] if v is not None]
    bv = [v for v in gb["metrics"][metric]["values"] if v is not None]
    out: dict[str, Any] = {"a": a, "b": b, "metric": metric, "a_values": ga["metrics"][metric]["values"],
                           "b_values": gb["metrics"][metric]["values"], "difference": None,
                           "difference_se": None, "p_value": None, "alpha": alpha, "test": None, "side": None,
                           "a_degenerate": ga["n_degenerate"], "b_degenerate": gb["n_degenerate"],
                           "a_lost": 0, "b_lost": 0, **dict.fromkeys(UNCERTAINTY_KEYS)}
    if ga["n_done"] == 0 or gb["n_done"] == 0:
        return {**out, "verdict": "not_run"}
    if not av and not bv:
        return {**out, "verdict": "both_diverged"}
    la, lb = (sum(v is None for v in _outcomes(results, g, metric)[0]) for g in (ga, gb))
    out.update(a_lost=la, b_lost=lb)
    if la or lb:                          # divergence is an outcome: the worst one, in a rank test
        if len(av) + la < 2 or len(bv) + lb < 2:
            return {**out, "verdict": "single_seed"}
        p, side = _ranked(results, ga, gb, metric)
        out.update(p_value=p, side=side, test="rank", difference=mean(av) - mean(bv) if av and bv else None)
        return settle(out, alpha, uncertainty=False)
    p, diff, se = welch(av, bv)
    out.update(difference=diff, difference_se=se, p_value=p, test="welch" if p is not None else None,
               side="lower" if diff < 0 else "higher" if diff > 0 else None)
    if ga["n_collapsed"] == len(av) and gb["n_collapsed"] == len(bv):
        out["verdict"] = "both_collapsed"
    elif len(av) < 2 or len(bv) < 2:
        out["verdict"] = "single_seed"
    elif p is None and diff == 0:
        out["verdict"] = "identical"
    elif p is None:                       # no spread in either group: the exact rank test instead
        out.update(p_value=rank_test(av, bv)[0], test="rank")
    if out.get("verdict") is None:
        return settle(out, alpha, uncertainty)
    return out


def settle(c: dict, level: float, uncertainty: bool = True, margin: Optional[float] = None,
           decided: Optional[bool] = None) -> dict:
    """A tested comparison's verdict at ``level`` — lower / higher only when its p is below it — and, with
    ``uncertainty``, its intervals, detectable difference and (unless ``decided``, by default unless it
    shows a difference) needed seeds at that level, against ``margin`` when a claim has one (in place)."""
    if c.get("verdict", "within_noise") not in TESTED:
        return c
    a_none = not any(v is not None for v in c["a_values"])
    b_none = not any(v is not None for v in c["b_values"])
    shown = c["side"] is not None and c["p_value"] < level
    c.update(alpha=level, verdict=c["side"] if shown else ("a_diverged" if a_none else "b_diverged" if b_none
                                                           else "within_noise"))
    if uncertainty and c["test"] == "welch":
        av, bv = [v for v in c["a_values"] if v is not None], [v for v in c["b_values"] if v is not None]
        c.update(dict.fromkeys(UNCERTAINTY_KEYS))
        c.update(two_groups(av, bv, level, decided=shown if decided is None else decided, margin=margin))
    return c


def settle_family(items: list[dict], alpha: float) -> None:
    """The exploratory comparisons as one family (in place): each one's Benjamini–Hochberg q-value over all
    with a p-value, and its verdict by it — lower / higher only when q < alpha, i.e. when its p lies below
    alpha·R/m (R the comparisons found, m those tested), the level it is settled at; one not found is
    settled at alpha·(R + 1)/m, the level it would need."""
    q = q_values([c["p_value"] for c in items])
    m, found = sum(v is not None for v in q), sum(v is not None and v < alpha for v in q)
    for c, v in zip(items, q):
        c["q_value"] = v
        if v is not None:
            settle(c, alpha * (found if v < alpha else found + 1) / m)


def group_by_name(results: dict, name: str) -> dict:
    for g in results["groups"]:
        if g["group"] == name:
            return g
    raise KeyError(name)


def group_index(results: dict, name: str) -> int:
    return next(i for i, g in enumerate(results["groups"]) if g["group"] == name)


def summarise_group(runs: Sequence[dict]) -> dict[str, Any]:
    """A group's (variant × lr) statistics over its seeds' runs (missing runs are left out)."""
    have = [r for r in runs if r["status"] in ("complete", "diverged")]
    metrics = {m: aggregate(r["metrics"][m] for r in have) for m in METRICS}
    return {
        "n_seeds": len(runs),
        "n_done": len(have),
        "n_diverged": sum(r["status"] == "diverged" for r in have),
        "n_learned": sum(bool(r["metrics"]["learned"]) for r in have),
        "n_overfit": sum(bool(r["metrics"]["overfits"]) for r in have),
        "n_upturn": sum(r["metrics"]["upturn_epoch"] is not None for r in have),
        "n_plateaued": sum(r["metrics"]["plateau_epoch"] is not None for r in have),
        "n_collapsed": sum(bool(r["metrics"].get("collapsed")) for r in have),
        # seeds with a curve that diverged after some epochs or collapsed (see claims.degenerate_runs)
        "n_degenerate": sum(bool(r["history"]) and (r["status"] == "diverged" or bool(r["metrics"].get("collapsed")))
                            for r in have),
        "metrics": metrics,
    }


def direction(c: dict) -> Optional[str]:
    """'lower'/'higher' when the comparison shows a difference at its level, else None."""
    return c["verdict"] if c["verdict"] in ("lower", "higher") else None
