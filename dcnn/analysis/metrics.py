"""One run's history → its metrics (the definitions of docs/metrics.md, and nothing else)."""
from __future__ import annotations

import math
from typing import Any, Optional, Sequence

LEARNED_FRACTION = 0.9   # learned = best_val_loss < 0.9 · chance_loss (docs/metrics.md)
RISE_TOL = 0.1           # "turns upward": the final val loss is more than 10 % above its best
# Collapsed: the outputs no longer vary with the input (every logit's range over the validation
# images, averaged over the classes, below this) ...
COLLAPSE_RANGE = 1e-4
# ... or one class takes nearly every prediction: at least this share of the validation images when
# the classes are balanced. With unbalanced classes the share left to the other classes shrinks in
# proportion to theirs, 1 − share ≤ (1 − COLLAPSE_SHARE)·(1 − p_max)/(1 − 1/C), so that a network that
# is right on a 98.5 % majority class is not collapsed, and one that names only that class is.
COLLAPSE_SHARE = 0.98


def _balanced(class_counts: Optional[Sequence[int]]) -> bool:
    return not class_counts or len(set(class_counts)) == 1


def chance_loss(num_classes: int, class_counts: Optional[Sequence[int]] = None) -> float:
    """The cross-entropy of the best input-blind guess: the validation classes' prior, whose entropy is
    ln C when the classes are balanced (scipy.stats.entropy otherwise)."""
    if _balanced(class_counts):
        return math.log(num_classes)
    from scipy.stats import entropy

    return float(entropy(list(class_counts)))


def collapse_share(num_classes: int, class_counts: Optional[Sequence[int]] = None) -> float:
    """The top-class share of the predictions from which a run counts as collapsed (COLLAPSE_SHARE for
    balanced classes; closer to 1 the larger the largest class)."""
    if _balanced(class_counts):
        return COLLAPSE_SHARE
    p_max = max(class_counts) / sum(class_counts)
    return 1 - (1 - COLLAPSE_SHARE) * (1 - p_max) / (1 - 1 / num_classes)


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


def collapsed_at(h: dict, share: float = COLLAPSE_SHARE) -> bool:
    """True when, after this epoch, the network no longer depends on its input, or gives one class
    to nearly every image (histories written before dcnn recorded this are never collapsed)."""
    return h.get("val_logit_range", math.inf) < COLLAPSE_RANGE or h.get("val_top_share", 0.0) >= share


def collapse_epoch(history: Sequence[dict], share: float = COLLAPSE_SHARE) -> Optional[int]:
    """The first epoch from which the run stays collapsed to its last epoch; None if it does not end so."""
    e = None
    for h in reversed(history):
        if not collapsed_at(h, share):
            break
        e = h["epoch"]
    return e


def last_gain(val: Sequence[float]) -> Optional[float]:
    """How much the last epoch improved on the best before it, relative to that best (None before epoch 2)."""
    if len(val) < 2:
        return None
    before = min(val[:-1])
    return (before - val[-1]) / abs(before)


def compute_metrics(history: Sequence[dict], num_classes: int, tol: float = 0.01,
                    class_counts: Optional[Sequence[int]] = None) -> dict[str, Any]:
    """The metrics of one run, as docs/metrics.md defines them (``class_counts``: the validation
    images per class, for the chance level and collapse; balanced when not given)."""
    chance = chance_loss(num_classes, class_counts)
    share = collapse_share(num_classes, class_counts)
    if not history:
        return {"best_val_loss": None, "best_epoch": None, "final_train_loss": None, "final_val_loss": None,
                "overfit_gap": None, "gap_at_best": None, "plateau_epoch": None, "chance_loss": chance,
                "learned": False, "val_acc_at_best": None, "final_rise": None, "upturn_epoch": None,
                "overfits": False, "collapse_epoch": None, "collapsed": False,
                "final_logit_range": None, "final_top_share": None, "last_epoch": None, "last_gain": None,
                "test_loss_at_best": None, "test_acc_at_best": None, "selection_gap": None,
                "gap_train_loss": "train_loss"}
    v = [h["val_loss"] for h in history]
    # The gaps compare like with like: where the objective was not plain cross-entropy on the clean
    # images (label smoothing, mixup, CutMix), the training images' plain loss measured after the epoch.
    gap_key = "train_clean_loss" if all(h.get("train_clean_loss") is not None for h in history) else "train_loss"
    t = [h[gap_key] for h in history]
    best = min(v)
    b = v.index(best)                       # first epoch reaching the minimum (0-based)
    rise = v[-1] - best
    upturn = b + 2 if rise > RISE_TOL * abs(best) else None   # 1-based epoch after the best one
    gap = v[-1] - t[-1]
    return {
        "best_val_loss": best,
        "best_epoch": b + 1,
        "final_train_loss": history[-1]["train_loss"],
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
        "collapse_epoch": collapse_epoch(history, share),
        "collapsed": collapse_epoch(history, share) is not None,
        "final_logit_range": history[-1].get("val_logit_range"),
        "final_top_share": history[-1].get("val_top_share"),
        "last_epoch": len(history),
        "last_gain": last_gain(v),
        # The held-out test split at the epoch validation chose (and never used to choose it).
        "test_loss_at_best": history[b].get("test_loss"),
        "test_acc_at_best": history[b].get("test_acc"),
        "selection_gap": history[b]["test_loss"] - best if history[b].get("test_loss") is not None else None,
        "gap_train_loss": gap_key,          # which training loss the gaps subtract
    }
