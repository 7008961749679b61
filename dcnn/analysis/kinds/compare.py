"""lower / higher: group a's metric lower (higher) than group b's — Welch's statistic at Hsu's degrees of
freedom, two-sided, its sign giving the direction; the exact rank test where a seed diverged before it had
a value (the worst outcome) or neither group has any spread (stats.compare)."""
from __future__ import annotations

from ..claim_words import REASON_WORDS, pair_words, test_words
from ..judging import Judging, observed, pair_entry, present
from ..numbers import Sentence
from ..sentences import rank_words, uncertainty_words
from ..stats import settle as settle_comparison
from ..uncertainty import power_with
from ..vocabulary import CONTRADICTED, SUPPORTED
from .base import ClaimKind, register


def judge(results: dict, kind: str, check: dict, how: Judging) -> dict:
    entry = pair_entry(results, check, check[kind], how)
    side, p, reason = observed(entry["comparison"])
    candidate = None if side is None else (SUPPORTED if side == kind else CONTRADICTED)
    return {**entry, "candidate": candidate, "p_value": p, "reason": reason}


def settle(results: dict, entry: dict, level: float, uncertainty: bool) -> None:
    """The comparison says lower / higher only when the claim's p is below its level: one rule."""
    settle_comparison(entry["comparison"], level, uncertainty)


def reach(results: dict, entry: dict, level: float, seeds: int):
    c = entry["comparison"]
    return power_with(present(c["a_values"]), present(c["b_values"]), level, seeds) if c["test"] == "welch" else None


def evidence(results: dict, ci: int) -> Sentence:
    C = f"/claims/{ci}"
    c = results["claims"][ci]
    cmp_ = c["comparison"]
    s = pair_words(results, ci)
    if c.get("reason") in REASON_WORDS:
        return s + ["."]
    test = test_words(results, ci)
    if not test:
        return s + ["."]
    if cmp_.get("test") == "rank":
        return s + [" (", *rank_words(results, f"{C}/comparison"), ", ", *test, ")."]
    against = c["kind"] in ("lower", "higher") and cmp_.get("difference") is not None and \
        (cmp_["difference"] < 0) != (c["kind"] == "lower")
    more = uncertainty_words(results, f"{C}/comparison", against=against)
    return s + [" (Welch's t-test at Hsu's degrees of freedom, ", *test, *(["; ", *more] if more else []), ")."]


def truth(kind: str, check: dict, mean) -> float:
    d = mean(check["a"], check[kind]) - mean(check["b"], check[kind])
    return -d if kind == "lower" else d


def _kind(name: str, order: int) -> ClaimKind:
    return ClaimKind(name, "compare", lambda r, check, how: judge(r, name, check, how), evidence, ("a", "b"),
                     order=order, settle=settle, reach=reach, truth=lambda check, mean, groups: truth(name, check, mean))


register(_kind("lower", 10), _kind("higher", 11))
