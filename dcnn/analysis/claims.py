"""Claims: a check declared in study.yaml, the evidence the runs give for it, and its verdict
(supported, contradicted or inconclusive); and the freeze-depth sweep's summary."""
from __future__ import annotations

from typing import Any, Callable, Sequence

from ..vocabulary import CLAIM_KINDS, CONTRADICTED, INCONCLUSIVE, SUPPORTED
from .metrics import LEARNED_FRACTION, RISE_TOL
from .stats import aggregate, compare, direction, group_by_name
from .uncertainty import one_group

# Flag claims: what every seed of a group must show (the claim's words are in vocabulary.py).
FLAGS: dict[str, Callable[[dict, dict], bool]] = {   # kind → (run metrics, check) → bool
    "overfits": lambda m, check: bool(m["overfits"]),
    "never_learns": lambda m, check: not m["learned"],
    "learns": lambda m, check: bool(m["learned"]),
    "still_improving": lambda m, check: m["plateau_epoch"] is None,
    "plateaus_by": lambda m, check: m["plateau_epoch"] is not None and m["plateau_epoch"] <= check["epoch"],
}
# ... and the per-seed margin behind each flag, positive when the flag holds: its uncertainty is
# stated as that of a mean margin (uncertainty.one_group). run → (margin, what it measures)
MARGINS: dict[str, Callable[[dict, dict], tuple[float, str]]] = {
    "overfits": lambda r, check: (min(r["metrics"]["final_rise"] - RISE_TOL * abs(r["metrics"]["best_val_loss"]),
                                      r["metrics"]["overfit_gap"]),
                                  "the smaller of the final rise above the best validation loss less 10 % of it, "
                                  "and the final gap"),
    "never_learns": lambda r, check: (r["metrics"]["best_val_loss"] - LEARNED_FRACTION * r["metrics"]["chance_loss"],
                                      "the best validation loss minus 90 % of chance"),
    "learns": lambda r, check: (LEARNED_FRACTION * r["metrics"]["chance_loss"] - r["metrics"]["best_val_loss"],
                                "90 % of chance minus the best validation loss"),
    "still_improving": lambda r, check: (_last_gain(r), "the last epoch's gain on the best before it, "
                                                        "relative, minus the plateau tolerance"),
    "plateaus_by": lambda r, check: (check["epoch"] - (r["metrics"]["plateau_epoch"] or len(r["history"])),
                                     "the given epoch minus the plateau epoch"),
}


def _last_gain(run: dict) -> float:
    v = [h["val_loss"] for h in run["history"]]
    if len(v) < 2:
        return 0.0
    before = min(v[:-1])
    return (before - v[-1]) / abs(before) - run.get("plateau_tol", 0.01)


def _every_one(n_for: int, n_against: int, n: int) -> str:
    """A claim about every one of n comparisons: one significant counter-example contradicts it."""
    if n_against > 0:
        return CONTRADICTED
    return SUPPORTED if n and n_for == n else INCONCLUSIVE


def _compare_claim(results: dict, kind: str, check: dict, alpha: float, margin: float, uncertainty: bool) -> dict:
    """lower / higher / similar: group a against group b."""
    metric = check[kind]
    c = compare(results, check["a"], check["b"], metric, alpha, uncertainty)
    entry = {"metric": metric, "comparison": c, "a_stats": group_by_name(results, check["a"])["metrics"][metric],
             "b_stats": group_by_name(results, check["b"])["metrics"][metric], "deciding": c}
    if c["verdict"] == "both_collapsed":
        entry.update(verdict=INCONCLUSIVE, reason="both_collapsed")
        return entry
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
    entry["deciding"] = _deciding(comps)
    return entry


def _deciding(comps: list[dict]) -> dict:
    """The comparison a claim about every one of them hangs on: the least clear one (largest p)."""
    with_p = [c for c in comps if c.get("p_value") is not None]
    if with_p:
        return max(with_p, key=lambda c: c["p_value"])
    return comps[0] if comps else {}


def _flag_claim(results: dict, kind: str, check: dict, alpha: float) -> dict:
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
    tol = results["study"]["analysis"].get("plateau_tol", 0.01)
    margins = [MARGINS[kind](dict(r, plateau_tol=tol), check) for r in runs]
    values = [m for m, _ in margins]
    entry["margin"] = {**aggregate(values), "measures": margins[0][1] if margins else None,
                       **one_group(values, alpha, entry["verdict"] != INCONCLUSIVE)}
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
    entry["deciding"] = _deciding(pairs)
    return entry


def claim_groups(results: dict, check: dict) -> list[str]:
    """The groups a claim's verdict rests on (the ones more seeds would go to)."""
    kind = next(k for k in CLAIM_KINDS if check.get(k) is not None)
    shape = CLAIM_KINDS[kind].shape
    if shape == "compare":
        return [check["a"], check["b"]]
    if shape == "rank":
        return list(dict.fromkeys([check["a"], *check["among"]]))
    if shape == "flag":
        return [check[kind]]
    at = lambda lr: {g["variant"]: g["group"] for g in results["groups"]  # noqa: E731
                     if g.get("sweep") is None and abs(g["lr"] - lr) < 1e-12}
    better, worse = at(check["better"]), at(check["worse"])
    return [better[v] for v in better if v in worse] + [worse[v] for v in better if v in worse]


def evaluate_claim(results: dict, check: dict, alpha: float, margin: float, uncertainty: bool = True) -> dict:
    """The evidence for one declared claim and its verdict: supported, contradicted or inconclusive
    (``uncertainty=False`` leaves out intervals and power, for simulations that need only verdicts)."""
    kind = next(k for k in CLAIM_KINDS if check.get(k) is not None)
    shape = CLAIM_KINDS[kind].shape
    if shape == "compare":
        entry = _compare_claim(results, kind, check, alpha, margin, uncertainty)
    elif shape == "rank":
        entry = _rank_claim(results, kind, check, alpha)
    elif shape == "flag":
        entry = _flag_claim(results, kind, check, alpha)
    else:
        entry = _lr_claim(results, check, alpha)
    return {"kind": kind, **entry}


def sweep_summary(results: dict, groups: Sequence[str], values: Sequence[float], baseline: float,
                  alpha: float) -> dict[str, Any]:
    """Best validation loss per value of the swept setting, each value compared with the baseline
    value; the first value significantly worse than it, and where seeds diverge."""
    points = []
    for value, name in zip(values, groups):
        g = group_by_name(results, name)
        points.append({"value": value, "group": name, "best_val_loss": g["metrics"]["best_val_loss"],
                       "val_acc_at_best": g["metrics"]["val_acc_at_best"], "n_done": g["n_done"],
                       "n_diverged": g["n_diverged"]})
    base = groups[list(values).index(baseline)]
    comps = []
    worse_from = None
    for value, name in zip(values, groups):
        if value == baseline:
            continue
        c = compare(results, name, base, "best_val_loss", alpha)
        c["value"] = value
        comps.append(c)
        if worse_from is None and direction(c) == "higher":
            worse_from = value
    done = [p for p in points if p["n_done"]]
    return {"points": points, "baseline": baseline, "comparisons_to_baseline": comps, "worse_from": worse_from,
            "all_diverged": [p["value"] for p in done if p["n_diverged"] == p["n_done"]],
            "some_diverged": [p["value"] for p in done if 0 < p["n_diverged"] < p["n_done"]]}
