"""The evidence under each claim of the report: the measured numbers its verdict rests on, the test
that decided it and its uncertainty, in the words of its registered kind (kinds/*.py). Every number
points into results.json."""
from __future__ import annotations

from .claim_words import CORRECTION_WORDS, REASON_WORDS, why_undecided
from .kinds import CLAIM_KINDS
from .numbers import Sentence
from .stats import group_by_name

__all__ = ["CORRECTION_WORDS", "REASON_WORDS", "claim_evidence"]


def claim_evidence(results: dict, ci: int) -> Sentence:
    """The measured evidence behind claim ``ci``, with every number pointing into results.json."""
    return CLAIM_KINDS[results["claims"][ci]["kind"]].evidence(results, ci) + why_undecided(results, ci) + \
        seeds_words(results, ci)


def seeds_words(results: dict, ci: int) -> Sentence:
    """A claim judged on fewer seeds than its groups have (they grew for other claims) says which."""
    c = results["claims"][ci]
    fewer = [(g, k) for g, k in c["seeds"].items() if k < group_by_name(results, g)["n_seeds"]]
    if not fewer:
        return []
    which = ", ".join(f"{k} of the {group_by_name(results, g)['n_seeds']} of {g}" for g, k in fewer[:3])
    return [f" It is judged on the first seeds its look planned ({which}{', ...' if len(fewer) > 3 else ''}): "
            "the others were added for other claims."]
