"""Executors on this machine: in this process (``-j 1``), or in a pool of worker processes.

The parent process owns the plan, the locks and the progress display; workers train and write
their own results (so a finished run survives anything that happens to the parent afterwards).
"""
from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Optional

import torch

from ..execute import Outcome, Worker
from ..plan import Job
from . import Executor

# The worker of this process, when it is a pool process (set once by its initializer).
_worker: Optional[Worker] = None


def _init_worker(threads: int, stop: Any, events: Any, device: str, counter: Any = None) -> None:
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent turns Ctrl-C into `stop`
    torch.set_num_threads(threads)
    if device == "cuda" and counter is not None and torch.cuda.device_count() > 1:
        with counter.get_lock():  # spread the workers over the GPUs, round robin
            device = f"cuda:{counter.value % torch.cuda.device_count()}"
            counter.value += 1
    if device.startswith("cuda"):
        torch.empty(1, device=device)  # create the CUDA context now, while the parent prepares the data
    import torchvision  # noqa: F401  (every VGG16 run needs it; ~1 s better spent before the first job)
    _worker = Worker(device, stop, events)


def _ready() -> int:
    return os.getpid()


def _execute_in_worker(job: Job, root: str, data_path: str, force_fresh: bool) -> Outcome:
    return _worker.execute(job, root, data_path, force_fresh)


class InlineExecutor(Executor):
    """Each job trains in this process, when the scheduler submits it."""

    def __init__(self, root: str, data_path: str, device: str, stop: threading.Event, events: Any, force: set[str]):
        self.root, self.data_path, self.force = root, data_path, force
        self.worker = Worker(device, stop, events)

    def submit(self, job: Job) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(self.worker.execute(job, self.root, self.data_path, job.key in self.force))
        except BaseException as exc:  # StoreError, KeyboardInterrupt
            fut.set_exception(exc)
        return fut


class PoolExecutor(Executor):
    """``workers`` processes, started at once so that their start-up (imports, CUDA context)
    overlaps with the parent's data preparation; ``data_path`` is set before the first job."""

    noun = "worker process"

    def __init__(self, root: str, data_path: Optional[str], device: str, workers: int, threads: int,
                 stop: Any, events: Any, force: set[str]):
        self.root, self.data_path, self.force, self.workers = root, data_path, force, workers
        ctx = mp.get_context("spawn")  # fork after torch has started threads can deadlock
        self._start = lambda: ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                                                  initargs=(threads, stop, events, device, ctx.Value("i", 0)))
        self.pool = self._start()
        self._warm = [self.pool.submit(_ready) for _ in range(workers)]

    def submit(self, job: Job) -> Future:
        if getattr(self.pool, "_broken", False):  # a worker died (SIGKILL, out of memory): start afresh
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._start()
        return self.pool.submit(_execute_in_worker, job, self.root, self.data_path, job.key in self.force)

    def cancel(self) -> int:
        """Stop now; each run keeps the checkpoint of its last finished epoch."""
        processes = list(getattr(self.pool, "_processes", {}).values())
        for proc in processes:
            proc.terminate()
        self.pool.shutdown(wait=False, cancel_futures=True)
        return len(processes)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
