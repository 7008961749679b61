"""What a training step minimises: cross-entropy, with label smoothing (``CrossEntropyLoss``), on
batches that mixup or CutMix may blend (``torchvision.transforms.v2.MixUp`` / ``CutMix``; both set:
one of the two per batch, ``RandomChoice``). The criterion is built once per run and handed to the
step, as torchvision's reference scripts do. Validation and test losses stay plain cross-entropy, so
that every run's are comparable."""
from __future__ import annotations

from typing import Callable, Optional

import torch
import torch.nn.functional as F

from ..study.settings import RunConfig


def plain(cfg: RunConfig) -> bool:
    """True when the objective is plain cross-entropy on the clean images."""
    return not (cfg.label_smoothing or cfg.mixup or cfg.cutmix)


def criterion(cfg: RunConfig) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The training loss of (logits, targets: class indices or, after mixing, class probabilities)."""
    if not cfg.label_smoothing:
        return F.cross_entropy                       # exactly the loss of runs from before these settings
    return torch.nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)


def mixer(cfg: RunConfig) -> Optional[Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]]:
    """(images, labels) → (mixed images, soft labels), or None without mixup and CutMix. Its draws come
    from torch's global generator, which each epoch seeds (fit.py), so a resumed run draws the same."""
    if not (cfg.mixup or cfg.cutmix):
        return None
    from torchvision.transforms import v2

    mixes = ([v2.MixUp(alpha=cfg.mixup, num_classes=cfg.num_classes)] if cfg.mixup else []) + \
        ([v2.CutMix(alpha=cfg.cutmix, num_classes=cfg.num_classes)] if cfg.cutmix else [])
    return mixes[0] if len(mixes) == 1 else v2.RandomChoice(mixes)
