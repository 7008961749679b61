"""One run's history → its metrics (the definitions of docs/metrics.md, and nothing else)."""
from __future__ import annotations

import math
from typing import Any, Optional, Sequence

LEARNED_FRACTION = 0.9   # learned = best_val_loss < 0.9 · chance_loss (docs/metrics.md)
RISE_TOL = 0.1           # "turns upward": the final val loss is more than 10 % above its best
# Collapsed: the outputs no longer vary with the input (every logit's range over the validation
# images, averaged over the classes, below this) ...
COLLAPSE_RANGE = 1e-4
# ... or one class takes nearly every prediction (at least this share of the validation images).
COLLAPSE_SHARE = 0.98


def chance_loss(num_classes: int) -> float:
    """The cross-entropy of a uniform guess over ``num_classes``: ln C."""
    return math.log(num_classes)


def plateau_epoch(val: Sequence[float], tol: float = 0.01) -> Optional[int]:
    """Smallest e < E such that every later epoch stays ≥ m(e) − tol·|m(e)|, m(e) = min v[1..e].

    ``val[i]`` is the validation loss after epoch i+1. None when no such e exists.
    """
    E = len(val)
    best_so_far = math.inf
    for e in range(1, E):
        best_so_far = min(best_so_far, val[e - 1])
        floor = best_so_far - tol * abs(best_so_far)
        if all(v >= floor for v in val[e:]):
            return e
    return None


def collapsed_at(h: dict) -> bool:
    """True when, after this epoch, the network no longer depends on its input, or gives one class
    to nearly every image (histories written before dcnn recorded this are never collapsed)."""
    return h.get("val_logit_range", math.inf) < COLLAPSE_RANGE or h.get("val_top_share", 0.0) >= COLLAPSE_SHARE


def collapse_epoch(history: Sequence[dict]) -> Optional[int]:
    """The first epoch from which the run stays collapsed to its last epoch; None if it does not end so."""
    e = None
    for h in reversed(history):
        if not collapsed_at(h):
            break
        e = h["epoch"]
    return e


def compute_metrics(history: Sequence[dict], num_classes: int, tol: float = 0.01) -> dict[str, Any]:
    """The metrics of one run, as docs/metrics.md defines them."""
    chance = chance_loss(num_classes)
    if not history:
        return {"best_val_loss": None, "best_epoch": None, "final_train_loss": None, "final_val_loss": None,
                "overfit_gap": None, "gap_at_best": None, "plateau_epoch": None, "chance_loss": chance,
                "learned": False, "val_acc_at_best": None, "final_rise": None, "upturn_epoch": None,
                "overfits": False, "collapse_epoch": None, "collapsed": False,
                "final_logit_range": None, "final_top_share": None}
    v = [h["val_loss"] for h in history]
    t = [h["train_loss"] for h in history]
    best = min(v)
    b = v.index(best)                       # first epoch reaching the minimum (0-based)
    rise = v[-1] - best
    upturn = b + 2 if rise > RISE_TOL * abs(best) else None   # 1-based epoch after the best one
    gap = v[-1] - t[-1]
    return {
        "best_val_loss": best,
        "best_epoch": b + 1,
        "final_train_loss": t[-1],
        "final_val_loss": v[-1],
        "overfit_gap": gap,
        "gap_at_best": v[b] - t[b],
        "plateau_epoch": plateau_epoch(v, tol),
        "chance_loss": chance,
        "learned": best < LEARNED_FRACTION * chance,
        "val_acc_at_best": history[b]["val_acc"],
        "final_rise": rise,
        "upturn_epoch": upturn,
        "overfits": upturn is not None and gap > 0,
        "collapse_epoch": collapse_epoch(history),
        "collapsed": collapse_epoch(history) is not None,
        "final_logit_range": history[-1].get("val_logit_range"),
        "final_top_share": history[-1].get("val_top_share"),
    }
