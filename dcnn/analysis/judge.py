"""``dcnn.judge``: one claim about two lists of numbers, judged exactly as a study's claims are.

    >>> from dcnn import judge
    >>> judge("similar", [1.0, 1.1, 0.9], [1.05, 1.25, 0.95], margin=0.1)["verdict"]
    'inconclusive'

The numbers become two groups of a results dict (synthetic.py) and go through claims.py and
verdicts.py, so the verdict, p-value, interval, effect size and power are the report's. A study judges
a claim as one of ``family`` claims at look ``look`` of its ``looks``: the look spends its share of
alpha (sequential.py; the values given are the look's seeds, so look j of K with n seeds means the
groups declared n − j + 1 and may grow to n − j + K), and the claim's p is corrected over the family
as the study corrects it when ``decided`` of the other claims are decided and the rest are not —
judge(..., family=15, looks=4) is claim §6.3 of the shipped study, to the digit.
"""
from __future__ import annotations

import math
from typing import Any, Sequence, Union

from ..errors import ArgumentError
from .claims import Judging
from .inference import CORRECTIONS
from .kinds import CLAIM_KINDS
from .synthetic import results_from
from .verdicts import judge_claims

DEFAULT_RELATIVE_MARGIN = Judging().similar_margin


def pair_kinds() -> tuple[str, ...]:
    """The kinds judge takes: those about group a against group b (lower, higher, similar, not_worse)."""
    return tuple(k.name for k in CLAIM_KINDS.values() if k.shape == "compare")


def _numbers(name: str, values: Sequence[Any]) -> list[float]:
    out = []
    for v in values:
        try:
            x = float(v)
        except (TypeError, ValueError):
            raise ArgumentError(f"{name}: {v!r} is not a number") from None
        if not math.isfinite(x):
            raise ArgumentError(f"{name}: {v!r} is not a finite number")
        out.append(x)
    if len(out) < 2:
        raise ArgumentError(f"{name}: needs at least two values, one per seed (got {len(out)})")
    return out


def parse_margin(margin: Union[None, float, str]) -> dict:
    """None (the default share of b's mean), a number (in the values' units) or "10%" (a share of b's mean)
    → the claim keys it stands for."""
    if margin is None:
        return {"relative_margin": DEFAULT_RELATIVE_MARGIN}
    text = str(margin).strip()
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise ArgumentError(f"margin: {margin!r} is not a number or a percentage (e.g. 0.1 or 10%)") from None
    if not math.isfinite(value) or value <= 0 or (text.endswith("%") and value >= 1):
        raise ArgumentError(f"margin: {margin!r} must be positive (and a percentage below 100 %)")
    return {"relative_margin": value} if text.endswith("%") else {"margin": value}


def judge(kind: str, a: Sequence[float], b: Sequence[float], *, margin: Union[None, float, str] = None,
          alpha: float = 0.05, looks: int = 1, look: int = 1, family: int = 1, decided: int = 0,
          correction: str = "holm") -> dict[str, Any]:
    """Judge "a is lower / higher than b", "similar to b" (within ±``margin``) or "not worse than b" from
    per-seed values, as claim of a study of ``family`` claims (``decided`` of the others decided, corrected
    by ``correction``) at look ``look`` of ``looks``.

    Returns verdict (supported | contradicted | inconclusive), p_value (of the verdict's test), p_adjusted
    (over the look's share of alpha and the family: decided when below alpha), level (the alpha the p is
    compared with), ci (the interval of mean(a) − mean(b) at that level; for similar and not_worse, of the
    difference or the ratio that their one-sided tests decide by), descriptive_ci (95 %), hedges_g,
    detectable_difference (power 0.8 at the level), seeds_needed (per group, for an undecided verdict; None
    when decided or beyond 200), and the difference, margin and alpha used. Bad input raises ArgumentError
    (a ValueError) with one line."""
    if kind not in pair_kinds():
        raise ArgumentError(f"kind: {kind!r} is not one of {', '.join(pair_kinds())}")
    a, b = _numbers("a", a), _numbers("b", b)
    _check_plan(alpha, looks, look, family, decided, correction, min(len(a), len(b)))
    margins = parse_margin(margin) if CLAIM_KINDS[kind].margins else {}
    if "relative_margin" in margins and sum(b) == 0:
        raise ArgumentError("margin: a share of b's mean is no margin where that mean is 0; give one in the values' "
                            "units (--margin 0.1)")
    # The tests are the same on values scaled by a power of two (exact: only the exponent moves), and on
    # values near 1 no square overflows and no simulation meets an infinity.
    e = _exponent(a + b)
    a, b = [math.ldexp(v, -e) for v in a], [math.ldexp(v, -e) for v in b]
    if "margin" in margins:
        margins = {"margin": math.ldexp(margins["margin"], -e)}
    check = {kind: "best_val_loss", "a": "a@1", "b": "b@1", **margins}
    declared = {"a@1": len(a) - look + 1, "b@1": len(b) - look + 1}
    results = results_from({"a@1": [{"best_val_loss": v} for v in a], "b@1": [{"best_val_loss": v} for v in b]},
                           declared)
    cap = min(declared.values()) + looks - 1 if looks > 1 else None
    entry = judge_claims(results, [{"check": check}], Judging(alpha=alpha), correction=correction, max_seeds=cap,
                         others=(decided, family - 1 - decided))[0]
    return _judgement(kind, entry, alpha, looks, look, family, e)


def _check_plan(alpha: float, looks: int, look: int, family: int, decided: int, correction: str, n: int) -> None:
    if not 0 < alpha <= 0.5:
        raise ArgumentError(f"alpha: {alpha} must be in (0, 0.5]")
    if looks < 1 or not 1 <= look <= looks:
        raise ArgumentError(f"look: {look} of {looks} looks (allowed: 1 ≤ look ≤ looks)")
    if n - look + 1 < 2:
        raise ArgumentError(f"look: at look {look} the groups declared {n - look + 1} seeds "
                            f"(the values are the look's seeds: {n}); a look after the first needs more values")
    if family < 1 or not 0 <= decided < family:
        raise ArgumentError(f"family: {family} claims of which {decided} decided (allowed: 0 ≤ decided < family)")
    if correction not in CORRECTIONS:
        raise ArgumentError(f"correction: {correction!r} is not one of {', '.join(CORRECTIONS)}")


def _judgement(kind: str, entry: dict, alpha: float, looks: int, look: int, family: int, e: int) -> dict[str, Any]:
    c = entry["comparison"]
    eq = entry.get("equivalence") or {}
    scale = eq.get("scale", "difference")
    unit = lambda v: None if v is None else _unscaled(v, e)  # noqa: E731
    ci = [eq.get("ci_low"), eq.get("ci_high")] if eq else [c.get("decision_low"), c.get("decision_high")]
    ci = ci if scale == "ratio" else [unit(v) for v in ci]          # (a ratio has no units to restore)
    return {"kind": kind, "verdict": entry["verdict"], "p_value": entry["p_value"], "p_adjusted": entry["p_adjusted"],
            "level": entry["level"], "ci": ci, "confidence": 1 - entry["level"], "scale": scale,
            "descriptive_ci": [unit(c.get("ci_low")), unit(c.get("ci_high"))], "hedges_g": c.get("hedges_g"),
            "detectable_difference": unit(c.get("mde")), "seeds_needed": c.get("needed_seeds"),
            "difference": unit(c["difference"]),
            "margin": unit((entry.get("similar_margin") or entry.get("worse_margin") or {}).get("value")), "alpha": alpha,
            "looks": looks, "look": look, "family": family, "correction": entry["correction"],
            "alpha_per_look": entry["alpha_per_look"], "reason": entry["reason"], "test": c.get("test")}


def _exponent(values: list[float]) -> int:
    """0 for values of ordinary size (every result to the last digit as before), else the binary exponent
    of the largest: dividing by 2**e brings it into [0.5, 1)."""
    top = max(abs(v) for v in values)
    return 0 if top == 0 or 1e-100 < top < 1e100 else math.frexp(top)[1]


def _unscaled(value: float, e: int) -> float:
    try:
        return math.ldexp(value, e)
    except OverflowError:      # an interval wider than the largest float: infinite, as a float can say
        return math.copysign(math.inf, value)


def format_judgement(j: dict) -> str:
    """The judgement in a few lines, for the terminal."""
    f = lambda v: "–" if v is None else f"{v:.4g}"  # noqa: E731
    where = [f"look {j['look']} of {j['looks']} (alpha {f(j['alpha_per_look'])} spent there)"] if j["looks"] > 1 else []
    where += [f"{j['correction']} over {j['family']} claims"] if j["family"] > 1 and j["correction"] != "none" else []
    what = "ratio a / b" if j["scale"] == "ratio" else "difference"
    lines = [f"{j['kind']}: {j['verdict']}" + (f" ({j['reason'].replace('_', ' ')})" if j["reason"] else ""),
             f"difference mean(a) − mean(b) = {f(j['difference'])}"
             + (f", margin ±{f(j['margin'])}" if j["margin"] is not None else ""),
             f"p = {f(j['p_value'])}, corrected {f(j['p_adjusted'])} against alpha {f(j['alpha'])}"
             + (f" ({'; '.join(where)})" if where else "") + f": the claim's level {f(j['level'])}",
             f"interval of the {what} at that level {f(j['ci'][0])} to {f(j['ci'][1])}; descriptive 95 % CI "
             f"{f(j['descriptive_ci'][0])} to {f(j['descriptive_ci'][1])}, Hedges' g {f(j['hedges_g'])}",
             f"detectable with power 0.8 at that level: {f(j['detectable_difference'])}"]
    if j["verdict"] == "inconclusive":
        n = j["seeds_needed"]
        lines.append(f"seeds per group to decide it: {n}" if n else "seeds per group to decide it: more than 200")
    return "\n".join(lines)
