"""fit(): one run's epoch loop — seeding, device, divergence, per-epoch checkpoints → one history.

What the run trains with (model, optimizer and schedule, objective, EMA, preprocessing, step) is
built once by recipe.setup; each epoch here trains, evaluates (the EMA's weights when there is one),
records and checkpoints, and stops early when the recipe says so.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Optional, Protocol

import torch

from ..analysis.confusion import compact
from ..data.images import Split
from ..data.transforms import Preprocess, epoch_batches
from ..store import faults
from ..study.settings import RunConfig
from . import objective, recipe
from .evaluate import evaluate
from .models import build_for_fit, param_counts
from .optim import OPTIMIZERS, make_optimizer
from .steps import GraphedStep

log = logging.getLogger("dcnn")

__all__ = ["OPTIMIZERS", "FitResult", "build_for_fit", "epoch_seed", "evaluate", "fit", "make_optimizer"]


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
    stopped_early: int | None = None    # early_stop: the epoch after which it stopped, no better for its patience
    confusion: dict | None = None       # the best epoch's confusion matrices (validation, test): _keep_confusion


def epoch_seed(seed: int, epoch: int) -> int:
    # Every epoch draws its shuffle, augmentation and dropout from its own seed, so a run resumed
    # at epoch e replays exactly what an uninterrupted run would have drawn.
    return (seed * 1_000_003 + epoch * 7_919) % (2 ** 63 - 1)


def _resume(checkpoint: Checkpoint | None, run: recipe.Setup, cfg: RunConfig) -> tuple[list[dict], int, Optional[dict]]:
    """(history so far, first epoch to train, the best epoch's confusion matrices): from the checkpoint
    when there is one."""
    saved = checkpoint.load() if checkpoint is not None else None
    if saved is None:
        return [], 1, None
    recipe.restore(run, cfg, saved)
    return list(saved["history"]), int(saved["epoch"]) + 1, saved.get("confusion")


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


def _held_out(run: recipe.Setup, test: Split | None, cfg: RunConfig) -> tuple[dict, list]:
    """The test split's loss and accuracy after an epoch (recorded, never used to choose anything), and
    its confusion matrix."""
    if test is None:
        return {}, []
    ev = evaluate(run.evaluated, test, run.pre, channels_last=cfg.channels_last, autocast=run.autocast)
    return {"test_loss": ev["val_loss"], "test_acc": ev["val_acc"]}, ev["confusion"]


def _keep_confusion(result: "FitResult", row: dict, val: list, test: list) -> None:
    """The confusion matrices of the best epoch so far (the first that reaches the lowest validation
    loss, as best_epoch is): validation's, and the test split's at that epoch."""
    if result.confusion is None or row["val_loss"] < result.confusion["val_loss"]:
        result.confusion = {"epoch": row["epoch"], "val_loss": row["val_loss"], "val": val, "test": test}


def _row(run: recipe.Setup, cfg: RunConfig, epoch: int, train_loss: float, ev: dict, seconds: float,
         test: Split | None, train: Split, trainable, result: "FitResult") -> dict:
    """An epoch's history row (the test split and the recipe's columns evaluated after its seconds), the
    best epoch's confusion matrices kept on ``result``."""
    held, test_confusion = _held_out(run, test, cfg)
    row = {"epoch": epoch, "train_loss": train_loss, "val_loss": ev["val_loss"], "val_acc": ev["val_acc"],
           "seconds": seconds, "val_top_share": ev["val_top_share"], "val_logit_range": ev["val_logit_range"],
           **held, **_recipe_columns(run, cfg, train, trainable)}
    _keep_confusion(result, row, ev["confusion"], test_confusion)
    return row


def confusion_payload(confusion: Optional[dict]) -> Optional[dict]:
    """What a run's result keeps: per split, the matrix (or, past FULL_UP_TO classes, its compact form)."""
    if confusion is None:
        return None
    return {"epoch": confusion["epoch"], **{s: compact(confusion[s]) for s in ("val", "test") if confusion[s]}}


def _recipe_columns(run: recipe.Setup, cfg: RunConfig, train: Split, trainable) -> dict:
    """The epoch's columns a recipe adds: the head's rate at its last step, the trainable parameters
    while unfreezing, and where the objective is not plain cross-entropy on the clean images, that
    plain loss of the training images in evaluation mode (what the overfitting gaps compare)."""
    out = {"lr": run.step.last_lr}
    if trainable is not None:
        out["trainable_params"] = trainable
    if not objective.plain(cfg):
        out["train_clean_loss"] = evaluate(run.evaluated, train, run.pre, channels_last=cfg.channels_last,
                                           autocast=run.autocast)["val_loss"]
    return out


def _no_better_for(history: list[dict], patience: int) -> bool:
    """True when the last ``patience`` epochs did not improve on the best validation loss before them."""
    if len(history) <= patience:
        return False
    best_before = min(h["val_loss"] for h in history[:-patience])
    return min(h["val_loss"] for h in history[-patience:]) >= best_before


def fit(cfg: RunConfig, train: Split, val: Split, *, test: Split | None = None,
        device: torch.device | str = "cpu", init_state: dict | None = None, checkpoint: Checkpoint | None = None,
        on_epoch: Callable[[int, dict], None] | None = None,
        should_stop: Callable[[], bool] | None = None, keep_state: bool = False,
        cuda_graphs: bool = True, cudnn_benchmark: bool = False) -> FitResult:
    """Train one run; returns its per-epoch history (train_loss, val_loss, val_acc, seconds, lr, and with a
    ``test`` split test_loss and test_acc, evaluated after validation and never chosen on).

    A non-finite training loss stops the run as ``diverged`` and keeps the finished epochs (and the
    step losses of the epoch it diverged in). With ``checkpoint``, every finished epoch is saved and
    a later call resumes after it. With ``early_stop``, a run that has not improved for that many epochs stops, complete.
    """
    device = torch.device(device)
    run = recipe.setup(cfg, device, init_state, cuda_graphs, cudnn_benchmark,
                       recipe.steps_per_epoch(len(train), cfg.batch_size))
    train, val = train.to(device), val.to(device)   # decoded once, kept on the device
    test = test.to(device) if test is not None else None
    history, start_epoch, confusion = _resume(checkpoint, run, cfg)
    result = FitResult(history, "complete", *param_counts(run.model), start_epoch=start_epoch,
                       frozen_batchnorms=run.model.frozen_batchnorms, confusion=confusion)
    for epoch in range(start_epoch, cfg.epochs + 1):
        t0 = time.perf_counter()
        trainable = recipe.start_epoch(run, cfg, epoch)
        train_loss, losses = _train_epoch(run.model, run.step, train, cfg, run.pre, epoch, device)
        result.steps += len(losses)
        ev = (evaluate(run.evaluated, val, run.pre, channels_last=cfg.channels_last, autocast=run.autocast)
              if math.isfinite(train_loss) else {"val_loss": math.nan})
        if not math.isfinite(ev["val_loss"]) or not math.isfinite(ev.get("val_logit_range", math.nan)):
            result.status, result.diverged_epoch = "diverged", epoch
            result.divergence = _divergence(epoch, losses, (epoch - 1) * math.ceil(len(train) / cfg.batch_size))
            break
        row = _row(run, cfg, epoch, train_loss, ev, round(time.perf_counter() - t0, 4), test, train, trainable, result)
        history.append(row)
        stop_early = cfg.early_stop is not None and _no_better_for(history, cfg.early_stop)
        if checkpoint is not None and epoch < cfg.epochs and not stop_early:
            checkpoint.save({"epoch": epoch, "history": history, "confusion": result.confusion, **recipe.state(run)})
        if on_epoch is not None:
            on_epoch(epoch, row)
        if stop_early and epoch < cfg.epochs:
            result.stopped_early = epoch
            break
        if should_stop is not None and should_stop() and epoch < cfg.epochs:
            result.status = "interrupted"
            break
    if keep_state:
        result.state_dict = {k: v.detach().cpu() for k, v in run.model.state_dict().items()}
    return result
