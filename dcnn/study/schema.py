"""The study file's schema: study.yaml → a validated ``StudyFile`` (pydantic), or one line.

Any problem with the file is a ``StudyError`` with one line that names the file, the key path and
the allowed values; the CLI prints it and exits with code 2. The format is documented in
docs/study-file.md. Nothing here imports torch.
"""
from __future__ import annotations

from typing import Any, Literal, Optional, Union

from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, StrictInt, create_model, \
    model_validator
from pydantic_core import PydanticCustomError
from typing_extensions import Annotated

from ..registry.data import get_data_source
from ..registry.parts import REPORT_PARTS
from .settings import MAX_EPOCHS, MAX_SEEDS, NUMERIC_SETTINGS, SETTING_FIELDS, Float, Overrides, Whole
from ..analysis.kinds import CLAIM_KINDS, MARGIN_KEYS, PARAM_TYPES
from .strict import Metric, Strict, StudyError  # noqa: F401  (StudyError: imported from here by the others)


LearningRate = Annotated[Float, Field(gt=0, le=100)]


class RunEntry(Strict):
    lr: LearningRate
    section: str
    figure: Optional[Union[int, list[int]]] = None  # a list: one single-seed figure per seed
    seeds: Optional[Whole(1, MAX_SEEDS)] = None


class Variant(Strict):
    title: str
    heading: Optional[str] = None
    extends: Optional[str] = None
    compare_to: Optional[str] = None          # default: what it extends
    also_compare_to: list[str] = []           # further variants to compare with, at the same lr
    runs: list[RunEntry]
    settings: Overrides = Overrides()         # its own setting keys, gathered (below)

    @model_validator(mode="before")
    @classmethod
    def _gather_settings(cls, data: Any) -> Any:
        """A variant states its settings beside its other keys (``model: vgg16``, ``dropout: 0.5``)."""
        if isinstance(data, dict) and "settings" not in data:
            data = dict(data)
            data["settings"] = {k: data.pop(k) for k in SETTING_FIELDS if k in data}
        return data


SWEEPABLE = ("lr", *NUMERIC_SETTINGS, "frozen_conv_layers")


class Sweep(Strict):
    """One setting varied over a list of values, everything else as in the variant it extends."""

    extends: str
    title: str
    vary: Literal[SWEEPABLE]              # type: ignore[valid-type]
    values: list[Float]
    lr: Optional[LearningRate] = None     # needed unless the sweep varies the learning rate
    batch_size: Optional[Annotated[int, Field(ge=1)]] = None
    seeds: Optional[Whole(1, MAX_SEEDS)] = None
    section: str
    reference: Optional[str] = None       # a variant drawn as a dashed line (at its best learning rate)
    baseline: Optional[Float] = None      # the value every other is compared with (default: the first)


class _CheckBase(Strict):
    """One claim's test, in a small vocabulary; exactly one of the kind keys is set (the kinds and the
    keys each takes are their registered entries, analysis/kinds/)."""

    @model_validator(mode="before")
    @classmethod
    def _one_mapping(cls, data: Any) -> Any:
        """A kind with a ``key_name`` may be written as one mapping: {matters_more: {analysis: a,
        factor: f, than: g}} is {matters_more: a, factor: f, than: g}."""
        if not isinstance(data, dict):
            return data
        for kind in CLAIM_KINDS.values():
            inner = data.get(kind.name)
            if kind.key_name and isinstance(inner, dict):
                allowed = [kind.key_name, *kind.params]
                unknown = [k for k in inner if k not in allowed]
                if unknown or kind.key_name not in inner:
                    raise PydanticCustomError("claim_params", "'{kind}' as a mapping takes {allowed} (got {got})",
                                              {"kind": kind.name, "allowed": ", ".join(allowed),
                                               "got": ", ".join(map(str, inner)) or "none"})
                data = {**{k: v for k, v in data.items() if k != kind.name}, **inner, kind.name: inner[kind.key_name]}
                del data[kind.key_name]
        return data

    @model_validator(mode="after")
    def _one_kind(self) -> "_CheckBase":
        kinds = [k for k in CLAIM_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise PydanticCustomError("claim_kind", "a check needs exactly one of: {kinds} (got {got})",
                                      {"kinds": ", ".join(CLAIM_KINDS), "got": ", ".join(kinds) or "none"})
        kind = CLAIM_KINDS[kinds[0]]
        given = {f for f in PARAM_TYPES if getattr(self, f) is not None}
        margins = [k for k in MARGIN_KEYS if getattr(self, k) is not None]
        if margins and not kind.margins:
            takers = ", ".join(f"'{k.name}'" for k in CLAIM_KINDS.values() if k.margins)
            raise PydanticCustomError("claim_params", "'{key}' is for {takers} claims only (got it with '{kind}')",
                                      {"key": margins[0], "kind": kind.name, "takers": takers})
        if len(margins) > 1:
            raise PydanticCustomError("claim_params", "give one of margin (in the metric's units) and "
                                      "relative_margin (a share of b's mean), not both", {})
        if given != set(kind.params):
            raise PydanticCustomError(
                "claim_params", "'{kind}' takes {needed} (got {given})",
                {"kind": kind.name, "needed": ", ".join(kind.params) or "no other key",
                 "given": ", ".join(sorted(given)) or "none"})
        return self

    @property
    def kind(self) -> str:
        return next(k for k in CLAIM_KINDS if getattr(self, k) is not None)

    @property
    def groups(self) -> list[str]:
        """Every ``variant@lr`` the check names."""
        return CLAIM_KINDS[self.kind].names(self.model_dump(exclude_none=True))


def _param_type(t: Any) -> Any:
    return Optional[Float] if t is float else Optional[t]


# A field per registered kind (a metric, or a group for the kinds about every seed of one), then the
# keys the kinds take, then the margins.
Check = create_model(
    "Check", __base__=_CheckBase,
    **{k.name: (Optional[Metric] if k.names_metric else Optional[str], None) for k in CLAIM_KINDS.values()},
    **{name: (_param_type(t), None) for name, t in PARAM_TYPES.items()},
    margin=(Optional[Annotated[Float, Field(gt=0)]], None),                  # in the metric's units
    relative_margin=(Optional[Annotated[Float, Field(gt=0, lt=1)]], None))   # a share of b's mean


class Claim(Strict):
    section: str
    says: str
    check: Check


class Pretrain(Strict):
    epochs: Whole(1, MAX_EPOCHS)
    batch_size: Annotated[int, Field(ge=1)]
    optimizer: Literal["sgd", "adam"] = "adam"
    lr: Float
    momentum: Float = 0.0
    seed: int = 0
    # How many backbones, pretrained with seeds seed, seed + 1, ...: the run with seed s fine-tunes
    # backbone s mod seeds, so a group's seeds vary the backbone too.
    seeds: Annotated[int, Field(ge=1, le=100)] = 1

    @model_validator(mode="after")
    def _momentum_for_sgd(self) -> "Pretrain":
        if self.momentum and self.optimizer != "sgd":
            raise PydanticCustomError("profile", "momentum {m} is for optimizer sgd; {o} keeps its own moment "
                                      "estimates (remove momentum, or use optimizer: sgd)",
                                      {"m": f"{self.momentum:g}", "o": self.optimizer})
        return self


MAX_IMAGE_SIZE = 1024   # pixels a side: at 10^5 the digits alone would need 640 GB


def _classes(digits: list[int]) -> list[int]:
    """A task's digits: each once, and two or more (one class is no classification); [] is no task."""
    twice = sorted({d for d in digits if digits.count(d) > 1})
    if twice:
        raise PydanticCustomError("classes", "digit {d} appears more than once (each class once)", {"d": twice[0]})
    if len(digits) == 1:
        raise PydanticCustomError("classes", "one class ({d}) is no classification task (allowed: two or more "
                                  "digits)", {"d": digits[0]})
    return digits


Digits = Annotated[list[Annotated[int, Field(ge=0, le=9)]], AfterValidator(_classes)]


class Profile(Strict):
    data: str                             # a registered data source (registry/data.py): digits, imagefolder
    image_size: Whole(1, MAX_IMAGE_SIZE)  # (what a model can take at the least: checked with the model)
    train_per_class: Optional[Annotated[int, Field(ge=1)]] = None
    val_per_class: Optional[Annotated[int, Field(ge=1)]] = None
    source_train_per_class: Optional[Annotated[int, Field(ge=1)]] = None  # pretraining images per digit (default: all not held out)
    target_digits: Digits = [5, 6, 7, 8, 9]    # digits: the classes of the study's task ...
    source_digits: Digits = [0, 1, 2, 3, 4]    # ... and of the pretraining task ([]: none)
    split_seed: int = 0
    test_per_class: Annotated[int, Field(ge=0)] = 50   # digits: held-out test images per class, of those left over
    test_fraction: Optional[Annotated[Float, Field(gt=0, lt=1)]] = None   # imagefolder without test/: a share of train/
    vgg_width_divisor: int = 1
    # VGG16's average pool, side of its output: 7 is torchvision's; at 32×32 the features end at 1×1, and
    # 1 keeps the classifier 49 times narrower (512/w inputs, not 49 × 512/w).
    vgg_pool: Annotated[int, Field(ge=1, le=7)] = 7
    augment: Literal["digits", "natural"] = "digits"
    pretrain: Optional[Pretrain] = None   # pretrained runs start from this study's own pretraining ...
    source: Optional[str] = None          # ... on this ImageFolder (imagefolder; digits: source_digits)
    weights: Optional[str] = None         # no pretrain block: torchvision's weights (default: DEFAULT)
    # Speed options; the ones that change results are part of every run's cache key.
    bf16: bool = False                 # CUDA autocast to bfloat16 (changes results)
    channels_last: bool = False        # (changes results by float rounding)
    cuda_graphs: bool = True           # capture the whole training step where shapes are static
    cudnn_benchmark: bool = False      # cuDNN autotuning: pays off only for long runs of one shape
    workers_per_gpu: int = 1           # runner processes per GPU (more time-slice the GPU)
    ray_cpus_per_run: Float = 1.0      # --executor ray: each run's share of a node
    ray_gpus_per_run: Float = 0.0
    slurm_partition: Optional[str] = None   # --executor slurm: where the jobs go (default: the cluster's)
    slurm_time_min: Annotated[int, Field(ge=1)] = 60       # each job's time limit; past it, requeued and resumed
    slurm_cpus_per_run: Annotated[int, Field(ge=1)] = 1
    slurm_gpus_per_run: Annotated[int, Field(ge=0)] = 0
    slurm_array_parallelism: Annotated[int, Field(ge=1)] = 32   # jobs of the array running at once
    slurm_extra: dict[str, str] = {}   # more sbatch options, e.g. {account: mylab, qos: short}

    @model_validator(mode="after")
    def _complete(self) -> "Profile":
        try:
            lack = get_data_source(self.data).check(self)
        except ValueError as exc:
            raise PydanticCustomError("profile", "{msg}", {"msg": str(exc)}) from None
        if lack:
            raise PydanticCustomError("profile", "{msg}", {"msg": lack})
        if self.pretrain is not None and self.weights is not None:
            raise PydanticCustomError("profile", "weights (torchvision's) and pretrain (this study's own) "
                                      "exclude each other", {})
        return self

    @property
    def backbone_source(self) -> str:
        """Where pretrained runs' weights come from: "own" (this study's pretraining) or "library" (the
        weights the model's library ships: torchvision's, timm's)."""
        return "own" if self.pretrain is not None else "library"


class Analysis(Strict):
    plateau_tol: Annotated[Float, Field(ge=0, lt=1)] = 0.01
    alpha: Annotated[Float, Field(gt=0, le=0.5)] = 0.05       # the chance of any false verdict among the claims
    similar_margin: Annotated[Float, Field(gt=0, lt=1)] = 0.1  # "similar": within this share of b's mean
    correction: Literal["holm", "bonferroni", "none"] = "holm"  # for the number of claims
    variance: list[str] = []              # groups (variant@lr) whose spread is split into backbone and the rest
    # dcnn run --decide may add seeds up to this many (a planned sequential test); at least the most
    # seeds any group declares.
    max_seeds: Optional[Whole(2, MAX_SEEDS)] = None


Level = Union[StrictBool, StrictInt, Float, str, list[str]]     # a factor's level: a setting's value, or a label


class FactorAnalysis(Strict):
    """A factorial analysis over the study's groups: which of its settings matters most (``factors:``)."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
    title: Optional[str] = None          # its subsection's heading (default: the factors, "model × lr")
    metric: Metric = "best_val_loss"
    over: dict[str, list[Level]]         # factor → its levels: a setting (or lr) and its values, unless cells say
    cells: Optional[dict[str, str]] = None   # "level/level/...": variant@lr (default: from the groups' settings)


class Section(Strict):
    """A numbered part of the report: its heading, the study's own words, what dcnn adds to it."""

    heading: str
    text: Optional[str] = None            # paragraphs (separated by blank lines) before what dcnn adds
    shows: list[Literal[tuple(REPORT_PARTS)]] = []  # type: ignore[valid-type]  (registry/parts.py)


def _heading_only(v: Any) -> Any:
    return {"heading": v} if isinstance(v, str) else v


SectionEntry = Annotated[Section, BeforeValidator(_heading_only)]


class StudyFile(Strict):
    title: str
    paper: Optional[str] = None           # the paper the study reproduces, as it is cited
    defaults: Overrides = Overrides()
    analysis: Analysis = Analysis()
    profiles: dict[str, Profile]
    sections: dict[str, SectionEntry] = {}   # number -> heading, or {heading, text, shows}
    variants: dict[str, Variant]
    sweeps: dict[str, Sweep] = {}
    claims: list[Claim] = []
    factors: list[FactorAnalysis] = []

    def section(self, number: str) -> Optional[Section]:
        """The study's declaration of a report section."""
        return self.sections.get(number)
