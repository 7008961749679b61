"""The settings of a run, declared once: each with its default, its bounds and the words the report
uses for it (``Training``), and the frozen ``RunConfig`` built from them — what ``fit()`` receives and
what a run's cache key hashes. A study's ``defaults`` and each variant may set any of them
(``Overrides``: the same fields, each optional). No torch here.

Adding a setting is one line in ``Training`` and its use where it acts (train.py for the optimizer's);
the study file, the resolved runs, the cache key, ``dcnn list --why`` and the report's words follow.
"""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model
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


class Training(BaseModel):
    """What a variant may set; a study's ``defaults`` and a variant's ``extends`` fill what it does not."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    model: Optional[str] = Field(None, description="model")   # a registered model (registry/models.py)
    pretrained: bool = Field(False, description="pretrained weights")
    normalise: Literal["none", "train", "backbone"] = Field("none", description="normalisation")
    augment: bool = Field(False, description="augmentation")
    dropout: Float = Field(0.0, ge=0.0, le=0.99, description="dropout")
    freeze: list[str] = Field([], description="frozen modules")
    batch_size: int = Field(1, ge=1, description="batch size")
    epochs: int = Field(20, ge=1, description="epochs")
    optimizer: Literal["sgd", "adam"] = Field("sgd", description="optimizer")
    momentum: Float = Field(0.0, ge=0.0, le=0.999, description="momentum")   # SGD only: the paper names only a rate
    weight_decay: Float = Field(0.0, ge=0.0, lt=1.0, description="weight decay")   # L2 penalty, SGD and Adam alike
    seeds: int = Field(1, ge=1, description="seeds")          # runs per variant and learning rate (not in RunConfig)


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
    freeze: tuple[str, ...] = ()
    lr: float
    seed: int
    num_classes: int = 0                      # from the data
    mean: Optional[tuple[float, ...]] = None  # per-channel normalisation (from the data); None = raw
    std: Optional[tuple[float, ...]] = None
    width_divisor: int = 1                    # the profile's: a model's channel widths divided by this
    augment_preset: Optional[str] = None      # the profile's augmentation, when ``augment`` is on
    bf16: bool = False                        # CUDA autocast; changes results, so off unless declared
    channels_last: bool = False

    def key_fields(self) -> dict[str, Any]:
        """What the cache key hashes (``seeds`` counts runs; it does not shape one)."""
        return self.model_dump(exclude={"seeds"})
