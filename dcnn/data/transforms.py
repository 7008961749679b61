"""What turns a split's uint8 images into training and evaluation batches: augmentation, the scale to
[0, 1], per-channel normalisation, and one epoch's shuffled batches — a few large tensor operations
per chunk of images, never a re-read of a file."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator

import torch
import torch.nn.functional as F

from .images import Split
from .presets import Augment


def augment_batch(x: torch.Tensor, aug: Augment, gen: torch.Generator) -> torch.Tensor:
    n = x.shape[0]
    r = torch.rand(n, 5, generator=gen, dtype=torch.float64)
    angle = (r[:, 0] * 2 - 1) * math.radians(aug.degrees)
    scale = aug.scale[0] + r[:, 1] * (aug.scale[1] - aug.scale[0])
    tx, ty = (r[:, 2] * 2 - 1) * aug.translate * 2, (r[:, 3] * 2 - 1) * aug.translate * 2
    flip = torch.where(r[:, 4] < 0.5, -1.0, 1.0) if aug.hflip else torch.ones(n, dtype=torch.float64)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos * flip, -sin, tx], 1),
                         torch.stack([sin * flip, cos, ty], 1)], 1).to(x.dtype).to(x.device)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


@dataclass(frozen=True)
class Preprocess:
    """uint8 → float in [0, 1] → (training only) augmentation → (optional) per-channel normalisation."""

    augment: Augment | None = None
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None

    def __call__(self, x: torch.Tensor, *, train: bool, gen: torch.Generator | None = None) -> torch.Tensor:
        x = x.float().div_(255.0)
        if train and self.augment is not None:
            x = augment_batch(x, self.augment, gen)
        if self.mean is not None:
            mean = torch.tensor(self.mean, device=x.device).view(1, -1, 1, 1)
            std = torch.tensor(self.std, device=x.device).view(1, -1, 1, 1)
            x = (x - mean) / std
        return x


CHUNK = 512  # images turned into floats at once: large ops, bounded memory


def epoch_batches(split: Split, batch_size: int, pre: Preprocess,
                  gen: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch of shuffled, preprocessed training batches (the last one may be smaller)."""
    order = torch.randperm(len(split), generator=gen).to(split.x.device)
    chunk = max(1, CHUNK // batch_size) * batch_size  # batches never straddle two chunks
    for c0 in range(0, len(split), chunk):
        idx = order[c0:c0 + chunk]
        xc = pre(split.x.index_select(0, idx), train=True, gen=gen)
        yc = split.y.index_select(0, idx)
        for b0 in range(0, len(idx), batch_size):
            yield xc[b0:b0 + batch_size], yc[b0:b0 + batch_size]
