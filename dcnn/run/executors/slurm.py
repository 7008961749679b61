"""``dcnn run --executor slurm``: every missing run is a Slurm job, submitted through submitit.

The build directory lies on the cluster's shared file system, as Slurm users' home and project
directories do: each job trains its run on a compute node and writes its result and its per-epoch
checkpoint there, exactly as a local worker process does. Runs that become ready together (the
scheduler releases them as their backbones are pretrained) go as one job array. A job that is
preempted or reaches its time limit is requeued by submitit's checkpointing (``checkpoint`` below)
and resumes from its last finished epoch; a job that dies otherwise comes back ``lost`` and the
scheduler resubmits it once, resuming too. The driver, on the login node, waits, shows each run's
epochs (jobs write them next to their logs) and, on Ctrl-C, stops every job after its epoch (a stop
file the jobs read) and cancels the queued ones; a second Ctrl-C cancels every job (``scancel``).

Settings come from the profile (``slurm_partition``, ``slurm_time_min``, ``slurm_cpus_per_run``,
``slurm_gpus_per_run``, ``slurm_array_parallelism``, ``slurm_extra``). Without a cluster,
``DCNN_SUBMITIT_CLUSTER=local`` runs the same jobs as subprocesses through submitit's local
executor (the same pickling, signals and requeueing), which is how the tests run it.
"""
from __future__ import annotations

import json
import os
import shutil
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from ..execute import Outcome, Worker
from ..plan import Job
from ...store.build import Store
from . import ExecContext, Executor
from .ray import MissingExtra

try:   # the jobs unpickle RunJob on the compute node, where submitit is installed with dcnn
    from submitit.helpers import Checkpointable, DelayedSubmission
except ImportError:   # require_submitit says what to install
    Checkpointable, DelayedSubmission = object, None

CLUSTER_ENV = "DCNN_SUBMITIT_CLUSTER"   # slurm (default) | local | debug: submitit's executor
POLL_S = 1.0                            # how often the driver looks at its jobs


def require_submitit() -> Any:
    try:
        import submitit
    except ImportError:
        raise MissingExtra("--executor slurm needs submitit, an optional extra: pip install 'dcnn[slurm]'") from None
    return submitit


def cluster_kind() -> str:
    """Which submitit executor: Slurm unless the environment asks for the local or debug one."""
    kind = os.environ.get(CLUSTER_ENV, "slurm")
    if kind not in ("slurm", "local", "debug"):
        raise MissingExtra(f"{CLUSTER_ENV}={kind}: allowed are slurm, local and debug")
    missing = [tool for tool in ("sbatch", "srun") if shutil.which(tool) is None] if kind == "slurm" else []
    if missing:   # (each job's script runs srun; without it submitit would quietly train here instead)
        raise MissingExtra(f"--executor slurm: {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not on "
                           "PATH; run dcnn on a Slurm login node, or train here with --executor local")
    return kind


class StopFile:
    """The first Ctrl-C, as the jobs on other nodes see it: a file in the shared build directory."""

    def __init__(self, path: Path):
        self.path = path

    def is_set(self) -> bool:
        return self.path.exists()


class EpochFiles:
    """Where a job reports its finished epochs: one small JSON file per run, read by the driver."""

    def __init__(self, folder: Path):
        self.folder = folder

    def put(self, item: tuple) -> None:
        key, epoch, row = item
        tmp = self.folder / f"{key}.tmp"
        tmp.write_text(json.dumps({"epoch": epoch, "row": row}))
        tmp.replace(self.folder / f"{key}.json")


class RunJob(Checkpointable):
    """One run as a submitit job: trains it (resuming from its last epoch) and records it."""

    def __init__(self, job: Job, root: str, data_files: dict, device: str, threads: int, fresh: bool):
        self.job, self.root, self.data_files = job, root, data_files
        self.device, self.threads, self.fresh = device, threads, fresh

    def __call__(self) -> Outcome:
        import torch

        torch.set_num_threads(self.threads)
        folder = Path(self.root) / "slurm"
        worker = Worker(self.device, StopFile(folder / "stop"), EpochFiles(folder / "epochs"))
        return worker.execute(self.job, self.root, self.data_files, self.fresh)

    def checkpoint(self, *args: Any, **kwargs: Any) -> Any:
        """Preempted or out of time: requeued, and the new job resumes from the last finished epoch."""
        self.fresh = False
        return DelayedSubmission(self)


class SlurmExecutor(Executor):
    noun, nouns = "Slurm job", "Slurm jobs"

    def __init__(self, ctx: ExecContext):
        submitit = require_submitit()
        self.kind, self.ctx, self.store = cluster_kind(), ctx, Store(ctx.root)
        self.folder = Path(ctx.root) / "slurm"
        (self.folder / "epochs").mkdir(parents=True, exist_ok=True)
        (self.folder / "stop").unlink(missing_ok=True)
        p = ctx.profile
        self.ex = submitit.AutoExecutor(folder=self.folder / "%j", cluster=self.kind)
        self.ex.update_parameters(name="dcnn", timeout_min=p.slurm_time_min, cpus_per_task=p.slurm_cpus_per_run,
                                  gpus_per_node=p.slurm_gpus_per_run, slurm_partition=p.slurm_partition,
                                  slurm_array_parallelism=p.slurm_array_parallelism,
                                  slurm_additional_parameters=dict(p.slurm_extra))
        self.workers = p.slurm_array_parallelism
        self.device = "cuda" if p.slurm_gpus_per_run else "cpu"
        self.lock = threading.Lock()
        self.pending: list[tuple[Job, Future]] = []
        self.running: dict[str, Any] = {}
        threading.Thread(target=self._relay_stop, args=(ctx.stop,), daemon=True).start()

    def _relay_stop(self, stop: Any) -> None:
        stop.wait()
        (self.folder / "stop").touch()
        for sjob in list(self.running.values()):    # queued jobs would start only to stop: cancel them
            if sjob.state in ("PENDING", "REQUEUED"):
                sjob.cancel(check=False)

    def submit(self, job: Job) -> Future:
        out: Future = Future()
        with self.lock:
            self.pending.append((job, out))
            if len(self.pending) == 1:   # jobs submitted within a moment of each other go as one array
                threading.Timer(0.2, self._flush).start()
        return out

    def _flush(self) -> None:
        with self.lock:
            batch, self.pending = self.pending, []
        tasks = [RunJob(job, self.ctx.root, self.ctx.data_files, self.device, int(self.ctx.profile.slurm_cpus_per_run),
                           job.key in self.ctx.force) for job, _ in batch]
        try:
            with self.ex.batch():
                sjobs = [self.ex.submit(t) for t in tasks]
        except Exception as exc:   # sbatch refused the array (a bad partition, say): every run fails
            for job, out in batch:
                out.set_result(Outcome(job.key, "failed", f"sbatch: {exc}".splitlines()[0]))
            return
        for (job, out), sjob in zip(batch, sjobs):
            if self.kind != "slurm":
                # submitit waits 15 s for the result file of a job that ended without one, in case a
                # shared file system shows it late; a local job's files are on this machine's disk.
                sjob._results_timeout_s = 1
            self.running[job.key] = sjob
            threading.Thread(target=self._wait, args=(job, sjob, out), daemon=True).start()

    def _wait(self, job: Job, sjob: Any, out: Future) -> None:
        t0, seen = time.perf_counter(), 0
        epochs = self.folder / "epochs" / f"{job.key}.json"
        while self.kind != "debug" and not sjob.done():
            seen = self._epoch(job, epochs, seen)
            time.sleep(POLL_S)
        self._epoch(job, epochs, seen)
        try:
            outcome = sjob.result()
        except Exception as exc:   # killed, cancelled, out of requeues: every finished epoch is checkpointed
            outcome = Outcome(job.key, "lost", f"Slurm job {sjob.job_id} ended without a result "
                              f"({type(exc).__name__}); rerun to resume from its last finished epoch",
                              time.perf_counter() - t0)
        self.running.pop(job.key, None)
        out.set_result(outcome)

    def _epoch(self, job: Job, path: Path, seen: int) -> int:
        """Report the job's newly finished epoch to the progress display."""
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            return seen
        if state["epoch"] > seen and self.ctx.events is not None:
            self.ctx.events.put((job.key, state["epoch"], state["row"]))
        return max(seen, state["epoch"])

    def cancel(self) -> int:
        jobs = list(self.running.values())
        for sjob in jobs:
            sjob.cancel(check=False)
        return len(jobs)
