"""The parts of results.json that every other is made of: a run, a seed aggregate, a comparison, a
group (the whole study, its claims and sweeps: types.py).

Every object of one kind has every field, wherever it appears: a field that does not apply is null
(a comparison whose seeds cannot tell has ``ci_low: null``; a claim of one kind has null for another
kind's fields). For the report's code the objects also answer ``obj["field"]`` and ``"field" in obj``
(true when the field is set), as the dicts they are read from do, so that the JSON pointers every
printed number carries (``/groups/3/metrics/best_val_loss/mean``) resolve on them too.
"""
from __future__ import annotations

from typing import Any, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, StrictInt

# (StrictInt, not int: typing caches Union[int, float] as any equal Union made before, Union[float, int]
# perhaps, which would reorder the schema's anyOf with the modules imported first)
Number = Union[StrictInt, float]


class Record(BaseModel):
    """A results.json object: strict about its fields, read like the dict it was made from."""

    model_config = ConfigDict(extra="forbid")

    def __getitem__(self, key: str) -> Any:
        if key not in type(self).model_fields:
            raise KeyError(key)
        return getattr(self, key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in type(self).model_fields and getattr(self, key) is not None

    def keys(self) -> list[str]:
        return list(type(self).model_fields)

    def get(self, key: str, default: Any = None) -> Any:
        value = getattr(self, key, None) if key in type(self).model_fields else None
        return default if value is None else value


# ---- one run ----------------------------------------------------------------------------------------

class Epoch(Record):
    """One finished epoch (docs/metrics.md)."""

    epoch: int
    train_loss: float
    val_loss: float
    val_acc: float
    seconds: float = Field(description="wall-clock seconds of the epoch (volatile: never part of a comparison)")
    val_top_share: Optional[float] = None
    val_logit_range: Optional[float] = None
    test_loss: Optional[float] = None
    test_acc: Optional[float] = None
    lr: Optional[float] = Field(None, description="the rate of the head's last step of the epoch")
    trainable_params: Optional[int] = Field(None, description="gradual unfreezing: the parameters training")
    train_clean_loss: Optional[float] = Field(None, description="where the objective is not plain cross-entropy "
                                              "on the clean images: their plain loss, in evaluation mode, after the epoch")


class RunMetrics(Record):
    """A run's metrics, from its history alone (docs/metrics.md defines each)."""

    best_val_loss: Optional[float] = None
    best_epoch: Optional[int] = None
    final_train_loss: Optional[float] = None
    final_val_loss: Optional[float] = None
    overfit_gap: Optional[float] = None
    gap_at_best: Optional[float] = None
    plateau_epoch: Optional[int] = None
    chance_loss: Optional[float] = None
    learned: bool = False
    val_acc_at_best: Optional[float] = None
    final_rise: Optional[float] = None
    upturn_epoch: Optional[int] = None
    overfits: bool = False
    collapse_epoch: Optional[int] = None
    collapsed: bool = False
    final_logit_range: Optional[float] = None
    final_top_share: Optional[float] = None
    last_epoch: Optional[int] = None
    last_gain: Optional[float] = None
    test_loss_at_best: Optional[float] = None
    test_acc_at_best: Optional[float] = None
    selection_gap: Optional[float] = None
    gap_train_loss: str = Field("train_loss", description="the training loss the gaps subtract: train_loss, "
                                "or train_clean_loss where the objective is not plain cross-entropy")


class Divergence(Record):
    """Where a diverged run's loss stopped being finite."""

    epoch: int
    step: Optional[int] = None
    global_step: Optional[int] = None
    steps_before: int
    step_losses: list[Optional[float]] = Field(description="that epoch's batch losses, null for the non-finite one")
    non_finite: Optional[str] = Field(None, description="nan, inf or -inf")


class Env(Record):
    """The machine and software that trained a run."""

    device: str
    device_name: Optional[str] = None
    torch: str
    torchvision: str
    python: str
    threads: Optional[int] = None
    cpu: Optional[str] = None
    cores: Optional[int] = None


class Confused(Record):
    """One of a split's largest confusions: images of class ``true`` predicted as ``predicted``."""

    true: int
    predicted: int
    count: int
    share: float = Field(description="of the true class's images")


class SplitConfusion(Record):
    """A split's confusion at the run's best epoch (classes by index, as the study's data lists them)."""

    per_class_accuracy: list[Optional[float]]
    per_class_images: list[int]
    top: list[Confused] = Field(description="the largest off-diagonal cells, largest first")
    matrix: Optional[list[list[int]]] = Field(None, description="matrix[true][predicted] image counts; null "
                                              "past 20 classes (only the per-class accuracy and top are kept)")


class Confusion(Record):
    epoch: int = Field(description="the best epoch (the first reaching the lowest validation loss)")
    val: Optional[SplitConfusion] = None
    test: Optional[SplitConfusion] = None


class Run(Record):
    """One run: variant × learning rate × seed."""

    variant: str
    section: str
    figure: Optional[Union[StrictInt, str]] = None
    lr: float
    batch_size: int
    seed: int
    group: str = Field(description="variant@lr: the runs that differ only by seed")
    key: str = Field(description="the run's cache key (build/runs/<first 24 digits>/)")
    sweep: Optional[str] = None
    sweep_value: Optional[Number] = None
    status: str = Field(description="complete | diverged | failed | missing")
    trainable_params: Optional[int] = None
    total_params: Optional[int] = None
    num_classes: int
    history: list[Epoch]
    metrics: RunMetrics
    diverged_epoch: Optional[int] = None
    divergence: Optional[Divergence] = None
    error: Optional[str] = Field(None, description="a failed run's error, one line")
    frozen_batchnorms: Optional[int] = None
    train_seconds: Optional[float] = None
    device: Optional[str] = None
    env: Optional[Env] = None
    backbone: Optional[int] = Field(None, description="which of the study's backbones it fine-tunes (null: none)")
    stopped_early: Optional[int] = Field(None, description="early_stop: the epoch after which it stopped")
    confusion: Optional[Confusion] = Field(None, description="which classes it confuses, at its best epoch (null: "
                                           "trained before dcnn recorded it)")


# ---- seeds, comparisons ------------------------------------------------------------------------------

class Aggregate(Record):
    """A metric over a group's seeds; ``values`` keeps every seed (null where it has none)."""

    mean: Optional[float] = None
    std: Optional[float] = None
    min: Optional[float] = None
    max: Optional[float] = None
    n: int
    values: list[Optional[Number]]


class Uncertainty(Record):
    """The uncertainty every comparison (and a claim's margin) states: null where its seeds cannot tell."""

    ci_low: Optional[float] = Field(None, description="the descriptive interval of the difference (or mean) at "
                                                      "`confidence` (95 %)")
    ci_high: Optional[float] = None
    confidence: Optional[float] = None
    decision_low: Optional[float] = Field(None, description="the interval at the level the verdict is taken at "
                                                            "(`decision_confidence` = 1 − that level)")
    decision_high: Optional[float] = None
    decision_confidence: Optional[float] = None
    hedges_g: Optional[float] = None
    mde: Optional[float] = Field(None, description="the smallest difference these seeds detect with `power` at the "
                                                   "verdict's level")
    power: Optional[float] = None
    needed_seeds: Optional[int] = Field(None, description="seeds per group that would decide it (undecided only)")
    needed_practical: Optional[bool] = None


class Comparison(Uncertainty):
    """Group a against group b on one metric, across seeds."""

    a: str
    b: str
    metric: str
    a_values: list[Optional[Number]]
    b_values: list[Optional[Number]]
    difference: Optional[float] = Field(None, description="mean(a) − mean(b)")
    difference_se: Optional[float] = None
    p_value: Optional[float] = None
    alpha: float = Field(description="the level the verdict is taken at (for the exploratory comparisons "
                                     "Benjamini–Hochberg's, inside a claim the claim's `level`)")
    test: Optional[str] = Field(None, description="welch (Welch's statistic at Hsu's degrees of freedom) | rank "
                                                  "(the exact rank test: a seed diverged before it had a value, or "
                                                  "neither group has any spread) | null")
    side: Optional[str] = Field(None, description="lower | higher: the direction the seeds point to")
    verdict: str = Field(description="lower | higher | within_noise | single_seed | identical | a_diverged | "
                                     "b_diverged | both_diverged | both_collapsed | not_run")
    a_degenerate: int = 0
    b_degenerate: int = 0
    a_lost: int = Field(0, description="seeds of a that diverged before they had a value (the worst outcome)")
    b_lost: int = 0
    kind: Optional[str] = Field(None, description="exploratory ones: baseline | also | learning_rate | sweep")
    magnitude: Optional[float] = None
    q_value: Optional[float] = Field(None, description="Benjamini–Hochberg, over the exploratory comparisons")
    value: Optional[Number] = Field(None, description="a sweep's comparison: the value of the swept setting")


class GroupConfusion(Record):
    """A group's confusion, summed over its seeds at each one's best epoch."""

    split: str = Field(description="test, where the runs have a test split; else val")
    n_runs: int
    classes: list[str]
    per_class_images: list[int]
    per_class_accuracy: list[Optional[float]]
    top: list[Confused] = Field(description="the largest confusions, largest first: top[0] is the most confused pair")
    matrix: Optional[list[list[int]]] = Field(None, description="summed matrix[true][predicted]; null past 20 classes")


class Group(Record):
    """A variant at one learning rate: its seeds' statistics."""

    group: str
    variant: str
    lr: float
    title: str
    heading: Optional[str] = None
    section: str
    figures: list[Union[StrictInt, str]]
    runs: list[int] = Field(description="indices into runs")
    compare_to: Optional[str] = None
    also_compare_to: list[str] = []
    changes: dict[str, Any] = Field(description="the settings that differ from what it extends")
    declared_seeds: int
    sweep: Optional[str] = None
    batch_size: Optional[int] = None
    settings: Optional[dict[str, Any]] = None
    n_seeds: int
    n_done: int
    n_diverged: int
    n_learned: int
    n_overfit: int
    n_upturn: int
    n_plateaued: int
    n_collapsed: int
    n_degenerate: int
    metrics: dict[str, Aggregate]
    comparison: Optional[int] = Field(None, description="index into comparisons: against what it builds on")
    also_comparisons: list[int] = []
    lr_comparisons: list[int] = []
    confusion: Optional[GroupConfusion] = None



class Spread(Aggregate, Uncertainty):
    """A mean over seeds with its interval against zero (a selection gap, a claim's margin)."""


class Margin(Spread):
    """A flag claim's per-seed margin (positive where the flag holds) and its test."""

    measures: str
    p_value: Optional[float] = None


class Share(Record):
    """The share of a group's seeds that show a flag, with its exact (Clopper–Pearson) interval."""

    value: float
    ci_low: float
    ci_high: float
    confidence: float
