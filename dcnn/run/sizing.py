"""How many runs train at once: ``-j`` (at least 1), never more than the runs to train, by default one
per core (or the profile's workers_per_gpu per GPU) — and what each worker process needs of the
machine's memory, estimated from the data it loads and the largest model it trains, so that a ``-j``
the memory cannot hold is said before the first worker starts."""
from __future__ import annotations

import functools
import logging
import sys
from typing import Optional

from .listing import count_params
from .machine import available_memory
from .plan import Job

log = logging.getLogger("dcnn")

MiB = 2 ** 20
# A worker's own memory beside its data and model, measured (private memory of a worker training the
# toy study): a fork of the forkserver shares its imports of torch and torchvision (~40-60 MiB of its
# own); a fresh interpreter (macOS, Windows) holds all of them (~450 MiB).
WORKER_OVERHEAD = 100 * MiB if sys.platform == "linux" else 500 * MiB
ACTIVATIONS_PER_INPUT = 100   # floats kept for the backward pass per input float (VGG16's order of magnitude)
OPTIMIZER_STATES = {"sgd": 0, "adam": 2}   # tensors per trainable parameter (SGD with momentum: 1)


def data_bytes(data) -> int:
    """The decoded tensors a worker loads: every split of the study's task and of its source task."""
    tasks = [t for t in (data.target, data.source) if t is not None]
    splits = [s for t in tasks for s in (t.train, t.val, t.test) if s is not None]
    return sum(s.x.nelement() * s.x.element_size() + s.y.nelement() * s.y.element_size() for s in splits)


@functools.lru_cache(maxsize=None)
def _params(config) -> tuple[int, int]:
    return count_params(config, config.num_classes)


def model_bytes(job: Job, image_size: int) -> int:
    """One run's weights, gradients, optimizer state and activations, in float32."""
    cfg = job.config
    trainable, total = _params(cfg.model_copy(update={"seed": 0}))
    states = OPTIMIZER_STATES.get(cfg.optimizer, 2) + (cfg.optimizer == "sgd" and cfg.momentum > 0)
    activations = cfg.batch_size * 3 * image_size ** 2 * ACTIVATIONS_PER_INPUT
    return 4 * (total + trainable * (1 + states) + activations)


def worker_bytes(jobs: list[Job], data) -> int:
    """The memory one worker process needs, about: its overhead, the data, the largest of the jobs."""
    size = int(data.target.train.x.shape[-1])
    return WORKER_OVERHEAD + data_bytes(data) + max((model_bytes(j, size) for j in jobs), default=0)


def gib(n: float) -> str:
    return f"{n / 2 ** 30:.1f} GB" if n >= 2 ** 30 else f"{n / MiB:.0f} MB"


def choose_workers(requested: Optional[int], default: int, todo: list[Job], data) -> int:
    """The worker processes to start: ``requested`` (-j) or ``default``, at most one per run to train.
    Where they would not fit in the memory available: a warning for an explicit -j, and fewer (the
    most that fit, at least 1) for the default."""
    workers = max(1, min(requested or default, len(todo)))
    if workers == 1:
        return 1
    need, have = worker_bytes(todo, data), available_memory()
    if have is None or workers * need <= have:
        return workers
    fits = max(1, have // need)
    if requested:
        log.warning("-j %d: %d worker processes need about %s (%s each: the data, the largest model, torch) and "
                    "%s of memory is available; -j %d would fit", requested, workers, gib(workers * need),
                    gib(need), gib(have), fits)
        return workers
    log.warning("training %d runs at once, not %d: each worker process needs about %s and %s of memory is "
                "available (-j N chooses)", fits, workers, gib(need), gib(have))
    return fits
