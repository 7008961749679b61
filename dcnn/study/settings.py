"""The settings of a run, declared once: each with its default, its bounds and the words the report
uses for it (``Training``), and the frozen ``RunConfig`` built from them — what ``fit()`` receives and
what a run's cache key hashes. A study's ``defaults`` and each variant may set any of them
(``Overrides``: the same fields, each optional). No torch here.

Adding a setting is one line in ``Training``, with its ``neutral`` value — the value at which it does
nothing — and its use where it acts; the study file, the resolved runs, the cache key, ``dcnn list
--why`` and the report's words follow. A setting at its neutral value is left out of the cache key,
so adding one keeps every existing key (and every cached run).
"""
from __future__ import annotations

import functools
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WrapValidator, create_model
from pydantic_core import PydanticCustomError
from typing_extensions import Annotated


def _number(v: Any) -> Any:
    # YAML 1.1 reads "2e-3" as a string; accept it as the number it obviously is.
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return v
    return v


Float = Annotated[float, BeforeValidator(_number)]
AUGMENT_POLICIES = ("randaugment", "trivialaugment", "autoaugment")   # torchvision.transforms.v2's

# Bounds where a typo would cost hours or memory rather than give a study.
MAX_SEEDS = 1000           # seeds of one group (analysis.max_seeds too)
MAX_EPOCHS = 10_000


def within(low: Any, high: Any) -> WrapValidator:
    """A number outside [low, high] as one line naming the whole range: "0 is out of range (allowed: 1 to
    1000)" (pydantic's own message names only the bound that was crossed)."""
    def check(value: Any, handler: Any) -> Any:
        try:
            return handler(value)
        except ValidationError as exc:
            if exc.errors()[0]["type"] not in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
                raise
            raise PydanticCustomError("range", "{value} is out of range (allowed: {low} to {high})",
                                      {"value": value, "low": low, "high": high}) from None
    return WrapValidator(check)


def Whole(low: int, high: int) -> Any:   # noqa: N802  (a type, as pydantic's conint is)
    """A whole number from ``low`` to ``high``."""
    return Annotated[int, Field(ge=low, le=high), within(low, high)]


def setting(default: Any, words: str, *, neutral: Any = ..., **bounds: Any) -> Any:
    """A setting's field: its default, its words in the report, its bounds, and its neutral value (the
    value at which it does nothing: a run with it there has the cache key it had before the setting
    existed)."""
    extra = {} if neutral is ... else {"neutral": neutral}
    return Field(default, description=words, json_schema_extra=extra or None, **bounds)


class Training(BaseModel):
    """What a variant may set; a study's ``defaults`` and a variant's ``extends`` fill what it does not."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    model: Optional[str] = setting(None, "model")   # registered, torchvision's, timm/<name> or "package.module:Class"
    model_args: dict[str, Any] = setting({}, "model arguments", neutral={})   # "package.module:Class"(num_classes, **these)
    pretrained: bool = setting(False, "pretrained weights", neutral=False)
    normalise: Literal["none", "train", "backbone"] = setting("none", "normalisation", neutral="none")
    # true: the profile's preset (random affine); or one of torchvision's policies, per image
    augment: Union[bool, Literal[AUGMENT_POLICIES]] = setting(False, "augmentation", neutral=False)  # type: ignore[valid-type]
    random_erasing: Float = setting(0.0, "random erasing", neutral=0.0, ge=0.0, le=1.0)   # each image's chance
    image_size: Optional[int] = setting(None, "image size", neutral=None, ge=8, le=1024)   # None: the profile's
    dropout: Float = setting(0.0, "dropout", neutral=0.0, ge=0.0, le=0.99)
    drop_path: Optional[Float] = setting(None, "stochastic depth", neutral=None, ge=0.0, lt=1.0)   # None: the model's own
    freeze: list[str] = setting([], "frozen modules", neutral=[])
    unfreeze: dict[int, list[str]] = setting({}, "gradual unfreezing", neutral={})   # {epoch: frozen modules it frees}
    batch_size: int = setting(1, "batch size", ge=1)
    epochs: Whole(1, MAX_EPOCHS) = setting(20, "epochs")
    early_stop: Optional[int] = setting(None, "early stopping", neutral=None, ge=1)   # patience, in epochs
    optimizer: Literal["sgd", "adam", "adamw"] = setting("sgd", "optimizer")
    momentum: Float = setting(0.0, "momentum", neutral=0.0, ge=0.0, le=0.999)   # SGD only: the paper names only a rate
    nesterov: bool = setting(False, "Nesterov momentum", neutral=False)           # SGD with momentum only
    weight_decay: Float = setting(0.0, "weight decay", neutral=0.0, ge=0.0, lt=1.0)   # L2 (SGD, Adam) or decoupled (AdamW)
    schedule: Literal["constant", "step", "cosine", "onecycle"] = setting("constant", "schedule", neutral="constant")
    warmup_epochs: Float = setting(0.0, "warmup", neutral=0.0, ge=0.0)           # linear, from 0, stepped every step
    min_lr: Float = setting(0.0, "minimum learning rate", neutral=0.0, ge=0.0)     # cosine's floor, absolute
    step_epochs: list[int] = setting([], "step epochs", neutral=[])                # step: after each, × step_gamma
    step_gamma: Float = setting(0.1, "step factor", neutral=0.1, gt=0.0, le=1.0)
    lr_scale: dict[str, Float] = setting({}, "discriminative learning rates", neutral={})   # {module path: factor}
    layer_decay: Float = setting(1.0, "layer-wise rate decay", neutral=1.0, gt=0.0, le=1.0)   # lr × d^depth from the head
    label_smoothing: Float = setting(0.0, "label smoothing", neutral=0.0, ge=0.0, lt=1.0)
    mixup: Float = setting(0.0, "mixup", neutral=0.0, ge=0.0)      # Beta(α, α); 0: off
    cutmix: Float = setting(0.0, "CutMix", neutral=0.0, ge=0.0)    # with mixup too: one of the two per batch
    clip_grad: Optional[Float] = setting(None, "gradient clipping", neutral=None, gt=0.0)   # max norm
    ema: Optional[Float] = setting(None, "EMA of weights", neutral=None, gt=0.0, lt=1.0)  # decay; validation uses it
    seeds: Whole(1, MAX_SEEDS) = setting(1, "seeds")   # runs per variant and learning rate (not in RunConfig)


SETTING_FIELDS = tuple(Training.model_fields)
SETTING_WORDS = {name: f.description for name, f in Training.model_fields.items()} | {
    "lr": "learning rate", "frozen_conv_layers": "frozen conv layers"}
# Numeric settings a sweep may vary (besides lr, and frozen_conv_layers for VGG16), and those that are whole.
NUMERIC_SETTINGS = tuple(n for n, f in Training.model_fields.items() if f.annotation in (int, float) and n != "seeds")
INT_SETTINGS = tuple(n for n, f in Training.model_fields.items() if f.annotation is int)


def _optional(field) -> tuple:
    annotation = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
    return Optional[annotation], None


# The same settings, each optional, with the same bounds: a study's defaults, a variant's overrides.
Overrides = create_model("Overrides", __config__=ConfigDict(extra="forbid", strict=True, frozen=True),
                         **{name: _optional(f) for name, f in Training.model_fields.items()})


class RunConfig(Training):
    """One run, fully determined: its settings, its learning rate and seed, what its profile adds
    (model width, augmentation preset, precision) and what its data add (classes, normalisation).
    The cache key hashes exactly this."""

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True)

    model: str
    model_source: Optional[str] = setting(None, "model source", neutral=None)   # a user module's file: its hash
    model_root: Optional[str] = None          # where a user module imports from (not in the key: a place)
    freeze: tuple[str, ...] = setting((), "frozen modules", neutral=())
    lr: float
    seed: int
    num_classes: int = 0                      # from the data
    mean: Optional[tuple[float, ...]] = None  # per-channel normalisation (from the data); None = raw
    std: Optional[tuple[float, ...]] = None
    width_divisor: int = 1                    # the profile's: a model's channel widths divided by this
    vgg_pool: Optional[int] = setting(None, "VGG16's pooled side", neutral=None)   # the profile's; None: 7×7
    augment_preset: Optional[str] = None      # the profile's augmentation, when ``augment`` is on
    bf16: bool = False                        # CUDA autocast; changes results, so off unless declared
    channels_last: bool = False

    def __hash__(self) -> int:   # (its dict-valued settings are not hashable themselves)
        import json

        return hash(json.dumps(self.model_dump(mode="json"), sort_keys=True))

    def key_fields(self) -> dict[str, Any]:
        """What the cache key hashes: every field that shapes the run (``seeds`` counts runs; it does not
        shape one), less the settings at their neutral value — except those the first cache keys hashed
        at any value (KEYED_ALWAYS), so that keys made before neutral values existed stay valid."""
        neutral = neutral_values(type(self))
        return {k: v for k, v in self.model_dump(exclude={"seeds", "model_root"}).items()
                if k in KEYED_ALWAYS or k not in neutral or v != neutral[k]}


def _neutral(field) -> Any:
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    return extra.get("neutral", ...)


@functools.lru_cache(maxsize=None)
def neutral_values(cls: type) -> dict[str, Any]:
    """{setting: its neutral value}, for the settings of ``cls`` that declare one."""
    return {n: v for n, f in cls.model_fields.items() if (v := _neutral(f)) is not ...}


NEUTRAL = neutral_values(RunConfig)
# The fields every cache key has hashed since the first release (at any value, neutral or not).
KEYED_ALWAYS = frozenset({
    "model", "pretrained", "normalise", "augment", "dropout", "freeze", "batch_size", "epochs", "optimizer",
    "momentum", "weight_decay", "lr", "seed", "num_classes", "mean", "std", "width_divisor", "augment_preset",
    "bf16", "channels_last"})
