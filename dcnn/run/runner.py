"""``dcnn run``: train every selected run that is not cached — plan, pick an executor, schedule.

The executors: in this process (``-j 1``), a pool of one-thread worker processes (``-j N``, one
or more per GPU), or Ray tasks (``--executor ray``). Ctrl-C stops after the current epochs' checkpoints.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import torch

from ..study.resolve import Study
from ..data.cache import StudyData, task_files
from ..registry.data import load_study_data, will_decode
from .execute import resolve_device
from .executors import ExecContext, Executor, get_executor
from .executors.local import pool_context
from .plan import Job, cached_runs, is_cached, plan, why, why_text
from .preflight import check_batches
from .progress import EventSink, Reporter, pump_events
from .machine import cores
from .schedule import Scheduler, Summary, schedule
from .sizing import choose_workers
from ..store.build import Store


def most_jobs(study: Study, patterns: list[str]) -> int:
    """The most jobs the selected runs can make before they are planned: each run, and each backbone the
    profile pretrains for a model that a pretrained run uses."""
    runs, pretrain = study.select(patterns), study.profile.pretrain
    models = {r.settings.model for r in runs if r.settings.pretrained}
    return len(runs) + (pretrain.seeds * len(models) if pretrain is not None else 0)


def default_workers(study: Study, device: torch.device) -> int:
    """One one-thread process per CPU core, or the profile's workers_per_gpu per GPU."""
    if device.type == "cuda":
        return study.profile.workers_per_gpu * max(1, torch.cuda.device_count())
    return cores()


@dataclass
class Prepared:
    data: StudyData
    data_files: dict            # the tasks' tensors, one file each, that every worker process loads
    pretrains: list[Job]        # this study's own pretraining, one per model a selected run needs
    jobs: list[Job]             # the pretraining jobs and every selected run


def _check_weights(jobs: list[Job]) -> None:
    """Stop before any training, with one line, when a library's weights are needed but cannot be had."""
    from ..registry.models import get_model

    for b in {j.backbone for j in jobs if j.backbone is not None and j.backbone.source != "own"}:
        weights = get_model(b.arch).weights
        if not weights.resolve(b.arch, b.name)[1].exists():
            weights.load(b.arch, b.name)  # downloads (torchvision), or raises the one-line ModelError


def prepare(study: Study, store: Store, patterns: list[str], data_dir) -> Prepared:
    """Decode the data (once), plan the jobs, and check that pretrained weights can be had."""
    data = load_study_data(study, store, data_dir)
    pretrains, jobs = plan(study, data, study.select(patterns))
    unique: dict[str, Job] = {}
    for j in jobs:                # a sweep point may be a run of a variant too: train it once, under its first name
        unique.setdefault(j.key, j)
    jobs = list(unique.values())
    check_batches(pretrains + jobs, data)
    _check_weights(jobs)
    return Prepared(data, task_files(store, data), pretrains, pretrains + jobs)


def _pump(ctx: ExecContext, reporter: Reporter) -> Callable[[], None]:
    """Relay the worker processes' epochs to the reporter, in a thread; returns what stops it."""
    done = threading.Event()
    thread = threading.Thread(target=pump_events, args=(ctx, reporter, done), daemon=True)
    thread.start()

    def stop() -> None:
        done.set()
        thread.join(timeout=1)
    return stop


def _context(study: Study, store: Store, dev: torch.device, workers: int, reporter: Reporter,
             ray_address: Optional[str]) -> ExecContext:
    """What the executor is made from; with more than one worker process, a stop flag and an events queue
    that they share."""
    mpc = pool_context() if workers > 1 else None   # (it sets the process's forkserver preload list)
    return ExecContext(str(store.root), str(dev), max(1, workers), mpc.Event() if mpc else threading.Event(),
                       mpc.Queue() if mpc else EventSink(reporter), profile=study.profile, ray_address=ray_address)


def run_study(study: Study, build: Path, *, patterns: list[str] | None = None, data_dir=None,
              device: str = "auto", workers: Optional[int] = None, force: bool = False,
              executor: str = "local", ray_address: Optional[str] = None,
              reporter: Optional[Reporter] = None) -> Summary:
    """Train every selected run that is not cached (all of them with ``force``)."""
    store = Store(build)
    study.select(patterns or [])   # an unknown name fails before any work
    kind = get_executor(executor)
    kind.check()                    # ... and so does a missing Ray, submitit or sbatch
    dev = resolve_device(device)    # ... and a device that is not there
    store.check_writable()
    store.sweep_temporaries()
    requested, default = workers, default_workers(study, dev)
    reporter = reporter or Reporter()
    ctx = _context(study, store, dev, min(requested or default, most_jobs(study, patterns or [])) if kind.local
                   else 1, reporter, ray_address)
    pooled = ctx.workers > 1
    stop_pump = _pump(ctx, reporter) if pooled else (lambda: None)
    ex: Optional[Executor] = None
    try:
        if pooled and will_decode(study, store, data_dir):
            ex = kind.make(ctx)   # decoding takes a while: let the workers start meanwhile
        p = prepare(study, store, patterns or [], data_dir)
        todo = [j for j in p.jobs if force or not is_cached(store, j)]
        if not force:
            say_why(store, todo, reporter)
        ctx.force = {j.key for j in p.jobs} if force else set()
        ctx.data_files, ctx.data = p.data_files, p.data
        if kind.local:                         # -j: at least 1, at most the runs to train, within memory
            ctx.workers = min(ctx.workers, choose_workers(requested, default, todo, p.data))
        if not todo and ex is None:            # nothing to train: no pool, no cluster
            ctx.workers, kind = 1, get_executor("local")
        ex = ex or kind.make(ctx)
        ex.workers = min(ex.workers, ctx.workers) if kind.local else ex.workers
        summary = schedule(Scheduler(todo, [j for j in p.jobs if j not in todo], p.pretrains, store, ex, force=force,
                                     reporter=reporter, stop=ctx.stop))
        store.sweep_temporaries()   # what a worker that died mid-write left behind
    except KeyboardInterrupt:
        _cancel(ex, reporter)
        ex = None
        raise
    finally:
        try:
            if ex is not None:
                ex.close()
        finally:
            stop_pump()                 # the pump ends before the reporter closes
            reporter.close()
    return summary


NAMED_NEW_RUNS = 20   # up to this many never-trained runs are named one per line; more are counted


def say_why(store: Store, todo: list[Job], reporter: Reporter) -> None:
    """One line per run about to train: what changed since its cached result (or that it never trained)."""
    previous = cached_runs(store)
    reasons = [(job, why(store, job, previous)) for job in todo if job.spec is not None]
    new = [job for job, r in reasons if r.get("why") == "never trained" and r["state"] == "missing"]
    for job, reason in reasons:
        if job not in new or len(new) <= NAMED_NEW_RUNS:
            reporter.say(f"to train: {job.label}: {why_text(reason)}")
    if len(new) > NAMED_NEW_RUNS:
        reporter.say(f"to train: {len(new)} runs never trained (python -m dcnn list --why names each)")


def _cancel(ex: Optional[Executor], reporter: Reporter) -> None:
    """A second Ctrl-C: the running jobs stop now (each keeps its last finished epoch)."""
    if ex is not None:
        n = ex.cancel()
        if n:
            reporter.say(f"stopped {n} running {ex.noun if n == 1 else ex.nouns} at once; "
                         "each run resumes from its last finished epoch")

