"""FitConfig: everything that determines one training run's numbers, as the cache key sees it."""
from __future__ import annotations

from dataclasses import dataclass

from .presets import Augment


@dataclass(frozen=True)
class FitConfig:
    """Everything that determines a run's numbers (and nothing that does not)."""

    arch: str                           # "scratch_cnn" | "vgg16"
    num_classes: int
    lr: float
    seed: int
    epochs: int = 20
    batch_size: int = 1
    optimizer: str = "sgd"              # "sgd" | "adam" (the demo's own pretraining uses Adam)
    momentum: float = 0.0               # SGD only; plain SGD unless the study says otherwise
    width_divisor: int = 1              # VGG16 channel widths divided by this (demo: 8)
    dropout: float = 0.0                # scratch CNN only; VGG16 keeps its own 0.5
    freeze: tuple[str, ...] = ()        # freeze specs, e.g. ("features[0:15]",)
    augment: Augment | None = None
    mean: tuple[float, ...] | None = None  # per-channel normalisation; None = raw
    std: tuple[float, ...] | None = None
    bf16: bool = False                  # CUDA autocast; changes results, so off unless declared
    channels_last: bool = False
