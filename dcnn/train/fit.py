"""fit(): one run's epoch loop — seeding, device, divergence, per-epoch checkpoints → one history."""
from __future__ import annotations

import logging
import math
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Callable, Protocol

import torch
import torch.nn.functional as F

from ..store import faults
from ..data.images import Split
from ..data.transforms import Preprocess, epoch_batches
from .models import build_model, freeze, freeze_specs, head_path, param_counts, replace_head
from ..data.presets import AUGMENT_PRESETS
from ..registry.models import get_model
from ..study.settings import RunConfig
from .steps import GraphedStep, make_step

log = logging.getLogger("dcnn")


class Checkpoint(Protocol):
    def load(self) -> dict | None: ...
    def save(self, state: dict) -> None: ...


@dataclass
class FitResult:
    history: list[dict]
    status: str                         # "complete" | "diverged" | "interrupted"
    trainable_params: int
    total_params: int
    diverged_epoch: int | None = None
    state_dict: dict | None = field(default=None, repr=False)
    start_epoch: int = 1                # > 1 when this call resumed from a checkpoint
    steps: int = 0                      # optimizer steps taken by this call (not before a resume)
    divergence: dict | None = None      # diverged: the epoch, the step and the step losses up to it
    frozen_batchnorms: int = 0          # BatchNorm layers inside frozen modules (their statistics stay frozen)


OPTIMIZERS = ("sgd", "adam")


def make_optimizer(cfg: RunConfig, params: list[torch.nn.Parameter]) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    raise ValueError(f"unknown optimizer '{cfg.optimizer}' (allowed: {', '.join(OPTIMIZERS)})")


def epoch_seed(seed: int, epoch: int) -> int:
    # Every epoch draws its shuffle, augmentation and dropout from its own seed, so a run resumed
    # at epoch e replays exactly what an uninterrupted run would have drawn.
    return (seed * 1_000_003 + epoch * 7_919) % (2 ** 63 - 1)


def build_for_fit(cfg: RunConfig, init_state: dict | None) -> torch.nn.Module:
    """The model at epoch 0: seeded init, optional pretrained weights, new head, freezing."""
    spec = get_model(cfg.model)
    if init_state is None:
        torch.manual_seed(cfg.seed)
        model = build_model(cfg.model, cfg.num_classes, width_divisor=cfg.width_divisor, dropout=cfg.dropout)
    else:
        # Pretrained weights replace every initial value: build on the meta device (no init work,
        # ~2 s saved for the full VGG16) and take copies of the weights.
        with torch.device("meta"):
            head = spec.head or head_path(build_model(cfg.model, 1000), spec)
            n_out = int(init_state[f"{head}.weight"].shape[0])
            model = build_model(cfg.model, n_out, width_divisor=cfg.width_divisor, dropout=cfg.dropout)
        model.load_state_dict({k: v.detach().clone() for k, v in init_state.items()}, assign=True)
        torch.manual_seed(cfg.seed)
        replace_head(model, cfg.num_classes, spec)
    model.frozen_batchnorms = len(freeze(model, freeze_specs(cfg.freeze, cfg.model)))
    return model


@torch.no_grad()
def evaluate(model: torch.nn.Module, split: Split, pre: Preprocess, *, channels_last: bool = False,
             autocast=nullcontext) -> dict[str, float]:
    """Over a whole split, in large batches: the mean cross-entropy (val_loss) and accuracy (val_acc),
    the share of the images predicted as the most predicted class (val_top_share), and how much the
    outputs vary with the input: the range of each class's logit over the images, averaged over the
    classes (val_logit_range; 0 when the network gives every image the same output)."""
    model.eval()
    # Batches as large as memory allows (500 images at 32x32, ~80 at 224x224: ~1 GB of activations),
    # all of one size where possible: each new shape costs the GPU a new kernel choice.
    largest = min(500, max(16, 2 ** 22 // (split.x.shape[-1] * split.x.shape[-2])))
    chunk = math.ceil(len(split) / math.ceil(len(split) / largest)) if len(split) else 1
    device = split.x.device
    loss_sum = torch.zeros((), dtype=torch.float64, device=device)
    correct = torch.zeros((), dtype=torch.int64, device=device)
    counts, lo, hi = None, None, None
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
        if counts is None:
            counts = torch.zeros(out.shape[1], dtype=torch.int64, device=device)
            lo, hi = logits.min(0).values, logits.max(0).values
        counts += torch.bincount(pred, minlength=out.shape[1])
        lo, hi = torch.minimum(lo, logits.min(0).values), torch.maximum(hi, logits.max(0).values)
    n = max(len(split), 1)
    return {"val_loss": float(loss_sum) / n, "val_acc": int(correct) / n,
            "val_top_share": int(counts.max()) / n if counts is not None else 0.0,
            "val_logit_range": float((hi - lo).mean()) if lo is not None else 0.0}


def _resume(checkpoint: Checkpoint | None, model: torch.nn.Module, opt: torch.optim.Optimizer) -> tuple[list[dict], int]:
    """(history so far, first epoch to train): from the checkpoint when there is one."""
    state = checkpoint.load() if checkpoint is not None else None
    if state is None:
        return [], 1
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    return list(state["history"]), int(state["epoch"]) + 1


def _train_epoch(model: torch.nn.Module, step_fn, train: Split, cfg: RunConfig, pre: Preprocess, epoch: int,
                 device: torch.device) -> tuple[float, list[torch.Tensor]]:
    """One epoch of optimizer steps: (mean training loss, non-finite when the run diverged; the
    batch losses of its steps, up to the first non-finite one)."""
    gen = torch.Generator().manual_seed(epoch_seed(cfg.seed, epoch))
    torch.manual_seed(epoch_seed(cfg.seed, epoch))  # dropout
    model.train()          # (frozen BatchNorm layers stay in eval: models.freeze)
    # A host sync per step is free on the CPU and costly on a GPU: check divergence accordingly.
    check_every = 1 if device.type == "cpu" else 50
    loss_sum = torch.zeros((), dtype=torch.float64, device=device)
    seen, losses = 0, []
    for step, (xb, yb) in enumerate(epoch_batches(train, cfg.batch_size, pre, gen), 1):
        loss = step_fn(xb, yb)
        losses.append(loss.clone() if isinstance(step_fn, GraphedStep) else loss)  # a graph replays into one tensor
        loss_sum += loss.double() * yb.shape[0]
        seen += yb.shape[0]
        faults.hit("train.step")
        if step % check_every == 0 and not math.isfinite(float(loss_sum)):
            break
    return float(loss_sum) / max(seen, 1), losses


def _divergence(epoch: int, losses: list[torch.Tensor], steps_before: int) -> dict:
    """Where a run diverged: the batch losses of that epoch's steps, to the first non-finite one."""
    values = [float(v) for v in torch.stack(losses).double().cpu()] if losses else []
    first_bad = next((i for i, v in enumerate(values) if not math.isfinite(v)), None)
    if first_bad is None:   # every step was finite: the validation loss was not
        return {"epoch": epoch, "step": None, "global_step": None, "steps_before": steps_before,
                "step_losses": values}
    bad = values[first_bad]
    return {"epoch": epoch, "step": first_bad + 1, "global_step": steps_before + first_bad + 1,
            "steps_before": steps_before, "step_losses": values[:first_bad] + [None],   # JSON has no NaN
            "non_finite": "nan" if math.isnan(bad) else ("inf" if bad > 0 else "-inf")}


@dataclass
class Setup:
    """What one run trains with: its model on the device, optimizer, preprocessing, precision, step."""

    model: torch.nn.Module
    opt: torch.optim.Optimizer
    pre: Preprocess
    autocast: Callable
    step: Callable


def setup(cfg: RunConfig, device: torch.device, init_state: dict | None, cuda_graphs: bool,
          cudnn_benchmark: bool) -> Setup:
    if device.type == "cuda":
        # Autotuning pays for itself over many epochs of one shape; a short run with several batch
        # shapes spends more time tuning than it saves, so it is a declared option.
        torch.backends.cudnn.benchmark = cudnn_benchmark
    model = build_for_fit(cfg, init_state)
    model.to(device)
    if cfg.channels_last:
        model.to(memory_format=torch.channels_last)
    opt = make_optimizer(cfg, [p for p in model.parameters() if p.requires_grad])
    pre = Preprocess(AUGMENT_PRESETS[cfg.augment_preset] if cfg.augment else None, cfg.mean, cfg.std)
    autocast = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if cfg.bf16 and device.type == "cuda" \
        else nullcontext
    return Setup(model, opt, pre, autocast, make_step(model, opt, cfg, device, autocast, cuda_graphs))


def _held_out(run: Setup, test: Split | None, cfg: RunConfig) -> dict:
    """The test split's loss and accuracy after an epoch: recorded, never used to choose anything."""
    if test is None:
        return {}
    ev = evaluate(run.model, test, run.pre, channels_last=cfg.channels_last, autocast=run.autocast)
    return {"test_loss": ev["val_loss"], "test_acc": ev["val_acc"]}


def fit(cfg: RunConfig, train: Split, val: Split, *, test: Split | None = None,
        device: torch.device | str = "cpu", init_state: dict | None = None, checkpoint: Checkpoint | None = None,
        on_epoch: Callable[[int, dict], None] | None = None,
        should_stop: Callable[[], bool] | None = None, keep_state: bool = False,
        cuda_graphs: bool = True, cudnn_benchmark: bool = False) -> FitResult:
    """Train one run; returns its per-epoch history (train_loss, val_loss, val_acc, seconds, and with a
    ``test`` split test_loss and test_acc, evaluated after validation and never chosen on).

    A non-finite training loss stops the run as ``diverged`` and keeps the finished epochs (and the
    step losses of the epoch it diverged in). With ``checkpoint``, every finished epoch is saved and
    a later call resumes after it.
    """
    device = torch.device(device)
    run = setup(cfg, device, init_state, cuda_graphs, cudnn_benchmark)
    train, val = train.to(device), val.to(device)   # decoded once, kept on the device
    test = test.to(device) if test is not None else None
    history, start_epoch = _resume(checkpoint, run.model, run.opt)
    result = FitResult(history, "complete", *param_counts(run.model), start_epoch=start_epoch,
                       frozen_batchnorms=run.model.frozen_batchnorms)
    for epoch in range(start_epoch, cfg.epochs + 1):
        t0 = time.perf_counter()
        train_loss, losses = _train_epoch(run.model, run.step, train, cfg, run.pre, epoch, device)
        result.steps += len(losses)
        ev = (evaluate(run.model, val, run.pre, channels_last=cfg.channels_last, autocast=run.autocast)
              if math.isfinite(train_loss) else {"val_loss": math.nan})
        if not math.isfinite(ev["val_loss"]) or not math.isfinite(ev.get("val_logit_range", math.nan)):
            result.status, result.diverged_epoch = "diverged", epoch
            result.divergence = _divergence(epoch, losses, (epoch - 1) * math.ceil(len(train) / cfg.batch_size))
            break
        row = {"epoch": epoch, "train_loss": train_loss, "val_loss": ev["val_loss"], "val_acc": ev["val_acc"],
               "seconds": round(time.perf_counter() - t0, 4), "val_top_share": ev["val_top_share"],
               "val_logit_range": ev["val_logit_range"], **_held_out(run, test, cfg)}
        history.append(row)
        if checkpoint is not None and epoch < cfg.epochs:
            checkpoint.save({"epoch": epoch, "model": run.model.state_dict(),
                             "optimizer": run.opt.state_dict(), "history": history})
        if on_epoch is not None:
            on_epoch(epoch, row)
        if should_stop is not None and should_stop() and epoch < cfg.epochs:
            result.status = "interrupted"
            break
    if keep_state:
        result.state_dict = {k: v.detach().cpu() for k, v in run.model.state_dict().items()}
    return result
