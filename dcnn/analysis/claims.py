"""Claims: a check declared in study.yaml → the evidence the runs give for it, the verdict that
evidence points to (``candidate``) and the p-value of that verdict's test (inference.py). The
verdicts themselves are given to all of a study's claims at once, after correcting for their number
(verdicts.py); the freeze-depth sweep's summary is here too."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

from .vocabulary import CLAIM_KINDS, CONTRADICTED, SUPPORTED
from .inference import adjust, equivalence, equivalence_interval, margin_test
from .metrics import LEARNED_FRACTION, RISE_TOL
from .numbers import percent
from .stats import aggregate, compare, direction, group_by_name, summarise_group


@dataclass(frozen=True)
class Judging:
    """How a claim is judged: the study's analysis settings, as the tests need them."""

    alpha: float = 0.05                # per look, before the correction for the claims' number
    similar_margin: float = 0.1        # "similar": within this share of b's mean, unless the claim says
    correction: str = "holm"           # inside a best / worst / lr_beats claim, over its comparisons


# Flag claims: what each seed of a group shows (counted, as a description) ...
FLAGS: dict[str, Callable[[dict, dict], bool]] = {   # kind → (run metrics, check) → bool
    "overfits": lambda m, check: bool(m["overfits"]),
    "never_learns": lambda m, check: not m["learned"],
    "learns": lambda m, check: bool(m["learned"]),
    "still_improving": lambda m, check: m["plateau_epoch"] is None,
    "plateaus_by": lambda m, check: m["plateau_epoch"] is not None and m["plateau_epoch"] <= check["epoch"],
}
# ... and the per-seed margin the claim is tested on: positive exactly when the flag holds, and the
# further from zero the clearer. kind → (run metrics, check, plateau tolerance) → margin. (Epochs are
# whole numbers: a plateau at the given epoch is half an epoch early; none at all, one epoch past the last.)
MARGINS: dict[str, Callable[[dict, dict, float], float]] = {
    "overfits": lambda m, check, tol: min(m["final_rise"] - RISE_TOL * abs(m["best_val_loss"]), m["overfit_gap"]),
    "never_learns": lambda m, check, tol: m["best_val_loss"] - LEARNED_FRACTION * m["chance_loss"],
    "learns": lambda m, check, tol: LEARNED_FRACTION * m["chance_loss"] - m["best_val_loss"],
    "still_improving": lambda m, check, tol: (m["last_gain"] or 0.0) - tol,
    "plateaus_by": lambda m, check, tol: check["epoch"] + 0.5 - (m["last_epoch"] + 1 if m["plateau_epoch"] is None
                                                                 else m["plateau_epoch"]),
}


def claim_kind(check: dict) -> str:
    return next(k for k in CLAIM_KINDS if check.get(k) is not None)


def observed(c: dict) -> tuple[Optional[str], Optional[float], Optional[str]]:
    """(direction of the observed difference, two-sided p, why it cannot point to a verdict) of a
    comparison. A side that diverged in every seed counts as the higher loss, with certainty (p 0);
    so does a difference between two groups without any spread."""
    v = c["verdict"]
    if v in ("not_run", "both_diverged", "both_collapsed", "single_seed"):
        return None, None, v
    if v in ("a_diverged", "b_diverged"):
        return direction(c), 0.0, None
    diff = c["difference"]
    side = "lower" if diff < 0 else ("higher" if diff > 0 else None)
    if c["p_value"] is None or side is None:
        return None, None, "identical"
    return side, c["p_value"], None


def _present(values: Sequence[Optional[float]]) -> list[float]:
    return [v for v in values if v is not None]


def _compare_claim(results: dict, kind: str, check: dict, how: Judging) -> dict:
    """lower / higher: Welch's test of a against b; similar: two one-sided tests against ±margin."""
    metric = check[kind]
    c = compare(results, check["a"], check["b"], metric, how.alpha, uncertainty=False)
    entry: dict[str, Any] = {"metric": metric, "comparison": c, "deciding": c,
                             "a_stats": group_by_name(results, check["a"])["metrics"][metric],
                             "b_stats": group_by_name(results, check["b"])["metrics"][metric]}
    side, p, reason = observed(c)
    if kind != "similar":
        candidate = None if side is None else (SUPPORTED if side == kind else CONTRADICTED)
        return {**entry, "candidate": candidate, "p_value": p, "reason": reason}
    relative = check.get("relative_margin", None if check.get("margin") is not None else how.similar_margin)
    b_mean = entry["b_stats"]["mean"]
    value = check.get("margin") if relative is None else (relative * abs(b_mean) if b_mean is not None else None)
    entry["similar_margin"] = {"value": value, "relative": relative}
    if c["verdict"] in ("a_diverged", "b_diverged"):      # one diverged, the other did not: not similar
        return {**entry, "candidate": CONTRADICTED, "p_value": 0.0, "reason": None}
    if reason is not None and reason != "identical":
        return {**entry, "candidate": None, "p_value": None, "reason": reason}
    av, bv = _present(c["a_values"]), _present(c["b_values"])
    eq = equivalence(av, bv, value)
    if eq["p_similar"] is None:
        return {**entry, "candidate": None, "p_value": None,
                "reason": "single_seed" if min(len(av), len(bv)) < 2 else "no_spread"}
    ci = equivalence_interval(av, bv, how.alpha)
    entry["equivalence"] = {"p_similar": eq["p_similar"], "p_different": eq["p_different"],
                            "confidence": 1 - 2 * how.alpha, **({"ci_low": ci[0], "ci_high": ci[1]} if ci else {})}
    similar = eq["p_similar"] <= eq["p_different"]
    return {**entry, "candidate": SUPPORTED if similar else CONTRADICTED,
            "p_value": min(eq["p_similar"], eq["p_different"]), "reason": None}


def every_one(comps: list[dict], want: str, correction: str) -> dict:
    """A claim about every one of ``comps`` (a is lower than each; each variant is better at one rate):
    supported when every comparison shows the wanted direction (an intersection–union test: p is the
    largest of theirs), contradicted when one shows the other direction after correcting for their
    number (p is the smallest corrected p among those). ``deciding`` is the comparison it hangs on:
    the counter-example that contradicts it, or else the least clear of those it needs."""
    seen = [observed(c) for c in comps]
    raw = [p if p is not None else 1.0 for _, p, _ in seen]
    corrected = adjust(raw, correction)
    p_for = [raw[i] if side == want else 1.0 for i, (side, _, _) in enumerate(seen)]
    against = [i for i, (side, _, _) in enumerate(seen) if side is not None and side != want]
    p_support = max(p_for) if comps else 1.0
    p_against = min((corrected[i] for i in against), default=1.0)
    if not comps:
        return {"candidate": None, "p_value": None, "reason": "nothing_to_compare", "deciding": {}}
    if p_against < p_support:
        k = min(against, key=lambda i: corrected[i])
        return {"candidate": CONTRADICTED, "p_value": p_against, "reason": None, "deciding": comps[k],
                "deciding_index": k, "deciding_corrected_p": corrected[k]}
    k = max(range(len(comps)), key=lambda i: (p_for[i], seen[i][1] is not None))
    return {"candidate": SUPPORTED, "p_value": p_support, "reason": None, "deciding": comps[k], "deciding_index": k}


def _counts(comps: list[dict], want: str, alpha: float, correction: str) -> tuple[int, int]:
    """(comparisons significant in the wanted direction at alpha, significant the other way after correction)."""
    seen = [observed(c) for c in comps]
    corrected = adjust([p if p is not None else 1.0 for _, p, _ in seen], correction)
    return (sum(side == want and p is not None and p < alpha for side, p, _ in seen),
            sum(side is not None and side != want and q < alpha for (side, _, _), q in zip(seen, corrected)))


def _rank_claim(results: dict, kind: str, check: dict, how: Judging) -> dict:
    """best / worst: group a against every other group named in ``among``."""
    metric = check[kind]
    others = [o for o in check["among"] if o != check["a"]]
    comps = [compare(results, check["a"], o, metric, how.alpha, uncertainty=False) for o in others]
    want = "lower" if kind == "best" else "higher"
    mean = lambda g: group_by_name(results, g)["metrics"][metric]["mean"]  # noqa: E731
    ranking = sorted([check["a"]] + others, key=lambda g: (mean(g) is None,
                                                           (mean(g) or 0.0) * (1 if kind == "best" else -1)))
    n_beaten, n_beating = _counts(comps, want, how.alpha, how.correction)
    return {"metric": metric, "comparisons": comps, "ranking": ranking, "rank": ranking.index(check["a"]) + 1,
            "n_beaten": n_beaten, "n_beating": n_beating, **every_one(comps, want, how.correction)}


def _lr_claim(results: dict, check: dict, how: Judging) -> dict:
    """lr_beats: for every variant run at both rates, the better rate gives the lower metric."""
    metric, better, worse = check["lr_beats"], check["better"], check["worse"]
    pairs = [compare(results, b, w, metric, how.alpha, uncertainty=False) for b, w in lr_pairs(results, better, worse)]
    n_better, n_worse = _counts(pairs, "lower", how.alpha, how.correction)
    return {"metric": metric, "better": better, "worse": worse, "comparisons": pairs, "n": len(pairs),
            "n_better": n_better, "n_worse": n_worse, **every_one(pairs, "lower", how.correction)}


def lr_pairs(results: dict, better: float, worse: float) -> list[tuple[str, str]]:
    """(group at the better rate, the same variant's group at the worse rate), for every variant run at both."""
    at = lambda lr: {g["variant"]: g["group"] for g in results["groups"]  # noqa: E731
                     if g.get("sweep") is None and abs(g["lr"] - lr) < 1e-12}
    hi, lo = at(better), at(worse)
    return [(hi[v], lo[v]) for v in hi if v in lo]


def flag_runs(results: dict, group: str) -> list[int]:
    """The seeds of a group with at least one finished epoch: only they say anything about a curve."""
    return [i for i in group_by_name(results, group)["runs"] if results["runs"][i]["history"]]


def _flag_claim(results: dict, kind: str, check: dict, how: Judging) -> dict:
    """overfits, learns, ...: a two-sided one-sample t-test of the mean per-seed margin against 0."""
    runs = [results["runs"][i]["metrics"] for i in flag_runs(results, check[kind])]
    tol = results["study"]["analysis"].get("plateau_tol", 0.01)
    values = [MARGINS[kind](m, check, tol) for m in runs]
    p, side = margin_test(values)
    entry = {"group": check[kind], "count": sum(FLAGS[kind](m, check) for m in runs), "n": len(runs),
             "epoch": check.get("epoch"), "margin": {**aggregate(values), "measures": MARGIN_WORDS[kind]}}
    if side is None:
        reason = "no_epoch" if not runs else ("single_seed" if len(runs) == 1 else "no_margin")
        return {**entry, "candidate": None, "p_value": None, "reason": reason}
    entry["margin"]["p_value"] = p
    return {**entry, "candidate": SUPPORTED if side == "holds" else CONTRADICTED, "p_value": p, "reason": None}


MARGIN_WORDS = {
    "overfits": f"the smaller of the final rise above the best validation loss less {percent(RISE_TOL)} of it, and "
                "the final gap",
    "never_learns": f"the best validation loss minus {percent(LEARNED_FRACTION)} of chance",
    "learns": f"{percent(LEARNED_FRACTION)} of chance minus the best validation loss",
    "still_improving": "the last epoch's gain on the best before it, relative, minus the plateau tolerance",
    "plateaus_by": "the given epoch minus the plateau epoch, plus half an epoch",
}


def claim_groups(results: dict, check: dict) -> list[str]:
    """The groups a claim's verdict rests on (the ones more seeds would go to)."""
    kind = CLAIM_KINDS[claim_kind(check)]
    if kind.shape != "lr":
        return kind.names(check)
    pairs = lr_pairs(results, check["better"], check["worse"])
    return [b for b, _ in pairs] + [w for _, w in pairs]


SHAPES = {"compare": _compare_claim, "rank": _rank_claim, "flag": _flag_claim,
          "lr": lambda results, kind, check, how: _lr_claim(results, check, how)}


def degenerate_runs(results: dict, group: str) -> list[int]:
    """A group's seeds that diverged or collapsed: they reflect a failed run more than the setting."""
    return [i for i in group_by_name(results, group)["runs"]
            if results["runs"][i]["status"] == "diverged" or results["runs"][i]["metrics"].get("collapsed")]


def without_runs(results: dict, drop: dict[str, list[int]]) -> dict:
    """results with the given runs left out of their groups (the groups' statistics recomputed)."""
    def cut(g: dict) -> dict:
        if g["group"] not in drop:
            return g
        runs = [i for i in g["runs"] if i not in drop[g["group"]]]
        return dict(g, runs=runs, **summarise_group([results["runs"][i] for i in runs]))
    return {**results, "groups": [cut(g) for g in results["groups"]]}


def evaluate_claim(results: dict, check: dict, how: Judging = Judging()) -> dict:
    """The evidence for one declared claim, the verdict it points to (``candidate``: supported,
    contradicted, or None with a ``reason``) and that verdict's p-value, before any correction.

    A group that holds some diverged or collapsed seeds besides healthy ones is judged with and
    without them: the claim points to a verdict only when both agree (then p is the larger of the
    two), else to none, with reason "degenerate"."""
    kind = claim_kind(check)
    judge = lambda r: SHAPES[CLAIM_KINDS[kind].shape](r, kind, check, how)  # noqa: E731
    entry = {"kind": kind, **judge(results)}
    mixed = {}
    for g in claim_groups(results, check):
        bad = degenerate_runs(results, g)
        if bad and len(bad) < len(group_by_name(results, g)["runs"]):
            mixed[g] = bad
    if not mixed:
        return entry
    clean = judge(without_runs(results, mixed))
    entry["degenerate"] = {"groups": {g: len(bad) for g, bad in mixed.items()}, "candidate_with": entry["candidate"],
                           "candidate_without": clean["candidate"], "p_value_without": clean["p_value"]}
    if clean["candidate"] != entry["candidate"] or entry["candidate"] is None:
        return {**entry, "candidate": None, "p_value": None, "reason": entry.get("reason") or "degenerate"}
    return {**entry, "p_value": max(entry["p_value"], clean["p_value"])}
