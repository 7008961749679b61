"""evaluate(): a split's mean plain cross-entropy and accuracy, and how much the outputs vary with the
input (the collapse statistics, docs/metrics.md), in large batches without gradients."""
from __future__ import annotations

import math
from contextlib import nullcontext

import torch
import torch.nn.functional as F

from ..data.images import Split
from ..data.transforms import Preprocess


@torch.no_grad()
def evaluate(model: torch.nn.Module, split: Split, pre: Preprocess, *, channels_last: bool = False,
             autocast=nullcontext) -> dict[str, float]:
    """Over a whole split, in large batches: the mean cross-entropy (val_loss) and accuracy (val_acc),
    the share of the images predicted as the most predicted class (val_top_share), and how much the
    outputs vary with the input: the range of each class's logit over the images, averaged over the
    classes (val_logit_range; 0 when the network gives every image the same output), and the
    confusion matrix (``confusion[true][predicted]`` image counts; not a history column)."""
    model.eval()
    # Batches as large as memory allows (500 images at 32x32, ~80 at 224x224: ~1 GB of activations),
    # all of one size where possible: each new shape costs the GPU a new kernel choice.
    largest = min(500, max(16, 2 ** 22 // (split.x.shape[-1] * split.x.shape[-2])))
    chunk = math.ceil(len(split) / math.ceil(len(split) / largest)) if len(split) else 1
    device = split.x.device
    loss_sum = torch.zeros((), dtype=torch.float64, device=device)
    correct = torch.zeros((), dtype=torch.int64, device=device)
    counts, lo, hi, confusion = None, None, None, None
    for i in range(0, len(split), chunk):
        x = pre(split.x[i:i + chunk], train=False)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        y = split.y[i:i + chunk]
        with autocast():
            out = model(x)
        loss_sum += F.cross_entropy(out.float(), y, reduction="sum").double()
        pred = out.argmax(1)
        correct += (pred == y).sum()
        logits = out.detach().double()
        c = out.shape[1]
        if counts is None:
            counts = torch.zeros(c, dtype=torch.int64, device=device)
            confusion = torch.zeros(c * c, dtype=torch.int64, device=device)
            lo, hi = logits.min(0).values, logits.max(0).values
        counts += torch.bincount(pred, minlength=c)
        confusion += torch.bincount(y * c + pred, minlength=c * c)
        lo, hi = torch.minimum(lo, logits.min(0).values), torch.maximum(hi, logits.max(0).values)
    n = max(len(split), 1)
    return {"val_loss": float(loss_sum) / n, "val_acc": int(correct) / n,
            "val_top_share": int(counts.max()) / n if counts is not None else 0.0,
            "val_logit_range": float((hi - lo).mean()) if lo is not None else 0.0,
            "confusion": confusion.view(c, c).tolist() if confusion is not None else []}
