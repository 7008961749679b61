"""The scheduler: which job runs next, on which executor, under which lock.

Pretraining first (the pretrained runs need its weights), then the rest longest first (an LPT
schedule keeps every worker busy). Each job runs under a per-job lock, held by the process that
trains it (a local worker; the scheduler itself for Ray and Slurm), so two dcnn processes on one
build directory never train the same run, nor a rerun a run that an orphaned worker still trains; a
job another process finished meanwhile is skipped. Ctrl-C and SIGTERM stop after the current epochs;
a second one stops at once.
"""
from __future__ import annotations

import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import Any

from typing import Optional

from .execute import Outcome
from .executors import Executor
from .plan import Job, is_cached
from .progress import Reporter
from ..errors import Terminated
from ..store.build import Lock, Store

MAX_WORKER_LOSSES = 1  # a job whose worker process dies is restarted (resumed) once, then failed


@dataclass
class Summary:
    trained: int = 0
    cached: int = 0
    diverged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0
    signal: int = 0             # what interrupted it: SIGINT (Ctrl-C) or SIGTERM; 0 when nothing did


class Scheduler:
    def __init__(self, todo: list[Job], cached: list[Job], pretrains: list[Job], store: Store, executor: Executor, *,
                 force: bool, reporter: Reporter, stop: Any):
        self.todo, self.cached, self.store, self.executor, self.force = todo, cached, store, executor, force
        self.reporter, self.stop = reporter, stop
        self.summary = Summary(cached=len(cached))
        self.pending = sorted(todo, key=lambda j: (not j.is_pretraining, -j.cost))
        self.running: dict[Future, tuple[Job, Optional[Lock]]] = {}
        self.lost: dict[str, int] = {}   # how often each job's worker process died under it
        self.unfinished = [j for j in pretrains if j in todo]   # pretraining that runs must wait for

    def waits(self, job: Job) -> bool:
        return any(job.needs(pre) for pre in self.unfinished)

    def run(self) -> Summary:
        t0 = time.perf_counter()
        self.reporter.start(self.todo, self.cached)
        while self.pending or self.running:
            if self.stop.is_set():
                self.pending.clear()
            launched = self.launch()
            if not self.running:
                if self.pending and not launched:
                    time.sleep(0.2)     # waiting for another process's lock or for the backbone
                continue
            done, _ = wait(list(self.running), timeout=0.2, return_when=FIRST_COMPLETED)
            for fut in done:
                self.collect(fut)
        self.summary.interrupted = self.summary.interrupted or self.stop.is_set()
        self.summary.seconds = time.perf_counter() - t0
        return self.summary

    def launch(self) -> bool:
        """Submit what can run now: free workers, the backbone ready, the job's lock free."""
        launched = False
        for job in list(self.pending):
            if len(self.running) >= self.executor.workers:
                break
            if self.waits(job):
                continue
            free, lock = self.claim(job)
            if not free:            # another dcnn process is training it right now
                continue
            if not self.force and is_cached(self.store, job):
                if lock is not None:
                    lock.release()
                self.pending.remove(job)
                self.skip(job)
                continue
            self.pending.remove(job)
            self.reporter.started(job)
            self.running[self.executor.submit(job)] = (job, lock)
            launched = True
        return launched

    def claim(self, job: Job) -> tuple[bool, Optional[Lock]]:
        """(is the job's lock free, the lock when the scheduler itself holds it while the job runs)."""
        if self.executor.locks_runs:        # the training process takes it (and may answer "busy")
            return not self.store.is_locked(job.key), None
        lock = self.store.try_lock(job.key)
        return lock is not None, lock

    def skip(self, job: Job) -> None:
        """A job another process finished: counted as cached."""
        self.summary.cached += 1
        self.reporter.skipped(job)
        self.finished_pretraining(job)

    def collect(self, fut: Future) -> None:
        job, lock = self.running.pop(fut)
        try:
            outcome: Outcome = fut.result()
        finally:
            if lock is not None:
                lock.release()
        if outcome.status == "busy":    # another process took its lock first: it waits for it
            self.reporter.waiting(job)
            self.pending.append(job)
            return
        if outcome.status == "cached":  # ... and finished it meanwhile
            self.skip(job)
            return
        if outcome.status == "lost":    # its worker died; every epoch it finished is checkpointed
            self.lost[job.key] = self.lost.get(job.key, 0) + 1
            if self.lost[job.key] <= MAX_WORKER_LOSSES and not self.stop.is_set():
                self.reporter.retrying(job)
                self.pending.insert(0, job)
                return
            outcome = Outcome(job.key, "failed", outcome.message)
        self.reporter.finished(job, outcome)
        self.account(job, outcome)

    def account(self, job: Job, outcome: Outcome) -> None:
        s = self.summary
        if outcome.status == "failed":
            s.failed.append((job.label, outcome.message))
            if job.is_pretraining:  # nothing that needs the backbone can run
                for j in [j for j in self.pending if j.needs(job)]:
                    self.pending.remove(j)
                    s.failed.append((j.label, "its pretrained backbone failed to train"))
        elif outcome.status == "interrupted":
            s.interrupted = True
        else:
            s.trained += 1
            s.diverged += outcome.status == "diverged"
            self.finished_pretraining(job)

    def finished_pretraining(self, job: Job) -> None:
        if job in self.unfinished:
            self.unfinished.remove(job)


def schedule(scheduler: Scheduler) -> Summary:
    """``scheduler.run()``, with the first Ctrl-C or SIGTERM turned into a stop after the current epochs;
    a second one raises KeyboardInterrupt (Terminated for SIGTERM: the caller cancels the executor's
    running jobs)."""
    interrupts = {"n": 0}

    def on_signal(signum, frame):
        interrupts["n"] += 1
        scheduler.summary.signal = scheduler.summary.signal or signum
        if interrupts["n"] > 1:
            raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt
        scheduler.stop.set()
        again = "Ctrl-C again to quit now" if signum == signal.SIGINT else "SIGTERM again (or Ctrl-C) to quit now"
        what = "" if signum == signal.SIGINT else "SIGTERM: "
        scheduler.reporter.say(f"{what}stopping after the current epoch (its checkpoint is kept); {again}")

    main_thread = threading.current_thread() is threading.main_thread()
    signals = (signal.SIGINT, signal.SIGTERM)
    old_handlers = {s: signal.signal(s, on_signal) for s in signals} if main_thread else {}
    try:
        return scheduler.run()
    finally:
        for s, handler in old_handlers.items():
            signal.signal(s, handler)
