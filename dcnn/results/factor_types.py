"""results.json's factorial analyses (``factors``) and the evidence of a matters_more claim, as types
(analysis/factors.py and analysis/kinds/matters_more.py make them; docs/results-json.md says what
each field means)."""
from __future__ import annotations

from typing import Any, Optional

from pydantic import Field

from .records import Record


class FactorCell(Record):
    levels: dict[str, Any] = Field(description="factor → its level in this cell")
    group: str
    n: int = Field(description="the seeds that entered the fit (with a value of the metric)")


class FactorEffect(Record):
    effect: str = Field(description="a factor, or two joined by × (an interaction)")
    factors: list[str]
    share: float = Field(description="partial η²: SS_effect / (SS_effect + SS_residual), type II")
    ci_low: float
    ci_high: float
    p_value: Optional[float] = Field(None, description="the effect's F-test (statsmodels anova_lm, typ=2)")
    sum_sq: float
    df: int
    F: Optional[float] = None


class FactorDropped(Record):
    group: str
    seeds: list[int]
    why: str


class FactorEffectDropped(Record):
    effect: str
    why: str


class FactorAnalysis(Record):
    """One declared analysis: its design, what entered, each effect's share and the residual's."""

    name: str
    title: Optional[str] = None
    metric: str
    over: dict[str, list[Any]] = Field(description="factor → its levels, as the study declares them")
    cells: list[FactorCell]
    effects: list[FactorEffect]
    residual_share: Optional[float] = Field(None, description="SS_residual / (every effect's SS + SS_residual): "
                                                              "the share of seed noise")
    residual_ci_low: Optional[float] = None
    residual_ci_high: Optional[float] = None
    residual_df: Optional[int] = None
    residual_sum_sq: Optional[float] = None
    n: int = Field(description="the seeds that entered the fit")
    n_degenerate: int = Field(description="of them, seeds that diverged after some epochs or collapsed")
    dropped: list[FactorDropped] = Field(description="seeds left out: no value of the metric")
    dropped_effects: list[FactorEffectDropped] = Field(description="interactions the cells cannot estimate")
    refused: Optional[str] = Field(None, description="why nothing was fitted, in one line")
    resamples: int
    confidence: float
    largest_interaction: Optional[str] = None


class Importance(Record):
    """A matters_more claim's evidence: the two effects' shares and their paired difference."""

    analysis: str
    factor: str
    than: str
    resamples: int
    factor_share: Optional[float] = None
    than_share: Optional[float] = None
    difference: Optional[float] = None
    ci_low: Optional[float] = None          # descriptive: at 1 − alpha
    ci_high: Optional[float] = None
    confidence: Optional[float] = None
    level: Optional[float] = None           # the claim's level (its Holm step and look's share of alpha)
    decision_low: Optional[float] = None    # the interval at 1 − level, which the verdict agrees with
    decision_high: Optional[float] = None
    decision_confidence: Optional[float] = None
    p_above: Optional[float] = None
    p_below: Optional[float] = None
    refused: Optional[str] = None
