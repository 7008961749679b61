"""One optimizer step: eager (SGD or Adam), or captured once as a CUDA graph and replayed."""
from __future__ import annotations

import logging

import torch
import torch.nn.functional as F

from ..study.settings import RunConfig

log = logging.getLogger("dcnn")


class EagerStep:
    """One optimizer step (SGD or Adam): forward, loss, backward, update; returns the (detached) batch loss."""

    def __init__(self, model: torch.nn.Module, opt: torch.optim.Optimizer, autocast, channels_last: bool):
        self.model, self.opt, self.autocast, self.channels_last = model, opt, autocast, channels_last

    def __call__(self, xb: torch.Tensor, yb: torch.Tensor, set_to_none: bool = True) -> torch.Tensor:
        if self.channels_last:
            xb = xb.contiguous(memory_format=torch.channels_last)
        with self.autocast():
            loss = F.cross_entropy(self.model(xb), yb)
        self.opt.zero_grad(set_to_none=set_to_none)
        loss.backward()
        self.opt.step()
        return loss.detach()


class GraphedStep:
    """The whole step captured once as a CUDA graph and replayed: one launch instead of hundreds.

    The first steps run eagerly on a side stream (as CUDA graph capture requires), then the next
    full-size batch is captured; a batch of another size (the last, smaller one) runs eagerly.
    Each step is a real training step, so the sequence of updates is the eager one.
    """

    WARMUP = 3

    def __init__(self, eager: EagerStep, batch_size: int):
        self.eager, self.batch_size = eager, batch_size
        self.graph: torch.cuda.CUDAGraph | None = None
        self.warm, self.failed = 0, False

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
                loss = F.cross_entropy(e.model(x), self.y)
            loss.backward()
            e.opt.step()
        self.loss, self.graph = loss.detach(), graph


def make_step(model: torch.nn.Module, opt: torch.optim.Optimizer, cfg: RunConfig, device: torch.device,
              autocast, cuda_graphs: bool):
    eager = EagerStep(model, opt, autocast, cfg.channels_last)
    # Adam keeps its step count on the host, which a graph cannot update: SGD only.
    if device.type == "cuda" and cuda_graphs and cfg.optimizer == "sgd":
        return GraphedStep(eager, cfg.batch_size)
    return eager
