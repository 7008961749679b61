"""What turns a split's uint8 images into training and evaluation batches: augmentation, the scale to
[0, 1], per-channel normalisation, and one epoch's shuffled batches — a few large tensor operations
per chunk of images, never a re-read of a file."""
from __future__ import annotations

import math
from contextlib import contextmanager
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


@contextmanager
def _seeded(gen: torch.Generator):
    """torch's global generator, forked and seeded from the epoch's ``gen`` (torchvision's random
    transforms draw from the global one): their draws repeat with the epoch, apart from dropout's."""
    seed = int(torch.randint(0, 2 ** 62, (1,), generator=gen))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def policy_batch(x: torch.Tensor, name: str, gen: torch.Generator) -> torch.Tensor:
    """torchvision.transforms.v2's RandAugment, TrivialAugment or AutoAugment on each uint8 image."""
    from torchvision.transforms import v2

    policy = {"randaugment": v2.RandAugment, "trivialaugment": v2.TrivialAugmentWide,
              "autoaugment": v2.AutoAugment}[name]()
    with _seeded(gen):
        return torch.stack([policy(img) for img in x])


def erase_batch(x: torch.Tensor, p: float, gen: torch.Generator) -> torch.Tensor:
    """torchvision.transforms.v2.RandomErasing, with chance ``p``, on each (normalised) image."""
    from torchvision.transforms import v2

    erase = v2.RandomErasing(p=p)
    with _seeded(gen):
        return torch.stack([erase(img) for img in x])


def resize_batch(x: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 images resized to size × size (bilinear, antialiased when shrinking)."""
    from torchvision.transforms.v2 import functional as TF

    return TF.resize(x, [size, size], antialias=True)


@dataclass(frozen=True)
class Preprocess:
    """uint8 → (a run's own image size) → (training only) a torchvision policy → float in [0, 1] →
    (training only) the preset's augmentation → (optional) per-channel normalisation → (training only)
    random erasing. With none of the optional steps it is exactly the first release's."""

    augment: Augment | None = None
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    policy: str | None = None          # randaugment | trivialaugment | autoaugment
    erasing: float = 0.0               # random erasing's chance per image
    size: int | None = None            # the run's image size, when not the data's

    def __call__(self, x: torch.Tensor, *, train: bool, gen: torch.Generator | None = None) -> torch.Tensor:
        if self.size is not None and x.shape[-1] != self.size:
            x = resize_batch(x, self.size)
        if train and self.policy is not None:
            x = policy_batch(x, self.policy, gen)
        x = x.float().div_(255.0)
        if train and self.augment is not None:
            x = augment_batch(x, self.augment, gen)
        if self.mean is not None:
            mean = torch.tensor(self.mean, device=x.device).view(1, -1, 1, 1)
            std = torch.tensor(self.std, device=x.device).view(1, -1, 1, 1)
            x = (x - mean) / std
        if train and self.erasing:
            x = erase_batch(x, self.erasing, gen)
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
