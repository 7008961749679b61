"""results.json as types: every object ``collect`` hands the report, the LaTeX and the template —
the whole study (``Results``), its claims, sweeps, provenance (its runs, groups and comparisons:
records.py) — and the JSON Schema users validate a results.json against (``schema()``, shipped as
docs/results.schema.json; docs/results-json.md says what each field means)."""
from __future__ import annotations

from typing import Any, Optional

from pydantic import ConfigDict, Field

from .factor_types import FactorAnalysis, Importance
from .records import (Aggregate, Comparison, Epoch, Group, Margin, Number, Record, Run, Share, Spread,  # noqa: F401
                      Uncertainty)

__all__ = ["Aggregate", "Claim", "Comparison", "Group", "Record", "Results", "Run", "Uncertainty", "schema"]


# ---- claims ------------------------------------------------------------------------------------------

class ClaimMargin(Record):
    value: Optional[float] = Field(None, description="in the metric's units")
    relative: Optional[float] = Field(None, description="the share of b's mean it is, when given as one")


class Equivalence(Record):
    p_similar: float = Field(description="the larger one-sided p of the two tests against the bounds")
    p_different: float
    scale: str = Field(description="difference (a margin in the metric's units) | ratio (a share of b's mean)")
    confidence: Optional[float] = Field(None, description="1 − the claim's level: of the interval below")
    ci_low: Optional[float] = None
    ci_high: Optional[float] = None


class NonInferiority(Record):
    p_not_worse: float
    p_worse: float
    worse_is: str = Field(description="higher (a loss) or lower (an accuracy)")


class Degenerate(Record):
    groups: dict[str, int]
    candidate_with: Optional[str] = None
    candidate_without: Optional[str] = None
    p_value_without: Optional[float] = None


class Claim(Record):
    """A claim of the study and its verdict. The fields a kind does not use are null (analysis/kinds/)."""

    section: str
    says: str
    check: dict[str, Any] = Field(description="the claim's check as study.yaml states it")
    kind: str
    verdict: str = Field(description="supported | contradicted | inconclusive")
    candidate: Optional[str] = None
    p_value: Optional[float] = None
    p_adjusted: Optional[float] = Field(None, description="p over the share of alpha its look spends, corrected "
                                                          "over the claims: decided when below alpha")
    alpha: float = Field(description="the study's alpha: the corrected p is compared with it")
    level: float = Field(description="the alpha its own p is compared with: its look's share of alpha over its "
                                     "Holm step; its intervals, detectable differences and seeds are at it")
    reason: Optional[str] = None
    correction: str
    family: int
    look: int
    looks: int
    alpha_per_look: float = Field(description="the alpha its look spends (before the correction over the claims)")
    seeds: dict[str, int]
    futile: bool
    final: bool
    metric: Optional[str] = None
    comparison: Optional[Comparison] = None
    comparisons: list[Comparison] = []
    deciding: Optional[Comparison] = Field(None, description="the comparison the verdict hangs on")
    deciding_index: Optional[int] = None
    deciding_corrected_p: Optional[float] = None
    a_stats: Optional[Aggregate] = None
    b_stats: Optional[Aggregate] = None
    similar_margin: Optional[ClaimMargin] = None
    worse_margin: Optional[ClaimMargin] = None
    equivalence: Optional[Equivalence] = None
    non_inferiority: Optional[NonInferiority] = None
    ranking: Optional[list[str]] = None
    rank: Optional[int] = Field(None, description="a's place in the ranking (the first of its tie)")
    rank_tied: Optional[int] = Field(None, description="how many groups share that place (diverged in every seed)")
    n_beaten: Optional[int] = None
    n_beating: Optional[int] = None
    better: Optional[float] = None
    worse: Optional[float] = None
    n: Optional[int] = None
    n_better: Optional[int] = None
    n_worse: Optional[int] = None
    n_one_diverged: Optional[int] = Field(None, description="lr_beats: pairs in which one rate diverged in every seed")
    n_neither_learned: Optional[int] = Field(None, description="lr_beats: pairs in which neither rate learned")
    group: Optional[str] = None
    count: Optional[int] = None
    share: Optional[Share] = None
    epoch: Optional[int] = None
    margin: Optional[Margin] = None
    degenerate: Optional[Degenerate] = None
    importance: Optional[Importance] = None


# ---- sweeps, learning rates, variance, selection -----------------------------------------------------

class SweepPoint(Record):
    value: Number
    group: str
    n_done: int
    n_diverged: int
    best_val_loss: Aggregate
    val_acc_at_best: Aggregate


class SweepReference(Record):
    group: str
    lr: float
    best_val_loss: Aggregate


class Sweep(Record):
    name: str
    title: str
    section: str
    vary: str
    vary_words: str
    lr: Optional[float] = None
    batch_size: Optional[int] = None
    reference: Optional[SweepReference] = None
    points: list[SweepPoint]
    baseline: Number
    comparisons_to_baseline: list[Comparison]
    worse_from: Optional[Number] = None
    all_diverged: list[Number]
    some_diverged: list[Number]


class LearningRates(Record):
    n: int
    n_lower: int
    n_higher: int
    n_undecided: int
    comparisons: list[int]
    n_high_diverged: int
    n_high_never_learned: int


class VarianceEntry(Record):
    """A group's spread split into its backbones' and the rest (null until it has two backbones of two seeds)."""

    group: str
    metric: str
    n: int
    method: Optional[str] = None
    n_backbones: Optional[int] = None
    per_backbone: Optional[int] = None
    between: Optional[float] = None
    within: Optional[float] = None
    share_backbone: Optional[float] = None


class Selection(Record):
    groups: list[int]
    n_groups: int
    n_flattered: int
    largest: Optional[int] = None
    gap: Spread


# ---- the study and its provenance --------------------------------------------------------------------

class TaskInfo(Record):
    name: str
    classes: list[str]
    train_images: int
    val_images: int
    test_images: int
    val_class_counts: list[int]
    image_size: int
    fingerprint: str


class DataInfo(Record):
    target: TaskInfo
    source: Optional[TaskInfo] = None


class Backbone(Record):
    """One backbone the study's pretrained runs start from."""

    arch: str
    model: str
    width_divisor: Optional[int] = None
    index: Optional[int] = None
    seed: Optional[int] = None
    key: Optional[str] = None
    status: Optional[str] = None
    epochs: Optional[int] = None
    optimizer: Optional[str] = None
    lr: Optional[float] = None
    batch_size: Optional[int] = None
    source_accuracy: Optional[float] = None
    history: Optional[list[Epoch]] = None
    source_val_loss: Optional[float] = None
    train_seconds: Optional[float] = None
    chance_accuracy: Optional[float] = None
    failed: Optional[bool] = None
    weights: Optional[str] = Field(None, description="torchvision's weights: their name")
    file: Optional[str] = None


class Pretraining(Record):
    kind: str = Field(description="own | torchvision | none")
    backbones: list[Backbone]
    source_task: Optional[str] = None
    per_model: Optional[int] = None


class Plan(Record):
    """The plan of looks the verdicts are judged on (study/looks.py)."""

    max_seeds: Optional[int] = None
    alpha: float
    correction: str
    similar_margin: Optional[float] = None
    claims: list[dict[str, Any]] = Field([], description="the claims' checks the plan holds to")
    declared: dict[str, int] = Field({}, description="the seeds each group behind a claim declared")
    looks: int = Field(description="the most looks any claim has")
    alpha_per_look: float = Field(description="the alpha the first look of the claims with the fewest seeds spends")
    later_alpha: Optional[float] = Field(None, description="the alpha each later look spends")
    restarts: list[dict[str, Any]] = []
    recorded: bool
    recorded_at: Optional[str] = None


class StudyInfo(Record):
    title: str
    paper: Optional[str] = None
    file: str
    profile: str
    data_dir: Optional[str] = None
    profile_settings: dict[str, Any]
    defaults: dict[str, Any]
    analysis: dict[str, Any]
    data: DataInfo
    code_version: str = Field(description="the numerics version every run's key holds (train.NUMERICS)")
    pretraining: Pretraining
    python: str
    n_runs: int
    n_done: int
    train_seconds: float
    plan: Plan
    calibration: Optional[dict[str, Any]] = Field(None, description="what dcnn calibrate found, if made for "
                                                                    "these claims")
    methods: dict[str, int]


class Provenance(Record):
    study_sha256: str
    report_machine: dict[str, Any]
    compute: dict[str, Any]
    ranges: list[dict[str, Any]]
    sizes: list[dict[str, Any]]


class Results(Record):
    """The whole study: what results.json holds and the report is rendered from."""

    model_config = ConfigDict(extra="forbid", title="dcnn results.json")

    format: int
    study: StudyInfo
    runs: list[Run]
    groups: list[Group]
    comparisons: list[Comparison] = Field(description="the exploratory comparisons beside the figures")
    claims: list[Claim]
    sweeps: list[Sweep]
    learning_rates: LearningRates
    variance: list[VarianceEntry]
    factors: list[FactorAnalysis] = Field(description="the factorial analyses: what matters most")
    selection: Optional[Selection] = None
    provenance: Provenance


def schema() -> dict:
    """results.json's JSON Schema (docs/results.schema.json)."""
    return Results.model_json_schema()


if __name__ == "__main__":   # python -m dcnn.results.types > docs/results.schema.json
    import json

    print(json.dumps(schema(), indent=1, ensure_ascii=False))
