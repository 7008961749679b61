"""``dcnn.judge``: one claim about two lists of numbers, judged exactly as a study's claims are.

    >>> from dcnn import judge
    >>> judge("similar", [1.0, 1.1, 0.9], [1.05, 1.25, 0.95], margin=0.1)["verdict"]
    'inconclusive'

The numbers become two groups of a results dict (synthetic.py) and go through claims.py and
verdicts.py, so the verdict, p-value, interval, effect size and power are the report's.
"""
from __future__ import annotations

import math
from typing import Any, Sequence, Union

from ..errors import ArgumentError
from .claims import Judging
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
          alpha: float = 0.05, looks: int = 1, look: int = 1) -> dict[str, Any]:
    """Judge "a is lower / higher than b" or "a is similar to b" (within ±``margin``) from per-seed values.

    Returns verdict (supported | contradicted | inconclusive), p_value (of the verdict's test, at
    ``alpha / looks``), ci (the 95 % interval of mean(a) − mean(b); for similar, the (1 − 2·alpha/looks)
    one that the two one-sided tests use), hedges_g, detectable_difference (power 0.8; for similar, the
    smallest margin these values could show similarity within), seeds_needed (per group, for an
    undecided verdict; None when decided or beyond 200), and the difference, margin and alpha used.
    Bad input raises ArgumentError (a ValueError) with one line."""
    if kind not in pair_kinds():
        raise ArgumentError(f"kind: {kind!r} is not one of {', '.join(pair_kinds())}")
    a, b = _numbers("a", a), _numbers("b", b)
    if not 0 < alpha <= 0.5:
        raise ArgumentError(f"alpha: {alpha} must be in (0, 0.5]")
    if looks < 1 or not 1 <= look <= looks:
        raise ArgumentError(f"look: {look} of {looks} looks (allowed: 1 ≤ look ≤ looks)")
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
    results = results_from({"a@1": [{"best_val_loss": v} for v in a], "b@1": [{"best_val_loss": v} for v in b]})
    entry = judge_claims(results, [{"check": check}], Judging(alpha=alpha), correction="none", looks=looks)[0]
    c = entry["comparison"]
    eq = entry.get("equivalence", {})
    ci = (eq.get("ci_low"), eq.get("ci_high")) if eq else (c.get("ci_low"), c.get("ci_high"))
    unit = lambda v: None if v is None else _unscaled(v, e)  # noqa: E731
    return {"kind": kind, "verdict": entry["verdict"], "p_value": entry["p_value"], "ci": [unit(v) for v in ci],
            "confidence": eq.get("confidence") if eq else c.get("confidence"),
            "hedges_g": c.get("hedges_g"), "detectable_difference": unit(c.get("mde")),
            "seeds_needed": c.get("needed_seeds"), "difference": unit(c["difference"]),
            "margin": unit((entry.get("similar_margin") or entry.get("worse_margin") or {}).get("value")),
            "alpha": alpha, "looks": looks, "look": look, "alpha_per_look": entry["alpha_per_look"],
            "reason": entry["reason"]}


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
    lines = [f"{j['kind']}: {j['verdict']}" + (f" ({j['reason'].replace('_', ' ')})" if j["reason"] else ""),
             f"difference mean(a) − mean(b) = {f(j['difference'])}"
             + (f", margin ±{f(j['margin'])}" if j["margin"] is not None else ""),
             f"p = {f(j['p_value'])} at alpha {f(j['alpha_per_look'])}"
             + (f" (look {j['look']} of {j['looks']})" if j["looks"] > 1 else ""),
             f"{100 * (j['confidence'] or 0.95):.0f} % CI {f(j['ci'][0])} to {f(j['ci'][1])}, Hedges' g {f(j['hedges_g'])}",
             f"detectable with power 0.8: {f(j['detectable_difference'])}"]
    if j["verdict"] == "inconclusive":
        n = j["seeds_needed"]
        lines.append(f"seeds per group to decide it: {n}" if n else "seeds per group to decide it: more than 200")
    return "\n".join(lines)
