"""What is checked of the planned jobs before any of them trains: that each run's model can train on
every batch its data make. A BatchNorm layer that sees one value per channel (one image whose feature
maps are 1×1 there) cannot train, so a run whose epochs end with a batch of one image fails early, in
one line, rather than after its first epoch's work."""
from __future__ import annotations

import functools

import torch

from ..registry.models import ModelError
from .plan import Job


@functools.lru_cache(maxsize=None)
def trains_on_one_image(config, image_size: int) -> bool:
    """True when a training step on a single image works (a forward pass in training mode on the meta
    device: shapes only), its frozen BatchNorm layers in evaluation mode as in fit()."""
    from ..train.models import build_model, freeze, freeze_specs

    with torch.device("meta"):
        model = build_model(config.model, max(config.num_classes, 2), width_divisor=config.width_divisor,
                            dropout=config.dropout)
    freeze(model, freeze_specs(config.freeze, config.model))
    model.train()
    try:
        model(torch.empty(1, 3, image_size, image_size, device="meta"))
    except ValueError:          # "Expected more than 1 value per channel when training"
        return False
    return True


def check_batches(jobs: list[Job], data) -> None:
    """A ModelError naming the first run whose last batch of each epoch is one image its model cannot
    train on, and batch sizes that would not leave one."""
    for job in jobs:
        task = data.source if job.is_pretraining else data.target
        n, batch = len(task.train), job.config.batch_size
        if n == 0 or (n % batch != 1 and batch != 1):
            continue
        size = int(task.train.x.shape[-1])
        if trains_on_one_image(job.config.model_copy(update={"seed": 0}), size):
            continue
        better = sorted(sorted((b for b in range(2, n + 1) if n % b != 1), key=lambda b: abs(b - batch))[:3])
        raise ModelError(f"{job.label}: {n} training images in batches of {batch} leave a batch of one image, and "
                         f"its model's BatchNorm layers cannot train on one at {size}×{size} pixels (one value per "
                         f"channel); choose a batch_size that does not (e.g. {', '.join(map(str, better))}) or more "
                         "images")
