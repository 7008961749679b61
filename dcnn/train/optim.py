"""The optimizer and its learning rates: SGD (with momentum, Nesterov), Adam or AdamW; one parameter
group per rate (discriminative rates ``lr_scale``, layer-wise decay ``layer_decay``); and the
schedule, stepped after every optimizer step (``torch.optim.lr_scheduler``).

At neutral settings (one rate, a constant schedule) the optimizer is built exactly as before these
settings existed — one group of the trainable parameters, no scheduler — so such runs keep their
numbers to the last bit.
"""
from __future__ import annotations

import math
from typing import Optional

import torch

from ..study.settings import RunConfig

OPTIMIZERS = ("sgd", "adam", "adamw")


def _build(cfg: RunConfig, params) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay,
                               nesterov=cfg.nesterov)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    raise ValueError(f"unknown optimizer '{cfg.optimizer}' (allowed: {', '.join(OPTIMIZERS)})")


def _longest_scale(name: str, scales: dict[str, float]) -> float:
    """lr_scale's factor for a parameter: that of the longest module path holding it (1 if none)."""
    best, factor = -1, 1.0
    for path, f in scales.items():
        if (name == path or name.startswith(path + ".")) and len(path) > best:
            best, factor = len(path), f
    return factor


def layer_depths(model: torch.nn.Module, head: str) -> dict[str, int]:
    """{parameter name: its depth from the head}: 0 for the head's parameters, then one more for each
    module holding parameters of its own, going back through the model's order."""
    owners = [name for name, m in model.named_modules() if any(True for _ in m.parameters(recurse=False))]
    order = [o for o in owners if o != head] + [head]
    depth = {o: len(order) - 1 - i for i, o in enumerate(order)}
    return {f"{o}.{p}" if o else p: depth[o] for o in owners for p, _ in model.get_submodule(o).named_parameters(recurse=False)}


def param_groups(model: torch.nn.Module, cfg: RunConfig, head: str, later: set[str]) -> Optional[list[dict]]:
    """The parameter groups with their rates (lr × lr_scale factor × layer_decay^depth), or None when
    every trainable parameter trains at the one rate and none joins later (the plain optimizer).
    ``later``: the parameters unfreezing will make trainable (in the optimizer from the start, idle
    until then: a frozen parameter has no gradient, so no step moves it)."""
    if not cfg.lr_scale and cfg.layer_decay == 1.0 and not later:
        return None
    depths = layer_depths(model, head) if cfg.layer_decay != 1.0 else {}
    groups: dict[float, list] = {}
    for name, p in model.named_parameters():
        if not (p.requires_grad or name in later):
            continue
        factor = _longest_scale(name, cfg.lr_scale) * cfg.layer_decay ** depths.get(name, 0)
        groups.setdefault(factor, []).append(p)
    return [{"params": ps, "lr": cfg.lr * f, "lr_factor": f} for f, ps in groups.items()]


def make_optimizer(cfg: RunConfig, params: list[torch.nn.Parameter], groups: Optional[list[dict]] = None
                   ) -> torch.optim.Optimizer:
    """``groups`` (param_groups) when the run has several rates, else one group of ``params``."""
    return _build(cfg, groups if groups is not None else params)


def schedule_factor(cfg: RunConfig, steps_per_epoch: int):
    """The schedule as the factor of each group's base rate after ``k`` optimizer steps (k = 0: the first
    step's rate): linear warmup from 0 over ``warmup_epochs`` (step k at (k + 1) / warmup steps), then
    constant, cosine (to ``min_lr``, absolute: as a factor of the group's base rate) or step (×
    ``step_gamma`` after each of ``step_epochs``). None for a constant rate without warmup."""
    warm = int(round(cfg.warmup_epochs * steps_per_epoch))
    total = cfg.epochs * steps_per_epoch
    if cfg.schedule == "constant" and not warm:
        return None
    floor = cfg.min_lr / cfg.lr if cfg.lr else 0.0

    def factor(k: int) -> float:
        if k < warm:
            return (k + 1) / warm
        if cfg.schedule == "cosine":
            t = (k - warm) / max(1, total - warm)
            return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, t)))
        if cfg.schedule == "step":
            epoch = k // steps_per_epoch + 1           # the epoch this step belongs to
            return cfg.step_gamma ** sum(e < epoch for e in cfg.step_epochs)
        return 1.0
    return factor


def make_scheduler(cfg: RunConfig, opt: torch.optim.Optimizer, steps_per_epoch: int):
    """The scheduler stepped after every optimizer step, or None (a constant rate)."""
    from torch.optim import lr_scheduler

    if cfg.schedule == "onecycle":
        warm = cfg.warmup_epochs / cfg.epochs if cfg.warmup_epochs else 0.3   # its own warmup share
        return lr_scheduler.OneCycleLR(opt, max_lr=[g["lr"] for g in opt.param_groups],
                                       total_steps=cfg.epochs * steps_per_epoch, pct_start=warm,
                                       cycle_momentum=cfg.optimizer == "sgd" and cfg.momentum > 0)
    factor = schedule_factor(cfg, steps_per_epoch)
    return lr_scheduler.LambdaLR(opt, factor) if factor is not None else None
