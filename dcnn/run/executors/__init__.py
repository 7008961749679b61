"""Where jobs run: in this process, in a pool of worker processes, as Ray tasks or as Slurm jobs.

Each is one registered ``ExecutorKind`` (its name, what it is, the check of its optional extra, how
it is made, whether ``-j`` sets its worker processes); ``make_executor`` looks the name up once and
makes it from one ``ExecContext``. Every executor and takes jobs through
``submit``, handing back a ``Future`` of the job's ``Outcome``. Each turns its own failures into an
outcome — a worker process that died is ``lost`` (the scheduler retries it once, resuming from its
last finished epoch) — so the scheduler (schedule.py) knows no executor's exceptions.
"""
from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional

if TYPE_CHECKING:   # (the planning imports torch; the argument parser reads this registry)
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
    # True: the process that trains a job takes its lock (Worker.execute(lock=True)) and may answer
    # "busy" or "cached"; False: the scheduler holds each job's lock while it runs (Ray, Slurm).
    locks_runs = False

    def submit(self, job: "Job") -> Future:
        raise NotImplementedError

    def cancel(self) -> int:
        """A second Ctrl-C: stop every running job now (each keeps its last epoch's checkpoint);
        returns how many were stopped."""
        return 0

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class ExecutorKind:
    """One way of running jobs, as ``--executor`` names it."""

    name: str
    description: str
    make: Callable[[ExecContext], Executor]
    check: Callable[[], None] = lambda: None   # a missing extra (or sbatch): a one-line InputError, before any work
    local: bool = False                        # trains on this machine: -j sets its worker processes


EXECUTORS: dict[str, ExecutorKind] = {}


def register_executor(kind: ExecutorKind) -> ExecutorKind:
    EXECUTORS[kind.name] = kind
    return kind


def get_executor(name: str) -> ExecutorKind:
    from ...errors import ArgumentError

    try:
        return EXECUTORS[name]
    except KeyError:
        raise ArgumentError(f"--executor {name}: unknown (allowed: {', '.join(EXECUTORS)})") from None


def make_executor(kind: str, ctx: ExecContext) -> Executor:
    """The registered executor ``kind``, made from ``ctx``."""
    return get_executor(kind).make(ctx)


def _local(ctx: ExecContext) -> Executor:
    from .local import InlineExecutor, PoolExecutor

    return PoolExecutor(ctx) if ctx.workers > 1 else InlineExecutor(ctx)


def _ray(ctx: ExecContext) -> Executor:
    from .ray import RayExecutor

    return RayExecutor(ctx)


def _ray_check() -> None:
    from .ray import require_ray

    require_ray()


def _slurm(ctx: ExecContext) -> Executor:
    from .slurm import SlurmExecutor

    return SlurmExecutor(ctx)


def _slurm_check() -> None:
    from .slurm import cluster_kind, require_submitit

    require_submitit()
    cluster_kind()


register_executor(ExecutorKind("local", "here: in this process (-j 1) or in one-thread worker processes", _local,
                               local=True))
register_executor(ExecutorKind("ray", "a Ray cluster, local or joined with --ray-address (docs/cluster.md)", _ray,
                               _ray_check))
register_executor(ExecutorKind("slurm", "each run a Slurm job through submitit, requeued on preemption", _slurm,
                               _slurm_check))
