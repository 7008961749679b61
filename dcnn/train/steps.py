"""One optimizer step: eager, or captured once as a CUDA graph and replayed.

A step may mix its batch (mixup, CutMix), take the recipe's criterion (label smoothing), clip the
gradient's norm, and after the update step the learning-rate schedule and the EMA of the weights
(``after``). With none of them it is exactly the first release's step.
"""
from __future__ import annotations

import logging
from typing import Callable, Optional, Sequence

import torch
import torch.nn.functional as F

from ..study.settings import RunConfig

log = logging.getLogger("dcnn")


class EagerStep:
    """One optimizer step: (mix), forward, loss, backward, (clip), update, (schedule, EMA); returns the
    (detached) batch loss. ``lr_of`` is the parameter group whose rate the history records (the head's)."""

    def __init__(self, model: torch.nn.Module, opt: torch.optim.Optimizer, autocast, channels_last: bool,
                 loss: Callable = F.cross_entropy, mix: Optional[Callable] = None, clip: Optional[float] = None,
                 after: Sequence[Callable[[], None]] = (), lr_of: int = 0):
        self.model, self.opt, self.autocast, self.channels_last = model, opt, autocast, channels_last
        self.loss, self.mix, self.clip, self.after, self.lr_of = loss, mix, clip, tuple(after), lr_of
        self.last_lr = opt.param_groups[lr_of]["lr"]

    def __call__(self, xb: torch.Tensor, yb: torch.Tensor, set_to_none: bool = True) -> torch.Tensor:
        if self.mix is not None:
            xb, yb = self.mix(xb, yb)
        if self.channels_last:
            xb = xb.contiguous(memory_format=torch.channels_last)
        with self.autocast():
            loss = self.loss(self.model(xb), yb)
        self.opt.zero_grad(set_to_none=set_to_none)
        loss.backward()
        if self.clip is not None:
            torch.nn.utils.clip_grad_norm_([p for g in self.opt.param_groups for p in g["params"]], self.clip)
        self.last_lr = self.opt.param_groups[self.lr_of]["lr"]
        self.opt.step()
        for hook in self.after:
            hook()
        return loss.detach()


class GraphedStep:
    """The whole step captured once as a CUDA graph and replayed: one launch instead of hundreds.

    The first steps run eagerly on a side stream (as CUDA graph capture requires), then the next
    full-size batch is captured; a batch of another size (the last, smaller one) runs eagerly.
    Each step is a real training step, so the sequence of updates is the eager one. Only for steps
    whose every number lives on the device (make_step: no schedule, mixing or EMA).
    """

    WARMUP = 3

    def __init__(self, eager: EagerStep, batch_size: int):
        self.eager, self.batch_size = eager, batch_size
        self.graph: torch.cuda.CUDAGraph | None = None
        self.warm, self.failed = 0, False

    @property
    def last_lr(self) -> float:
        return self.eager.last_lr

    def reset(self) -> None:
        """Capture again at the next full batch (the trainable parameters changed: unfreezing)."""
        self.graph, self.warm = None, 0

    def __call__(self, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        if self.failed or xb.shape[0] != self.batch_size:
            return self.eager(xb, yb, set_to_none=self.graph is None)
        if self.graph is None:
            if self.warm < self.WARMUP:
                self.warm += 1
                side = torch.cuda.Stream()
                side.wait_stream(torch.cuda.current_stream())
                with torch.cuda.stream(side):
                    loss = self.eager(xb, yb)
                torch.cuda.current_stream().wait_stream(side)
                return loss
            try:
                self._capture(xb, yb)
            except Exception as exc:  # an op that cannot be captured: stay eager, say so once
                log.warning("CUDA graph capture failed (%s); training this run eagerly", exc)
                self.failed, self.graph = True, None
                return self.eager(xb, yb)
        self.x.copy_(xb)
        self.y.copy_(yb)
        self.graph.replay()
        return self.loss

    def _capture(self, xb: torch.Tensor, yb: torch.Tensor) -> None:
        e = self.eager
        self.x, self.y = xb.clone(), yb.clone()
        x = self.x.contiguous(memory_format=torch.channels_last) if e.channels_last else self.x
        e.opt.zero_grad(set_to_none=True)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            with e.autocast():
                loss = e.loss(e.model(x), self.y)
            loss.backward()
            if e.clip is not None:
                torch.nn.utils.clip_grad_norm_([p for g in e.opt.param_groups for p in g["params"]], e.clip)
            e.opt.step()
        self.loss, self.graph = loss.detach(), graph


def make_step(model: torch.nn.Module, opt: torch.optim.Optimizer, cfg: RunConfig, device: torch.device,
              autocast, cuda_graphs: bool, **recipe):
    """The run's step; ``recipe``: EagerStep's loss, mix, clip, after and lr_of."""
    eager = EagerStep(model, opt, autocast, cfg.channels_last, **recipe)
    # Adam keeps its step count on the host, which a graph cannot update: SGD only; and a schedule,
    # mixing or an EMA changes host-side numbers every step, which a replayed graph would not see.
    host_side = eager.mix is not None or eager.after
    if device.type == "cuda" and cuda_graphs and cfg.optimizer == "sgd" and not host_side:
        return GraphedStep(eager, cfg.batch_size)
    return eager
