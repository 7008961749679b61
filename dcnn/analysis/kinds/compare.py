"""lower / higher: group a's metric lower (higher) than group b's — Welch's two-sided t-test, its sign
giving the direction (the exact Mann–Whitney test where neither group has any spread)."""
from __future__ import annotations

from ..claim_words import REASON_WORDS, pair_words, test_words
from ..judging import Judging, observed, pair_entry
from ..numbers import Sentence
from ..sentences import uncertainty_words
from ..vocabulary import CONTRADICTED, SUPPORTED
from .base import ClaimKind, register


def judge(results: dict, kind: str, check: dict, how: Judging) -> dict:
    entry = pair_entry(results, check, check[kind], how)
    side, p, reason = observed(entry["comparison"])
    candidate = None if side is None else (SUPPORTED if side == kind else CONTRADICTED)
    return {**entry, "candidate": candidate, "p_value": p, "reason": reason}


def evidence(results: dict, ci: int) -> Sentence:
    C = f"/claims/{ci}"
    c = results["claims"][ci]
    cmp_ = c["comparison"]
    s = pair_words(results, ci)
    if cmp_["verdict"] in ("a_diverged", "b_diverged"):
        return s + [" (a group that diverged in every seed counts as the higher loss)."]
    if c.get("reason") in REASON_WORDS:
        return s + ["."]
    test = test_words(results, ci)
    if not test:
        return s + ["."]
    name = "exact Mann–Whitney test, no spread in either group" if cmp_.get("test") == "mann_whitney" \
        else "Welch's t-test"
    more = uncertainty_words(results, f"{C}/comparison")
    return s + [f" ({name}, ", *test, *(["; ", *more] if more else []), ")."]


register(ClaimKind("lower", "compare", lambda r, check, how: judge(r, "lower", check, how), evidence, ("a", "b"), order=10),
         ClaimKind("higher", "compare", lambda r, check, how: judge(r, "higher", check, how), evidence, ("a", "b"),
                   order=11))
