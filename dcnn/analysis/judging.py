"""What every kind of claim is judged with: the study's settings for judging (``Judging``), the
direction and p-value a comparison points to, the intersection–union test of "every one of these",
and the groups and seeds a claim reads. The kinds themselves are kinds/*.py."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

from .vocabulary import CONTRADICTED, SUPPORTED
from .inference import adjust
from .stats import compare, group_by_name, settle


@dataclass(frozen=True)
class Judging:
    """How a claim is judged: the study's analysis settings, as the tests need them."""

    alpha: float = 0.05                # per look, before the correction for the claims' number
    similar_margin: float = 0.1        # "similar", "not_worse": within this share of b's mean, unless the claim says
    correction: str = "holm"           # inside a best / worst / lr_beats claim, over its comparisons


def observed(c: dict) -> tuple[Optional[str], Optional[float], Optional[str]]:
    """(the direction the seeds point to, the two-sided p of its test, why it cannot point to a verdict)
    of a comparison. A group that diverged before it had a value is a seed at the worst end of a rank
    test (stats.compare), never a certainty."""
    v = c["verdict"]
    if v in ("not_run", "both_diverged", "both_collapsed", "single_seed"):
        return None, None, v
    if c["p_value"] is None or c["side"] is None:
        return None, None, "identical"
    return c["side"], c["p_value"], None


def present(values: Sequence[Optional[float]]) -> list[float]:
    return [v for v in values if v is not None]


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


def at_level(comps: list[dict], want: str, level: float, correction: str) -> tuple[int, int]:
    """The comparisons of a claim over several, settled at the claim's level (``level``: after the
    corrections for the claims and the looks): one it needs says ``want`` when its own p is below the
    level (an intersection–union test needs each at the level), one against says so when its p corrected
    over the claim's comparisons is. Returns (how many show ``want``, how many show the other way)."""
    seen = [observed(c) for c in comps]
    corrected = adjust([p if p is not None else 1.0 for _, p, _ in seen], correction)
    for c, (side, p, _), q in zip(comps, seen, corrected):
        settle(c, level if side == want else level * (p / q if q and p is not None else 1.0), uncertainty=False)
    return (sum(c["verdict"] == want for c in comps),
            sum(c["verdict"] in ("lower", "higher") and c["verdict"] != want for c in comps))


def lr_pairs(results: dict, better: float, worse: float) -> list[tuple[str, str]]:
    """(group at the better rate, the same variant's group at the worse rate), for every variant run at both."""
    at = lambda lr: {g["variant"]: g["group"] for g in results["groups"]  # noqa: E731
                     if g.get("sweep") is None and abs(g["lr"] - lr) < 1e-12}
    hi, lo = at(better), at(worse)
    return [(hi[v], lo[v]) for v in hi if v in lo]


def flag_runs(results: dict, group: str) -> list[int]:
    """The seeds of a group with at least one finished epoch: only they say anything about a curve."""
    return [i for i in group_by_name(results, group)["runs"] if results["runs"][i]["history"]]


def relative_or_absolute(check: dict, how: Judging, b_mean: Optional[float]) -> dict:
    """A claim's margin: {"value": in the metric's units, "relative": the share of b's mean it is, or None}.
    The claim's ``margin`` (absolute) or ``relative_margin``, else the study's similar_margin (a share). A
    relative margin is tested as a ratio of means (inference._bounds), never as b's observed mean times the
    share; ``value`` (the share of b's observed mean) only describes it and sizes its power."""
    relative = check.get("relative_margin", None if check.get("margin") is not None else how.similar_margin)
    value = check.get("margin") if relative is None else (relative * abs(b_mean) if b_mean is not None else None)
    return {"value": value, "relative": relative}


def true_margin(check: dict, metric: str, mean) -> float:
    """A claim's margin in a world whose true means are mean(group, key) (calibrate): its ``margin``, or
    its ``relative_margin`` of b's true mean (the study's default written into the check beforehand)."""
    r = check.get("relative_margin")
    return check["margin"] if r is None else r * abs(mean(check["b"], metric))


def pair_entry(results: dict, check: dict, metric: str, how: Judging) -> dict:
    """The start of a claim about group a against group b: their comparison on ``metric`` (the one it
    hangs on) and each group's statistics."""
    c = compare(results, check["a"], check["b"], metric, how.alpha, uncertainty=False)
    return {"metric": metric, "comparison": c, "deciding": c,
            "a_stats": group_by_name(results, check["a"])["metrics"][metric],
            "b_stats": group_by_name(results, check["b"])["metrics"][metric]}
