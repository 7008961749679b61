"""Results made from numbers rather than runs: the same dict that results.json holds, with one run per
given value, so that ``dcnn.judge`` and the calibration go through the very code the report's
verdicts go through (claims → verdicts), not a copy of it."""
from __future__ import annotations

from typing import Optional, Sequence

from .vocabulary import METRICS
from .stats import summarise_group

# A run's metrics where nothing is measured but what a test is given: finished, healthy, learned.
_BLANK = {m: None for m in METRICS} | {"learned": True, "overfits": False, "upturn_epoch": None, "collapsed": False,
                                       "chance_loss": None, "last_epoch": 20, "last_gain": None}


def run(metrics: dict) -> dict:
    """One finished run whose metrics are ``metrics`` (the rest blank); or, given a run ({"status",
    "metrics", "history"}: one that diverged before finishing an epoch has no history), that run."""
    if "status" in metrics:
        return {"seed": 0, **metrics, "metrics": {**_BLANK, **metrics["metrics"]}}
    return {"status": "complete", "metrics": {**_BLANK, **metrics}, "history": [{}], "seed": 0}


def results_from(groups: dict[str, Sequence[dict]], declared: Optional[dict[str, int]] = None,
                 plateau_tol: float = 0.01) -> dict:
    """A results dict with one group per name (``variant@lr``) holding the given runs' metrics;
    ``declared[name]`` seeds are the declared ones (the rest were added by a look)."""
    runs, out = [], []
    for name, metrics in groups.items():
        idx = []
        for m in metrics:
            runs.append(run(m))
            idx.append(len(runs) - 1)
        variant, lr = name.rsplit("@", 1)
        out.append({"group": name, "variant": variant, "lr": float(lr), "sweep": None, "runs": idx,
                    "declared_seeds": (declared or {}).get(name, len(idx)), **summarise_group([runs[i] for i in idx])})
    return {"runs": runs, "groups": out, "study": {"analysis": {"plateau_tol": plateau_tol}}}


def add_run(results: dict, group: str, metrics: dict) -> None:
    """One more seed for ``group`` (in place), as a look of dcnn run --decide adds it."""
    results["runs"].append(run(metrics))
    for i, g in enumerate(results["groups"]):
        if g["group"] == group:
            idx = [*g["runs"], len(results["runs"]) - 1]
            results["groups"][i] = {**g, "runs": idx, **summarise_group([results["runs"][j] for j in idx])}
            return
    raise KeyError(group)
