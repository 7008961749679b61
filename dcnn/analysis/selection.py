"""What choosing the best epoch on the validation split flatters: per configuration, the test loss at
that epoch against the best validation loss (the selection gap), and the words under the figure
that draws one against the other."""
from __future__ import annotations

from typing import Any, Optional

from .numbers import Sentence, num
from .stats import aggregate
from .uncertainty import one_group


def selection_summary(results: dict, alpha: float = 0.05) -> Optional[dict[str, Any]]:
    """The groups with both numbers (each a point of the figure), the gaps' aggregate and interval, and
    the group where the gap is largest; None when no run has a test split."""
    groups = [gi for gi, g in enumerate(results["groups"]) if g["sweep"] is None
              and g["metrics"]["selection_gap"]["n"] and g["metrics"]["best_val_loss"]["n"]]
    if not groups:
        return None
    gaps = [results["groups"][gi]["metrics"]["selection_gap"]["mean"] for gi in groups]
    largest = max(groups, key=lambda gi: results["groups"][gi]["metrics"]["selection_gap"]["mean"])
    return {"groups": groups, "n_groups": len(groups), "gap": {**aggregate(gaps), **one_group(gaps, alpha, decided=True)},
            "largest": largest, "n_flattered": sum(g > 0 for g in gaps)}


def selection_words(results: dict) -> list[Sentence]:
    S = "/selection"
    s = results["selection"]
    g = results["groups"][s["largest"]]
    out: list[Sentence] = [[
        "In ", num(results, f"{S}/n_flattered", "int"), " of ", num(results, f"{S}/n_groups", "int"), " configurations the test "
        "loss at the epoch chosen on validation is higher than the best validation loss: choosing that epoch on the "
        "validation images flatters them. The mean gap is ", num(results, f"{S}/gap/mean")]]
    if "ci_low" in s["gap"]:
        out[0] += [" (95 % CI ", num(results, f"{S}/gap/ci_low"), " to ", num(results, f"{S}/gap/ci_high"), ")"]
    out[0] += ["; the largest, ", num(results, f"/groups/{s['largest']}/metrics/selection_gap/mean"),
               f", is that of §{g['section']} ({g['title']}, learning rate ", num(results, f"/groups/{s['largest']}/lr", "g"),
               ")."]
    return out
