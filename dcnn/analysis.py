"""Pure functions: history → metrics → statistics → claims → observation sentences.

The metric definitions are SPEC.md's; results.json and every sentence of the report use these
functions and nothing else. Nothing here needs a model or torch.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Sequence

# Metrics a claim or comparison may name (numbers per run; lower is better for the losses).
METRICS = ("best_val_loss", "final_val_loss", "final_train_loss", "overfit_gap", "gap_at_best",
           "best_epoch", "plateau_epoch", "val_acc_at_best", "final_rise")
METRIC_WORDS = {"best_val_loss": "best validation loss", "final_val_loss": "final validation loss",
                "final_train_loss": "final training loss", "overfit_gap": "final gap (validation − training loss)",
                "gap_at_best": "gap at the best epoch", "best_epoch": "best epoch", "plateau_epoch": "plateau epoch",
                "val_acc_at_best": "accuracy at the best epoch", "final_rise": "rise after the best epoch"}
LEARNED_FRACTION = 0.9   # learned = best_val_loss < 0.9 · chance_loss (SPEC)
RISE_TOL = 0.1           # "turns upward": the final val loss is more than 10 % above its best


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


def compute_metrics(history: Sequence[dict], num_classes: int, tol: float = 0.01) -> dict[str, Any]:
    """SPEC.md's metrics of one run (plus val_acc_at_best, final_rise, upturn_epoch, overfits)."""
    chance = chance_loss(num_classes)
    if not history:
        return {"best_val_loss": None, "best_epoch": None, "final_train_loss": None, "final_val_loss": None,
                "overfit_gap": None, "gap_at_best": None, "plateau_epoch": None, "chance_loss": chance,
                "learned": False, "val_acc_at_best": None, "final_rise": None, "upturn_epoch": None,
                "overfits": False}
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
    }


# ---- numbers that know where they come from ----------------------------------------------------

@dataclass(frozen=True)
class Num:
    """A number printed in the report, with the results.json pointer it was read from."""

    value: float | int
    ref: str            # JSON pointer into results.json, e.g. /runs/3/metrics/best_val_loss
    fmt: str = "loss"   # loss (3 decimals) | int | pct (1 decimal, percent) | p (p-value) | g (shortest) | s (seconds) | count (1,234)

    @property
    def text(self) -> str:
        return format_number(self.value, self.fmt)


def format_number(value: float | int, fmt: str) -> str:
    if fmt == "int":
        return str(int(value))
    if fmt == "count":
        return f"{int(value):,}"
    if fmt == "pct":
        return f"{100 * value:.1f} %"
    if fmt == "p":
        return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"
    if fmt == "g":
        return f"{value:g}"
    if fmt == "s":
        return f"{value:.1f}"
    return f"{value:.3f}"


Part = "str | Num"
Sentence = list  # of str and Num


def get(results: dict, ref: str) -> Any:
    """Resolve a JSON pointer (``/runs/3/metrics/best_val_loss``) in the results."""
    node: Any = results
    for token in ref.strip("/").split("/"):
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def num(results: dict, ref: str, fmt: str = "loss") -> Num:
    return Num(get(results, ref), ref, fmt)


# ---- seeds: aggregates and Welch's t-test --------------------------------------------------------

def aggregate(values: Iterable[Optional[float]]) -> dict[str, Any]:
    """mean, std (n−1), min, max over the seeds that have a value; ``values`` keeps every seed."""
    vals = list(values)
    present = [float(v) for v in vals if v is not None]
    n = len(present)
    if n == 0:
        return {"mean": None, "std": None, "min": None, "max": None, "n": 0, "values": vals}
    mean = sum(present) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in present) / (n - 1)) if n > 1 else 0.0
    return {"mean": mean, "std": std, "min": min(present), "max": max(present), "n": n, "values": vals}


def welch(a: Sequence[float], b: Sequence[float]) -> tuple[Optional[float], float, Optional[float]]:
    """(p-value of Welch's t-test, mean(a) − mean(b), standard error of that difference).

    p is None when either side has fewer than two values or both have no spread.
    """
    from scipy import stats

    diff = sum(a) / len(a) - sum(b) / len(b)
    if len(a) < 2 or len(b) < 2:
        return None, diff, None
    va = sum((x - sum(a) / len(a)) ** 2 for x in a) / (len(a) - 1)
    vb = sum((x - sum(b) / len(b)) ** 2 for x in b) / (len(b) - 1)
    se = math.sqrt(va / len(a) + vb / len(b))
    if se == 0:
        return None, diff, 0.0
    p = float(stats.ttest_ind(list(a), list(b), equal_var=False).pvalue)
    return (p if math.isfinite(p) else None), diff, se


def compare(results: dict, a: str, b: str, metric: str = "best_val_loss", alpha: float = 0.05) -> dict:
    """Compare group ``a`` with group ``b`` on ``metric`` across seeds.

    verdict: lower | higher (significant at ``alpha``), within_noise, single_seed, identical,
    a_diverged | b_diverged | both_diverged (no value to compare on one side), not_run.
    """
    ga, gb = group_by_name(results, a), group_by_name(results, b)
    av = [v for v in ga["metrics"][metric]["values"] if v is not None]
    bv = [v for v in gb["metrics"][metric]["values"] if v is not None]
    out: dict[str, Any] = {"a": a, "b": b, "metric": metric, "a_values": ga["metrics"][metric]["values"],
                           "b_values": gb["metrics"][metric]["values"], "difference": None,
                           "difference_se": None, "p_value": None, "alpha": alpha}
    if ga["n_done"] == 0 or gb["n_done"] == 0:
        out["verdict"] = "not_run"
        return out
    if not av or not bv:
        out["verdict"] = "both_diverged" if not av and not bv else ("a_diverged" if not av else "b_diverged")
        return out
    p, diff, se = welch(av, bv)
    out.update(difference=diff, difference_se=se, p_value=p)
    if len(av) < 2 or len(bv) < 2:
        out["verdict"] = "single_seed"
    elif p is None:
        out["verdict"] = "identical" if diff == 0 else ("lower" if diff < 0 else "higher")
    elif p < alpha:
        out["verdict"] = "lower" if diff < 0 else "higher"
    else:
        out["verdict"] = "within_noise"
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
        "metrics": metrics,
    }


# ---- claims ----------------------------------------------------------------------------------------

SUPPORTED, CONTRADICTED, INCONCLUSIVE = "supported", "contradicted", "inconclusive"
_FLAG_KINDS = {  # kind → (per-run predicate, words)
    "overfits": (lambda m: bool(m["overfits"]), "overfit"),
    "never_learns": (lambda m: not m["learned"], "never learned"),
    "learns": (lambda m: bool(m["learned"]), "learned"),
    "still_improving": (lambda m: m["plateau_epoch"] is None, "are still improving at the last epoch"),
}


def _direction(c: dict) -> Optional[str]:
    """'lower'/'higher' when the comparison shows a real difference (diverged counts as higher loss)."""
    v = c["verdict"]
    if v in ("lower", "higher"):
        return v
    if v == "a_diverged":
        return "higher"
    if v == "b_diverged":
        return "lower"
    return None


def _every_one(n_for: int, n_against: int, n: int) -> str:
    """A claim about every one of n comparisons: one significant counter-example contradicts it."""
    if n_against > 0:
        return CONTRADICTED
    return SUPPORTED if n and n_for == n else INCONCLUSIVE


def evaluate_claim(results: dict, check: dict, alpha: float, margin: float) -> dict:
    """The evidence for one declared claim and its verdict: supported, contradicted or inconclusive."""
    kind = next(k for k in ("lower", "higher", "similar", "best", "worst", "overfits", "never_learns", "learns",
                            "still_improving", "plateaus_by", "lr_beats") if check.get(k) is not None)
    entry: dict[str, Any] = {"kind": kind}
    if kind in ("lower", "higher", "similar"):
        metric = check[kind]
        c = compare(results, check["a"], check["b"], metric, alpha)
        entry.update(metric=metric, comparison=c,
                     a_stats=group_by_name(results, check["a"])["metrics"][metric],
                     b_stats=group_by_name(results, check["b"])["metrics"][metric])
        d = _direction(c)
        if kind == "similar":
            ma, mb = entry["a_stats"]["mean"], entry["b_stats"]["mean"]
            close = ma is not None and mb is not None and abs(ma - mb) <= margin * max(abs(ma), abs(mb))
            if d is not None:
                verdict = CONTRADICTED
            elif c["verdict"] in ("within_noise", "identical") and close:
                verdict = SUPPORTED
            else:
                verdict = INCONCLUSIVE
        else:
            verdict = INCONCLUSIVE if d is None else (SUPPORTED if d == kind else CONTRADICTED)
    elif kind in ("best", "worst"):
        metric = check[kind]
        others = [o for o in check["among"] if o != check["a"]]
        comps = [compare(results, check["a"], o, metric, alpha) for o in others]
        want = "lower" if kind == "best" else "higher"
        dirs = [_direction(c) for c in comps]
        ranking = sorted(([check["a"]] + others), key=lambda g: (
            group_by_name(results, g)["metrics"][metric]["mean"] is None,
            (group_by_name(results, g)["metrics"][metric]["mean"] or 0.0) * (1 if kind == "best" else -1)))
        entry.update(metric=metric, comparisons=comps, ranking=ranking, rank=ranking.index(check["a"]) + 1,
                     n_beaten=sum(d == want for d in dirs),
                     n_beating=sum(d is not None and d != want for d in dirs))
        verdict = _every_one(entry["n_beaten"], entry["n_beating"], len(comps))
    elif kind in _FLAG_KINDS or kind == "plateaus_by":
        g = group_by_name(results, check[kind])
        # Only seeds with at least one finished epoch say anything about the shape of a curve.
        runs = [results["runs"][i] for i in g["runs"] if results["runs"][i]["history"]]
        if kind == "plateaus_by":
            flags = [r["metrics"]["plateau_epoch"] is not None and r["metrics"]["plateau_epoch"] <= check["epoch"]
                     for r in runs]
        else:
            flags = [_FLAG_KINDS[kind][0](r["metrics"]) for r in runs]
        entry.update(group=check[kind], count=sum(flags), n=len(flags), epoch=check.get("epoch"))
        if not flags:
            verdict = INCONCLUSIVE
        elif all(flags):
            verdict = SUPPORTED
        elif not any(flags):
            verdict = CONTRADICTED
        else:
            verdict = INCONCLUSIVE
    else:  # lr_beats
        metric, better, worse = check["lr_beats"], check["better"], check["worse"]
        pairs = []
        for g in results["groups"]:
            if abs(g["lr"] - better) < 1e-12 and g.get("sweep") is None:
                other = next((h for h in results["groups"] if h["variant"] == g["variant"]
                              and abs(h["lr"] - worse) < 1e-12), None)
                if other is not None:
                    pairs.append(compare(results, g["group"], other["group"], metric, alpha))
        dirs = [_direction(c) for c in pairs]
        entry.update(metric=metric, better=better, worse=worse, comparisons=pairs, n=len(pairs),
                     n_better=sum(d == "lower" for d in dirs), n_worse=sum(d == "higher" for d in dirs))
        verdict = _every_one(entry["n_better"], entry["n_worse"], len(pairs))
    entry["verdict"] = verdict
    return entry


# ---- sweeps -----------------------------------------------------------------------------------------

def sweep_summary(results: dict, groups: Sequence[str], depths: Sequence[int], alpha: float) -> dict:
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
        if hurts_from is None and _direction(c) == "higher":
            hurts_from = k
    return {"points": points, "comparisons_to_unfrozen": comps, "hurts_from": hurts_from}


# ---- observation sentences ------------------------------------------------------------------------

def _and(parts: list) -> list:
    """[a, b, c] → [a, ', ', b, ' and ', c] (parts may be Num or str)."""
    out: list = []
    for i, p in enumerate(parts):
        if i:
            out.append(" and " if i == len(parts) - 1 else ", ")
        out.append(p)
    return out


def _pm(results: dict, ref: str, fmt: str = "loss") -> list:
    """mean ± std of an aggregate at ``ref`` (std left out for a single value)."""
    agg = get(results, ref)
    if agg["n"] <= 1:
        return [num(results, f"{ref}/mean", fmt)]
    return [num(results, f"{ref}/mean", fmt), " ± ", num(results, f"{ref}/std", fmt)]


def run_observations(results: dict, ri: int, tol_ref: str = "/study/analysis/plateau_tol") -> list[Sentence]:
    """Sentences under a single-seed figure, from that run's metrics."""
    R = f"/runs/{ri}"
    run = results["runs"][ri]
    m = run["metrics"]
    out: list[Sentence] = []
    if run["status"] not in ("complete", "diverged"):
        return [["This run has not been trained yet."] if run["status"] == "missing"
                else ["This run failed: ", run.get("error") or "unknown error", "."]]
    if run["status"] == "diverged":
        if not run["history"]:
            return [["Training diverged in epoch ", num(results, f"{R}/diverged_epoch", "int"),
                     ": the loss became NaN or infinite before the first epoch ended, so there is no curve."]]
        out.append(["Training diverged in epoch ", num(results, f"{R}/diverged_epoch", "int"),
                    "; the curve shows the epochs before it."])
    if not m["learned"]:
        out.append(["It never learned: its best validation loss, ", num(results, f"{R}/metrics/best_val_loss"),
                    " (epoch ", num(results, f"{R}/metrics/best_epoch", "int"),
                    "), stays above 90 % of the chance level ln ", num(results, f"{R}/num_classes", "int"),
                    " = ", num(results, f"{R}/metrics/chance_loss"), "."])
    else:
        out.append(["Validation loss is lowest at epoch ", num(results, f"{R}/metrics/best_epoch", "int"), " (",
                    num(results, f"{R}/metrics/best_val_loss"), ", accuracy ",
                    num(results, f"{R}/metrics/val_acc_at_best", "pct"), ")."])
    if m["plateau_epoch"] is not None:
        out.append(["It levels off by epoch ", num(results, f"{R}/metrics/plateau_epoch", "int"),
                    ": no later epoch improves on the best so far by more than ", num(results, tol_ref, "pct"), "."])
    else:
        out.append(["It is still improving at the last epoch."])
    if m["upturn_epoch"] is not None:
        s = ["After its best epoch it turns upward from epoch ", num(results, f"{R}/metrics/upturn_epoch", "int"),
             " and ends ", num(results, f"{R}/metrics/final_rise"), " higher, at ",
             num(results, f"{R}/metrics/final_val_loss"), "; the final gap to the training loss is ",
             num(results, f"{R}/metrics/overfit_gap")]
        s.append(", a sign of overfitting." if m["overfits"] else ".")
        out.append(s)
    else:
        out.append(["It ends at ", num(results, f"{R}/metrics/final_val_loss"),
                    ", within 10 % of its best; the final gap to the training loss is ",
                    num(results, f"{R}/metrics/overfit_gap"), "."])
    return out


def group_observations(results: dict, gi: int, tol_ref: str = "/study/analysis/plateau_tol") -> list[Sentence]:
    """Sentences under a multi-seed figure, from its seeds' metrics (mean ± std, counts)."""
    G = f"/groups/{gi}"
    g = results["groups"][gi]
    runs = [(i, results["runs"][i]) for i in g["runs"]]
    done = [(i, r) for i, r in runs if r["status"] in ("complete", "diverged")]
    out: list[Sentence] = []
    if not done:
        return [["No seed of this configuration has been trained yet."]]
    if len(done) < len(runs):
        out.append(["Only ", num(results, f"{G}/n_done", "int"), " of ", num(results, f"{G}/n_seeds", "int"),
                    " seeds have finished; the rest are not run yet or failed."])
    div = [(i, r) for i, r in done if r["status"] == "diverged"]
    if div:
        # One epoch number per distinct epoch ("in epoch 1", not "in epoch 1, 1 and 1").
        first_of: dict[int, int] = {}
        for i, r in div:
            first_of.setdefault(r["diverged_epoch"], i)
        epochs = _and([num(results, f"/runs/{i}/diverged_epoch", "int") for i in first_of.values()])
        if len(div) == len(done):
            out.append(["Every seed diverged (in epoch ", *epochs, "): the loss became NaN or infinite."])
        else:
            out.append([num(results, f"{G}/n_diverged", "int"), " of ", num(results, f"{G}/n_done", "int"),
                        " seeds diverged (in epoch ", *epochs, "); their curves stop there."])
    M = f"{G}/metrics"
    if g["metrics"]["best_val_loss"]["n"] == 0:
        return out
    n = num(results, f"{G}/n_done", "int")
    if g["n_learned"] == 0:
        out.append(["No seed learned: the best validation loss, ", *_pm(results, f"{M}/best_val_loss"),
                    ", stays above 90 % of the chance level ln ", num(results, f"/runs/{done[0][0]}/num_classes", "int"),
                    " = ", num(results, f"/runs/{done[0][0]}/metrics/chance_loss"), "."])
    else:
        best_epochs = [num(results, f"/runs/{i}/metrics/best_epoch", "int") for i, r in done
                       if r["metrics"]["best_epoch"] is not None]
        out.append(["Across ", n, " seeds the best validation loss is ", *_pm(results, f"{M}/best_val_loss"),
                    " (range ", num(results, f"{M}/best_val_loss/min"), " to ", num(results, f"{M}/best_val_loss/max"),
                    "), reached at epoch ", *_and(best_epochs), ", with accuracy ",
                    *_pm(results, f"{M}/val_acc_at_best", "pct"), "."])
        if g["n_learned"] < g["n_done"]:
            out.append(["Only ", num(results, f"{G}/n_learned", "int"), " of ", n,
                        " seeds learned; the others stayed near chance."])
    with_hist = [(i, r) for i, r in done if r["metrics"]["best_val_loss"] is not None]
    plateaus = [num(results, f"/runs/{i}/metrics/plateau_epoch", "int") for i, r in with_hist
                if r["metrics"]["plateau_epoch"] is not None]
    if not plateaus:
        out.append(["No seed has levelled off: each is still improving at the last epoch."])
    elif len(plateaus) == len(with_hist):
        out.append(["It levels off by epoch ", *_and(plateaus), " (one per seed; no later epoch improves by more than ",
                    num(results, tol_ref, "pct"), ")."])
    else:
        out.append(["It levels off by epoch ", *_and(plateaus), " in ", num(results, f"{G}/n_plateaued", "int"),
                    " of ", n, " seeds; the rest are still improving at the last epoch."])
    gap = _pm(results, f"{M}/overfit_gap")
    if g["n_overfit"] == len(with_hist):
        out.append(["Every seed overfits: after its best epoch the validation loss turns upward, ending ",
                    *_pm(results, f"{M}/final_rise"), " above its best, with a final gap of ", *gap,
                    " to the training loss."])
    elif g["n_upturn"] > 0:
        out.append([num(results, f"{G}/n_upturn", "int"), " of ", n,
                    " seeds turn upward after their best epoch (", num(results, f"{G}/n_overfit", "int"),
                    " with training loss below validation loss, i.e. overfitting); the final gap to the training loss is ",
                    *gap, "."])
    else:
        out.append(["No seed turns upward: each ends within 10 % of its best, with a final gap of ", *gap,
                    " to the training loss."])
    return out


def comparison_sentence(results: dict, ci: int, this: str, base_title: str, base_section: str) -> Sentence:
    """How a configuration compares with the one it builds on, in the words the evidence allows."""
    C = f"/comparisons/{ci}"
    c = results["comparisons"][ci]
    lead = [f"Against {base_title} (§{base_section}, same learning rate), "]
    v = c["verdict"]
    if v == "not_run":
        return lead + ["no comparison yet: one of the two has not been trained."]
    if v == "a_diverged":
        return lead + [f"{this} diverged in every seed while the other did not."]
    if v == "b_diverged":
        return lead + ["which diverged in every seed, this one trains."]
    if v == "both_diverged":
        return lead + ["both diverged in every seed."]
    if v == "single_seed":
        return lead + ["the best validation loss differs by ", num(results, f"{C}/difference"),
                       " (single seed, no noise estimate)."]
    if v == "identical":
        return lead + ["the best validation loss is identical in every seed."]
    if v in ("lower", "higher"):
        if c["p_value"] is None:
            return lead + [f"the best validation loss is {v} by ", num(results, f"{C}/magnitude"),
                           " in every seed (no spread within either)."]
        return lead + [f"the best validation loss is {v} by ", num(results, f"{C}/magnitude"), " ± ",
                       num(results, f"{C}/difference_se"), " (", num(results, f"{C}/p_value", "p"), ")."]
    return lead + ["the difference in best validation loss, ", num(results, f"{C}/difference"),
                   ", is within seed noise (", num(results, f"{C}/p_value", "p"), ")."]


def sweep_observations(results: dict, si: int) -> list[Sentence]:
    """Where freezing the first k conv layers starts to cost validation loss."""
    S = f"/sweeps/{si}"
    sw = results["sweeps"][si]
    pts = sw["points"]
    out: list[Sentence] = []
    have = [i for i, p in enumerate(pts) if p["best_val_loss"]["n"]]
    if not have:
        return [["No run of this sweep has been trained yet."]]
    best_i = min(have, key=lambda i: pts[i]["best_val_loss"]["mean"])
    out.append(["The lowest mean best validation loss, ", *_pm(results, f"{S}/points/{best_i}/best_val_loss"),
                ", comes with k = ", num(results, f"{S}/points/{best_i}/frozen_conv_layers", "int"), " frozen conv layers."])
    comps = sw["comparisons_to_unfrozen"]
    k0 = next((i for i, p in enumerate(pts) if p["frozen_conv_layers"] == 0), None)
    if sw["hurts_from"] is None:
        if comps:
            out.append(["No depth is significantly worse than training every layer (k = 0, ",
                        *_pm(results, f"{S}/points/{k0}/best_val_loss"), "): freezing costs nothing measurable here."])
    else:
        ci = next(i for i, c in enumerate(comps) if c["frozen_conv_layers"] == sw["hurts_from"])
        gi = next(i for i, p in enumerate(pts) if p["frozen_conv_layers"] == sw["hurts_from"])
        c = comps[ci]
        s = ["Freezing starts to hurt at k = ", num(results, f"{S}/hurts_from", "int"), ": best validation loss ",
             *_pm(results, f"{S}/points/{gi}/best_val_loss"), " against ",
             *_pm(results, f"{S}/points/{k0}/best_val_loss"), " with nothing frozen"]
        if c["p_value"] is not None:
            s += [" (", num(results, f"{S}/comparisons_to_unfrozen/{ci}/p_value", "p"), ")."]
        else:
            s += ["."]
        out.append(s)
    if sw["reference"] is not None:
        out.append(["For reference, the scratch CNN at its better learning rate reaches ",
                    *_pm(results, f"{S}/reference/best_val_loss"), "."])
    return out


def _stats_words(results: dict, ref: str) -> list:
    agg = get(results, ref)
    if agg["n"] == 0:
        return ["diverged"]
    return _pm(results, ref)


def claim_evidence(results: dict, ci: int) -> Sentence:
    """The measured evidence behind claim ``ci``, with every number pointing into results.json."""
    C = f"/claims/{ci}"
    c = results["claims"][ci]
    kind = c["kind"]
    if kind in ("lower", "higher", "similar"):
        cmp_ = c["comparison"]
        s = [f"{METRIC_WORDS[c['metric']]}: {cmp_['a']} ", *_stats_words(results, f"{C}/a_stats"), f" vs {cmp_['b']} ",
             *_stats_words(results, f"{C}/b_stats")]
        if cmp_["p_value"] is not None:
            s += [" (", num(results, f"{C}/comparison/p_value", "p"), ")."]
        elif cmp_["verdict"] == "single_seed":
            s += [" (single seed, no noise estimate)."]
        else:
            s += ["."]
        return s
    if kind in ("best", "worst"):
        a = c["check"]["a"]
        lead = ([f"{a} diverged in every seed; "] if group_by_name(results, a)["metrics"][c["metric"]]["n"] == 0 else
                [f"{a} ranks ", num(results, f"{C}/rank", "int"), f" of {len(c['ranking'])} by mean "
                 f"{METRIC_WORDS[c['metric']]} (1 = {'lowest' if kind == 'best' else 'highest'}); "])
        return lead + [f"it is significantly {'lower' if kind == 'best' else 'higher'} than ",
                       num(results, f"{C}/n_beaten", "int"), f" of {len(c['comparisons'])} others and significantly "
                       f"{'higher' if kind == 'best' else 'lower'} than ", num(results, f"{C}/n_beating", "int"),
                       " (a diverged run counts as the higher loss)."]
    if kind == "lr_beats":
        return ["lr ", num(results, f"{C}/better", "g"), " has a significantly lower ", METRIC_WORDS[c["metric"]],
                " than lr ", num(results, f"{C}/worse", "g"),
                " in ", num(results, f"{C}/n_better", "int"), " of ", num(results, f"{C}/n", "int"),
                " variants (a diverged run counts as worse) and a significantly higher one in ",
                num(results, f"{C}/n_worse", "int"), "."]
    words = {"overfits": "overfit", "never_learns": "never learned", "learns": "learned",
             "still_improving": "are still improving at the last epoch"}.get(kind)
    if c["n"] == 0:
        return [f"Every seed of {c['group']} diverged before finishing an epoch: there is no curve to judge."]
    if kind == "plateaus_by":
        return [num(results, f"{C}/count", "int"), " of ", num(results, f"{C}/n", "int"), f" seeds of {c['group']} level off by epoch ",
                num(results, f"{C}/epoch", "int"), "."]
    return [num(results, f"{C}/count", "int"), " of ", num(results, f"{C}/n", "int"), f" seeds of {c['group']} with a finished "
            f"epoch {words}."]
