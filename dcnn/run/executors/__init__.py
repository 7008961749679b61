"""Where jobs run: in this process, in a pool of worker processes, as Ray tasks or as Slurm jobs.

Every executor is made by ``make_executor`` from one ``ExecContext`` and takes jobs through
``submit``, handing back a ``Future`` of the job's ``Outcome``. Each turns its own failures into an
outcome — a worker process that died is ``lost`` (the scheduler retries it once, resuming from its
last finished epoch) — so the scheduler (schedule.py) knows no executor's exceptions.
"""
from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Optional

from ..plan import Job


@dataclass
class ExecContext:
    """What every executor is made from."""

    root: str                               # the build directory
    device: str                             # cpu, cuda, cuda:1, mps
    workers: int                            # jobs at once
    stop: Any                               # an Event: stop after the current epoch (the first Ctrl-C)
    events: Any = None                      # where epochs are reported (a queue, or an EventSink)
    force: set[str] = field(default_factory=set)    # keys to retrain from scratch
    data_files: Optional[dict] = None       # the tasks' tensor files (set once the data are prepared)
    data: Any = None                        # the StudyData itself (Ray ships it through its object store)
    profile: Any = None                     # Ray: each run's share of a node
    ray_address: Optional[str] = None


class Executor:
    """Runs jobs through ``submit``; subclasses: inline and process pool (local.py), Ray (ray.py)."""

    workers = 1
    noun, nouns = "run", "runs"   # what a running job is called when a second Ctrl-C stops it

    def submit(self, job: Job) -> Future:
        raise NotImplementedError

    def cancel(self) -> int:
        """A second Ctrl-C: stop every running job now (each keeps its last epoch's checkpoint);
        returns how many were stopped."""
        return 0

    def close(self) -> None:
        pass


def make_executor(kind: str, ctx: ExecContext) -> Executor:
    """``local`` (in this process with one worker, else a pool of worker processes), ``ray`` or ``slurm``."""
    if kind == "ray":
        from .ray import RayExecutor

        return RayExecutor(ctx)
    if kind == "slurm":
        from .slurm import SlurmExecutor

        return SlurmExecutor(ctx)
    from .local import InlineExecutor, PoolExecutor

    return PoolExecutor(ctx) if ctx.workers > 1 else InlineExecutor(ctx)
