"""Executors on this machine: in this process (``-j 1``), or in a pool of worker processes.

The parent process owns the plan and the progress display; each worker holds the lock of the run it
trains, writes its own results (so a finished run survives anything that happens to the parent
afterwards) and dies with the parent (``die_with``), so that no worker outlives the dcnn process
that started it.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import select
import signal
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Optional

import torch

from ..execute import Outcome, Worker
from ..plan import Job
from ...store.files import _alive
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


def _watch(parent: int) -> None:
    """Wait until ``parent`` has exited: on a pidfd of it (Linux 5.3 and later), else by polling."""
    try:
        fd = os.pidfd_open(parent)
    except ProcessLookupError:
        return
    except (AttributeError, OSError):        # no pidfd here: ask every half second
        while _alive(parent):
            time.sleep(0.5)
        return
    select.select([fd], [], [])


def die_with(parent: int) -> None:
    """This process ends (SIGKILL) as soon as ``parent`` has: a worker whose dcnn process was killed
    (kill -9, the out-of-memory killer, a crash) stops training at once and drops its run's lock, so a
    rerun trains that run from its last checkpoint and never beside it. (PR_SET_PDEATHSIG would watch
    the wrong process: a pool worker's parent is the forkserver, which lives as long as its workers.)"""
    def watch() -> None:
        _watch(parent)
        os.kill(os.getpid(), signal.SIGKILL)
    threading.Thread(target=watch, name="dcnn-parent-watch", daemon=True).start()


def _init_worker(threads: int, stop: Any, events: Any, device: str, counter: Any = None,
                 environ: Optional[dict] = None, parent: Optional[int] = None) -> None:
    global _worker
    if parent is not None:
        die_with(parent)
    if environ is not None:   # the parent's environment now, not the forkserver's at its start
        os.environ.clear()
        os.environ.update(environ)
    # The parent turns Ctrl-C and SIGTERM into `stop` (after the epoch), for the whole process group.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
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
    return _worker.execute(job, root, data_files, force_fresh, lock=True)


class InlineExecutor(Executor):
    """Each job trains in this process, when the scheduler submits it (one thread: a run's numbers
    do not depend on -j)."""

    locks_runs = True

    def __init__(self, ctx: ExecContext):
        torch.set_num_threads(1)
        self.ctx = ctx
        self.worker = Worker(ctx.device, ctx.stop, ctx.events)

    def submit(self, job: Job) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(self.worker.execute(job, self.ctx.root, self.ctx.data_files, job.key in self.ctx.force,
                                               lock=True))
        except BaseException as exc:  # StoreError, KeyboardInterrupt
            fut.set_exception(exc)
        return fut


class PoolExecutor(Executor):
    """``workers`` one-thread processes, started at once so that their start-up (imports, CUDA
    context) overlaps with the parent's data preparation. A worker that dies (SIGKILL, out of memory)
    breaks the pool: its job's outcome is ``lost``, and the next job starts a fresh pool."""

    noun, nouns = "worker process", "worker processes"
    locks_runs = True

    def __init__(self, ctx: ExecContext):
        self.ctx, self.workers = ctx, ctx.workers
        self._mpc = mpc = pool_context()
        self._start = lambda: ProcessPoolExecutor(max_workers=ctx.workers, mp_context=mpc, initializer=_init_worker,
                                                  initargs=(1, ctx.stop, ctx.events, ctx.device, mpc.Value("i", 0),
                                                            dict(os.environ), os.getpid()))
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
            proc.kill()            # (SIGKILL: a worker ignores SIGTERM, which its parent handles)
        self.pool.shutdown(wait=False, cancel_futures=True)
        return len(processes)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
