"""Claims: a check declared in study.yaml, the evidence the runs give for it, and its verdict
(supported, contradicted or inconclusive); and the freeze-depth sweep's summary."""
from __future__ import annotations

from typing import Any, Callable, Sequence

from ..vocabulary import CLAIM_KINDS, CONTRADICTED, INCONCLUSIVE, SUPPORTED
from .stats import compare, direction, group_by_name

# Flag claims: what every seed of a group must show (the claim's words are in vocabulary.py).
FLAGS: dict[str, Callable[[dict, dict], bool]] = {   # kind → (run metrics, check) → bool
    "overfits": lambda m, check: bool(m["overfits"]),
    "never_learns": lambda m, check: not m["learned"],
    "learns": lambda m, check: bool(m["learned"]),
    "still_improving": lambda m, check: m["plateau_epoch"] is None,
    "plateaus_by": lambda m, check: m["plateau_epoch"] is not None and m["plateau_epoch"] <= check["epoch"],
}


def _every_one(n_for: int, n_against: int, n: int) -> str:
    """A claim about every one of n comparisons: one significant counter-example contradicts it."""
    if n_against > 0:
        return CONTRADICTED
    return SUPPORTED if n and n_for == n else INCONCLUSIVE


def _compare_claim(results: dict, kind: str, check: dict, alpha: float, margin: float) -> dict:
    """lower / higher / similar: group a against group b."""
    metric = check[kind]
    c = compare(results, check["a"], check["b"], metric, alpha)
    entry = {"metric": metric, "comparison": c, "a_stats": group_by_name(results, check["a"])["metrics"][metric],
             "b_stats": group_by_name(results, check["b"])["metrics"][metric]}
    d = direction(c)
    if kind != "similar":
        entry["verdict"] = INCONCLUSIVE if d is None else (SUPPORTED if d == kind else CONTRADICTED)
        return entry
    ma, mb = entry["a_stats"]["mean"], entry["b_stats"]["mean"]
    close = ma is not None and mb is not None and abs(ma - mb) <= margin * max(abs(ma), abs(mb))
    if d is not None:
        entry["verdict"] = CONTRADICTED
    elif c["verdict"] in ("within_noise", "identical") and close:
        entry["verdict"] = SUPPORTED
    else:
        entry["verdict"] = INCONCLUSIVE
    return entry


def _rank_claim(results: dict, kind: str, check: dict, alpha: float) -> dict:
    """best / worst: group a against every other group named in ``among``."""
    metric = check[kind]
    others = [o for o in check["among"] if o != check["a"]]
    comps = [compare(results, check["a"], o, metric, alpha) for o in others]
    want = "lower" if kind == "best" else "higher"
    dirs = [direction(c) for c in comps]
    mean = lambda g: group_by_name(results, g)["metrics"][metric]["mean"]  # noqa: E731
    ranking = sorted([check["a"]] + others, key=lambda g: (mean(g) is None,
                                                           (mean(g) or 0.0) * (1 if kind == "best" else -1)))
    entry = {"metric": metric, "comparisons": comps, "ranking": ranking, "rank": ranking.index(check["a"]) + 1,
             "n_beaten": sum(d == want for d in dirs), "n_beating": sum(d is not None and d != want for d in dirs)}
    entry["verdict"] = _every_one(entry["n_beaten"], entry["n_beating"], len(comps))
    return entry


def _flag_claim(results: dict, kind: str, check: dict) -> dict:
    """Every seed of a group shows the flag (overfits, learns, ...): supported; none: contradicted."""
    g = group_by_name(results, check[kind])
    # Only seeds with at least one finished epoch say anything about the shape of a curve.
    runs = [results["runs"][i] for i in g["runs"] if results["runs"][i]["history"]]
    flags = [FLAGS[kind](r["metrics"], check) for r in runs]
    entry = {"group": check[kind], "count": sum(flags), "n": len(flags), "epoch": check.get("epoch")}
    if flags and all(flags):
        entry["verdict"] = SUPPORTED
    elif flags and not any(flags):
        entry["verdict"] = CONTRADICTED
    else:
        entry["verdict"] = INCONCLUSIVE
    return entry


def _lr_claim(results: dict, check: dict, alpha: float) -> dict:
    """lr_beats: for every variant run at both rates, the better rate gives the lower metric."""
    metric, better, worse = check["lr_beats"], check["better"], check["worse"]
    pairs = []
    for g in results["groups"]:
        if abs(g["lr"] - better) < 1e-12 and g.get("sweep") is None:
            other = next((h for h in results["groups"] if h["variant"] == g["variant"]
                          and abs(h["lr"] - worse) < 1e-12), None)
            if other is not None:
                pairs.append(compare(results, g["group"], other["group"], metric, alpha))
    dirs = [direction(c) for c in pairs]
    entry = {"metric": metric, "better": better, "worse": worse, "comparisons": pairs, "n": len(pairs),
             "n_better": sum(d == "lower" for d in dirs), "n_worse": sum(d == "higher" for d in dirs)}
    entry["verdict"] = _every_one(entry["n_better"], entry["n_worse"], len(pairs))
    return entry


def evaluate_claim(results: dict, check: dict, alpha: float, margin: float) -> dict:
    """The evidence for one declared claim and its verdict: supported, contradicted or inconclusive."""
    kind = next(k for k in CLAIM_KINDS if check.get(k) is not None)
    shape = CLAIM_KINDS[kind].shape
    if shape == "compare":
        entry = _compare_claim(results, kind, check, alpha, margin)
    elif shape == "rank":
        entry = _rank_claim(results, kind, check, alpha)
    elif shape == "flag":
        entry = _flag_claim(results, kind, check)
    else:
        entry = _lr_claim(results, check, alpha)
    return {"kind": kind, **entry}


def sweep_summary(results: dict, groups: Sequence[str], depths: Sequence[int], alpha: float) -> dict[str, Any]:
    """Best validation loss per freeze depth k, each k compared with k = 0; where freezing starts to hurt."""
    points = []
    for k, name in zip(depths, groups):
        g = group_by_name(results, name)
        points.append({"frozen_conv_layers": k, "group": name, "best_val_loss": g["metrics"]["best_val_loss"],
                       "val_acc_at_best": g["metrics"]["val_acc_at_best"]})
    base = groups[list(depths).index(0)] if 0 in depths else None
    comps = []
    hurts_from = None
    for k, name in zip(depths, groups):
        if base is None or k == 0:
            continue
        c = compare(results, name, base, "best_val_loss", alpha)
        c["frozen_conv_layers"] = k
        comps.append(c)
        if hurts_from is None and direction(c) == "higher":
            hurts_from = k
    return {"points": points, "comparisons_to_unfrozen": comps, "hurts_from": hurts_from}
