"""What one run trains with, built once from its configuration: the model on its device, the optimizer
with its parameter groups and schedule, the objective, the EMA of the weights, the preprocessing,
the precision and the step — and the recipe's changes between epochs (gradual unfreezing) and the
state a checkpoint keeps (model, optimizer, schedule, EMA)."""
from __future__ import annotations

import math
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Callable, Optional

import torch

from ..data.presets import AUGMENT_PRESETS
from ..data.transforms import Preprocess
from ..registry.models import get_model
from ..study.settings import AUGMENT_POLICIES, RunConfig
from . import objective
from .models import build_for_fit, frozen_modules, freeze_specs, head_path, param_counts, unfreeze
from .optim import make_optimizer, make_scheduler, param_groups
from .steps import GraphedStep, make_step


@dataclass
class Setup:
    """What one run trains with."""

    model: torch.nn.Module
    opt: torch.optim.Optimizer
    pre: Preprocess
    autocast: Callable
    step: Callable
    scheduler: Any = None
    ema: Optional[torch.nn.Module] = None       # torch.optim.swa_utils.AveragedModel: what evaluation uses

    @property
    def evaluated(self) -> torch.nn.Module:
        """The weights validation and test see: the EMA's when there is one."""
        return self.ema.module if self.ema is not None else self.model


def preprocess(cfg: RunConfig) -> Preprocess:
    policy = cfg.augment if cfg.augment in AUGMENT_POLICIES else None
    preset = AUGMENT_PRESETS[cfg.augment_preset] if cfg.augment is True and cfg.augment_preset else None
    return Preprocess(preset, cfg.mean, cfg.std, policy=policy, erasing=cfg.random_erasing, size=cfg.image_size)


def _ema(cfg: RunConfig, model: torch.nn.Module) -> Optional[torch.nn.Module]:
    if cfg.ema is None:
        return None
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(cfg.ema), use_buffers=True)


def _later(model: torch.nn.Module, cfg: RunConfig) -> set[str]:
    """The parameter names gradual unfreezing will make trainable."""
    if not cfg.unfreeze:
        return set()
    mods = frozen_modules(model, freeze_specs([p for paths in cfg.unfreeze.values() for p in paths], cfg.model,
                                              cfg.model_root))
    ids = {id(p) for m in mods for p in m.parameters()}
    return {n for n, p in model.named_parameters() if id(p) in ids}


def setup(cfg: RunConfig, device: torch.device, init_state: dict | None, cuda_graphs: bool, cudnn_benchmark: bool,
          steps_per_epoch: int) -> Setup:
    if device.type == "cuda":
        # Autotuning pays for itself over many epochs of one shape; a short run with several batch
        # shapes spends more time tuning than it saves, so it is a declared option.
        torch.backends.cudnn.benchmark = cudnn_benchmark
    model = build_for_fit(cfg, init_state)
    model.to(device)
    if cfg.channels_last:
        model.to(memory_format=torch.channels_last)
    head = head_path(model, get_model(cfg.model, cfg.model_root))
    groups = param_groups(model, cfg, head, _later(model, cfg))
    opt = make_optimizer(cfg, [p for p in model.parameters() if p.requires_grad], groups)
    scheduler = make_scheduler(cfg, opt, steps_per_epoch)
    ema = _ema(cfg, model)
    after = ([scheduler.step] if scheduler is not None else []) + ([lambda: ema.update_parameters(model)] if ema else [])
    head_group = next((i for i, g in enumerate(opt.param_groups)
                       if any(p is q for p in g["params"] for q in model.get_submodule(head).parameters())), 0)
    autocast = (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if cfg.bf16 and device.type == "cuda" \
        else nullcontext
    step = make_step(model, opt, cfg, device, autocast, cuda_graphs, loss=objective.criterion(cfg),
                     mix=objective.mixer(cfg), clip=cfg.clip_grad, after=after, lr_of=head_group)
    return Setup(model, opt, preprocess(cfg), autocast, step, scheduler, ema)


def start_epoch(run: Setup, cfg: RunConfig, epoch: int) -> Optional[int]:
    """Before ``epoch``: free what gradual unfreezing frees at it (and before it, for a run resumed
    past it); returns the trainable parameters when the run unfreezes anything, else None."""
    if not cfg.unfreeze:
        return None
    due = [p for e, paths in cfg.unfreeze.items() if int(e) <= epoch for p in paths]
    if due and unfreeze(run.model, freeze_specs(due, cfg.model, cfg.model_root)) and isinstance(run.step, GraphedStep):
        run.step.reset()
    return param_counts(run.model)[0]


def state(run: Setup) -> dict:
    """What a checkpoint keeps of a run's training state (its history and epoch are added by fit)."""
    out = {"model": run.model.state_dict(), "optimizer": run.opt.state_dict()}
    if run.scheduler is not None:
        out["scheduler"] = run.scheduler.state_dict()
    if run.ema is not None:
        out["ema"] = run.ema.state_dict()
    return out


def restore(run: Setup, cfg: RunConfig, saved: dict) -> None:
    """A checkpoint's state back into ``run`` (the unfreezing due by its epoch first: the optimizer's
    state names the parameters it trained)."""
    start_epoch(run, cfg, int(saved["epoch"]))
    run.model.load_state_dict(saved["model"])
    run.opt.load_state_dict(saved["optimizer"])
    if run.scheduler is not None and "scheduler" in saved:
        run.scheduler.load_state_dict(saved["scheduler"])
    if run.ema is not None and "ema" in saved:
        run.ema.load_state_dict(saved["ema"])


def steps_per_epoch(n_train: int, batch_size: int) -> int:
    return max(1, math.ceil(n_train / batch_size))
