"""Seeds: aggregates over a group's seeds, Welch's t-test between two groups, comparison verdicts."""
from __future__ import annotations

from typing import Any, Iterable, Optional, Sequence

from .vocabulary import METRICS
from .inference import rank_p, welch
from .uncertainty import sample_sd, two_groups


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
UNCERTAINTY_KEYS = ("ci_low", "ci_high", "confidence", "hedges_g", "mde", "power", "needed_seeds", "needed_practical")


def compare(results: dict, a: str, b: str, metric: str = "best_val_loss", alpha: float = 0.05,
            uncertainty: bool = True) -> dict:
    """Compare group ``a`` with group ``b`` on ``metric`` across seeds.

    verdict: lower | higher (significant at ``alpha``; Welch's t-test, or where neither side has any
    spread the exact Mann–Whitney test), within_noise, single_seed, identical,
    a_diverged | b_diverged | both_diverged (no value to compare on one side), both_collapsed (every
    seed of both sides ended with outputs that do not depend on the input: the difference cannot
    speak to the setting), not_run. With two or more values on each side it also states its
    uncertainty (uncertainty.two_groups: interval, Hedges' g, detectable difference, needed seeds);
    every comparison has every key, None where it does not apply. a_degenerate / b_degenerate: the seeds
    that diverged after some epochs (a cut-short curve) or collapsed, said beside the verdict.
    """
    ga, gb = group_by_name(results, a), group_by_name(results, b)
    av = [v for v in ga["metrics"][metric]["values"] if v is not None]
    bv = [v for v in gb["metrics"][metric]["values"] if v is not None]
    out: dict[str, Any] = {"a": a, "b": b, "metric": metric, "a_values": ga["metrics"][metric]["values"],
                           "b_values": gb["metrics"][metric]["values"], "difference": None,
                           "difference_se": None, "p_value": None, "alpha": alpha, "test": None,
                           "a_degenerate": ga["n_degenerate"], "b_degenerate": gb["n_degenerate"],
                           **dict.fromkeys(UNCERTAINTY_KEYS)}
    if ga["n_done"] == 0 or gb["n_done"] == 0:
        out["verdict"] = "not_run"
        return out
    if not av or not bv:
        out["verdict"] = "both_diverged" if not av and not bv else ("a_diverged" if not av else "b_diverged")
        return out
    p, diff, se = welch(av, bv)
    out.update(difference=diff, difference_se=se, p_value=p, test="welch" if p is not None else None)
    if ga["n_collapsed"] == len(av) and gb["n_collapsed"] == len(bv):
        out["verdict"] = "both_collapsed"
    elif len(av) < 2 or len(bv) < 2:
        out["verdict"] = "single_seed"
    elif p is None and diff == 0:
        out["verdict"] = "identical"
    elif p is None:                       # no spread in either group: an exact rank test instead
        out.update(p_value=rank_p(av, bv), test="mann_whitney")
        out["verdict"] = ("lower" if diff < 0 else "higher") if out["p_value"] < alpha else "within_noise"
    elif p < alpha:
        out["verdict"] = "lower" if diff < 0 else "higher"
    else:
        out["verdict"] = "within_noise"
    if uncertainty:
        out.update(two_groups(av, bv, alpha, decided=out["verdict"] in ("lower", "higher")))
    return out


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
    """'lower'/'higher' when the comparison shows a real difference (diverged counts as higher loss)."""
    v = c["verdict"]
    if v in ("lower", "higher"):
        return v
    if v == "a_diverged":
        return "higher"
    if v == "b_diverged":
        return "lower"
    return None
