"""Executors on this machine: in this process (``-j 1``), or in a pool of worker processes.

The parent process owns the plan, the locks and the progress display; workers train and write
their own results (so a finished run survives anything that happens to the parent afterwards).
"""
from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Optional

import torch

from ..execute import Outcome, Worker
from ..plan import Job
from . import ExecContext, Executor

# The worker of this process, when it is a pool process (set once by its initializer).
_worker: Optional[Worker] = None

# What a worker imports before its first job: its forkserver imports it once for all of them.
WORKER_IMPORTS = ["dcnn.run.executors.local", "torchvision"]


def pool_context() -> Any:
    """How worker processes start. On Linux a forkserver imports torch, torchvision and the training
    code once, and each worker, including one started after another died, is a fork of it: about 5 s
    of CPU less per worker here, and a restart without a pause. The server has run nothing, so no
    thread pool or CUDA context is forked (forking a process that has, as the parent has, can
    deadlock). Elsewhere each worker is a fresh interpreter (macOS's system libraries, which torch
    loads, are not safe to fork; Windows cannot)."""
    if sys.platform != "linux":
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(WORKER_IMPORTS)
    return ctx


def _init_worker(threads: int, stop: Any, events: Any, device: str, counter: Any = None,
                 environ: Optional[dict] = None) -> None:
    global _worker
    if environ is not None:   # the parent's environment now, not the forkserver's at its start
        os.environ.clear()
        os.environ.update(environ)
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


def _execute_in_worker(job: Job, root: str, data_files: dict, force_fresh: bool) -> Outcome:
    return _worker.execute(job, root, data_files, force_fresh)


class InlineExecutor(Executor):
    """Each job trains in this process, when the scheduler submits it (one thread: a run's numbers
    do not depend on -j)."""

    def __init__(self, ctx: ExecContext):
        torch.set_num_threads(1)
        self.ctx = ctx
        self.worker = Worker(ctx.device, ctx.stop, ctx.events)

    def submit(self, job: Job) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(self.worker.execute(job, self.ctx.root, self.ctx.data_files, job.key in self.ctx.force))
        except BaseException as exc:  # StoreError, KeyboardInterrupt
            fut.set_exception(exc)
        return fut


class PoolExecutor(Executor):
    """``workers`` one-thread processes, started at once so that their start-up (imports, CUDA
    context) overlaps with the parent's data preparation. A worker that dies (SIGKILL, out of memory)
    breaks the pool: its job's outcome is ``lost``, and the next job starts a fresh pool."""

    noun, nouns = "worker process", "worker processes"

    def __init__(self, ctx: ExecContext):
        self.ctx, self.workers = ctx, ctx.workers
        self._mpc = mpc = pool_context()
        self._start = lambda: ProcessPoolExecutor(max_workers=ctx.workers, mp_context=mpc, initializer=_init_worker,
                                                  initargs=(1, ctx.stop, ctx.events, ctx.device, mpc.Value("i", 0),
                                                            dict(os.environ)))
        self.pool = self._start()
        self._warm = [self.pool.submit(_ready) for _ in range(ctx.workers)]

    def submit(self, job: Job) -> Future:
        args = (_execute_in_worker, job, self.ctx.root, self.ctx.data_files, job.key in self.ctx.force)
        try:
            inner = self.pool.submit(*args)
        except BrokenProcessPool:          # a worker died since the last job: start afresh
            self.pool.shutdown(wait=False, cancel_futures=True)
            # ... with a fresh events queue: a worker killed while sending an epoch holds the old one's
            # write lock for ever, and a new worker would hang at its exit, flushing to it (seen in CI).
            self.ctx.events = self._mpc.Queue()
            self.pool = self._start()
            inner = self.pool.submit(*args)
        out: Future = Future()

        def done(f: Future) -> None:
            try:
                out.set_result(f.result())
            except BrokenProcessPool:      # its worker died; every epoch it finished is checkpointed
                out.set_result(Outcome(job.key, "lost", "the worker process training it died (killed by a signal, "
                                       "perhaps out of memory); rerun to resume from its last finished epoch"))
            except BaseException as exc:   # a failed write (StoreError)
                out.set_exception(exc)
        inner.add_done_callback(done)
        return out

    def cancel(self) -> int:
        """Stop now; each run keeps the checkpoint of its last finished epoch."""
        processes = mp.active_children()
        for proc in processes:
            proc.terminate()
        self.pool.shutdown(wait=False, cancel_futures=True)
        return len(processes)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
