"""The evidence under each claim of the report: the measured numbers its verdict rests on, the test
that decided it and its uncertainty, in the words of its registered kind (kinds/*.py). Every number
points into results.json."""
from __future__ import annotations

from .claim_words import CORRECTION_WORDS, REASON_WORDS, why_undecided
from .kinds import CLAIM_KINDS
from .numbers import Sentence

__all__ = ["CORRECTION_WORDS", "REASON_WORDS", "claim_evidence"]


def claim_evidence(results: dict, ci: int) -> Sentence:
    """The measured evidence behind claim ``ci``, with every number pointing into results.json."""
    return CLAIM_KINDS[results["claims"][ci]["kind"]].evidence(results, ci) + why_undecided(results, ci)
