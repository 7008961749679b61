"""``dcnn run --executor ray``: every missing run becomes a Ray task.

Tasks get the decoded data and the backbone through Ray's object store and return their result;
the driver records it in the cache (execute.record, as every executor does). Checkpoints travel to
the driver too: a small actor pinned to the driver's node keeps them in the driver's build
directory, so the cluster needs no shared file system, and a task whose worker dies is retried by
Ray and resumes from its run's last finished epoch. The first Ctrl-C makes every task stop after
its current epoch; a second one cancels them. A task's CPU and GPU share come from the profile
(``ray_cpus_per_run``, ``ray_gpus_per_run``). Ray is an optional extra: ``pip install 'dcnn[ray]'``.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from typing import Any, Optional

import torch

from ...errors import InputError
from ...store import faults
from ...data.cache import StudyData
from ..execute import Outcome, error_message, load_backbone, record, record_failure, train_job
from ..plan import Job
from ...store.build import Store
from . import ExecContext, Executor

log = logging.getLogger("dcnn")
RETRIES = 1  # a task whose worker process dies is run again once (resuming), then recorded as failed


class MissingExtra(InputError):
    """An optional dependency is not installed: bad input (exit 2), with the command that installs it."""


def require_ray():
    """The ray module, or the one-line bad-input error naming the command that installs it."""
    try:
        import ray
    except ImportError:
        raise MissingExtra("--executor ray needs Ray, an optional extra: pip install 'dcnn[ray]'") from None
    return ray


class CheckpointKeeper:
    """A Ray actor on the driver's node: reads and writes checkpoints in the driver's build directory
    for tasks on any node, and tells them when the user asked to stop."""

    def __init__(self, root: str):
        self.store, self.stopping = Store(root), False

    def load(self, key: str, pretraining: bool) -> Optional[dict]:
        return self.store.checkpoint(key, pretraining).load()

    def save(self, key: str, pretraining: bool, state: dict) -> None:
        self.store.checkpoint(key, pretraining).save(state)

    def stop(self) -> None:
        self.stopping = True

    def stopped(self) -> bool:
        return self.stopping


class _RemoteCheckpoint:
    """train.Checkpoint for a task: every load and save goes to the keeper on the driver's node."""

    def __init__(self, keeper: Any, key: str, pretraining: bool):
        self.keeper, self.key, self.pretraining = keeper, key, pretraining

    def load(self) -> Optional[dict]:
        import ray

        return ray.get(self.keeper.load.remote(self.key, self.pretraining))

    def save(self, state: dict) -> None:
        import ray

        ray.get(self.keeper.save.remote(self.key, self.pretraining, state))


def _train_remote(job: Job, data: dict, backbone: Optional[dict], device: str, keeper: Any) -> dict:
    """Runs inside a Ray worker: train one job (resuming from its checkpoint), return its result."""
    import ray

    torch.set_num_threads(1)
    if device == "cuda" and not torch.cuda.is_available():
        device = "cpu"
    t0 = time.perf_counter()
    node = ray.get_runtime_context().get_node_id()
    try:
        if backbone is None and job.backbone is not None:   # ImageNet weights: from this node's hub cache
            try:
                backbone = load_backbone(job.backbone, None)
            except Exception as exc:
                raise RuntimeError(f"Ray node {node[:8]} lacks the backbone weights ({error_message(exc)}); put "
                                   "the weights file in every node's torch hub cache (docs/cluster.md)") from None
        payload, result = train_job(job, StudyData.from_dict(data), backbone, device=torch.device(device),
                                    checkpoint=_RemoteCheckpoint(keeper, job.key, job.is_pretraining),
                                    on_epoch=lambda epoch, row: faults.hit("train.epoch_end"),
                                    should_stop=lambda: ray.get(keeper.stopped.remote()))
    except Exception as exc:  # recorded by the driver; the other runs go on
        return {"error": error_message(exc), "seconds": time.perf_counter() - t0}
    payload["env"]["ray_node"] = node    # where it trained (the cache keeps it)
    return {"payload": payload, "result": result, "seconds": time.perf_counter() - t0}


def task_failure(exc: BaseException) -> str:
    """Why a Ray task failed, in one line: a node without dcnn says so, with what to do."""
    text = str(exc)
    if "ModuleNotFoundError" in text and "'dcnn'" in text:
        return ("a node of the Ray cluster lacks dcnn: pip install it on every node, as on the driver "
                "(docs/cluster.md)")
    return f"the Ray task failed ({type(exc).__name__}); rerun to resume from its last finished epoch"


class RayExecutor(Executor):
    noun, nouns = "Ray task", "Ray tasks"

    def __init__(self, ctx: ExecContext):
        ray = require_ray()
        self.ray, self.store, self.force = ray, Store(ctx.root), ctx.force
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"address": ctx.ray_address} if ctx.ray_address else {}
            if fault_env := faults.settings():   # a test's fault or delay reaches the tasks on every node
                kwargs["runtime_env"] = {"env_vars": fault_env}
            ray.init(ignore_reinit_error=True, include_dashboard=False, log_to_driver=False,
                     logging_level=logging.WARNING, **kwargs)
        self.cpus, self.gpus = float(ctx.profile.ray_cpus_per_run), float(ctx.profile.ray_gpus_per_run)
        self.device = "cuda" if self.gpus > 0 else "cpu"
        resources = ray.cluster_resources()
        by_cpu = int(resources.get("CPU", 1.0) // self.cpus) if self.cpus else 10**6
        by_gpu = int(resources.get("GPU", 0.0) // self.gpus) if self.gpus else 10**6
        self.workers = max(1, min(by_cpu, by_gpu))
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        here = NodeAffinitySchedulingStrategy(node_id=ray.get_runtime_context().get_node_id(), soft=False)
        self.keeper = ray.remote(CheckpointKeeper).options(num_cpus=0, scheduling_strategy=here).remote(ctx.root)
        self.data_ref = ray.put(ctx.data.to_dict())
        self.backbones: dict[str, Any] = {}
        self.remote = ray.remote(_train_remote)
        self.running: dict[Any, Job] = {}
        threading.Thread(target=self._relay_stop, args=(ctx.stop,), daemon=True).start()

    def _relay_stop(self, stop: threading.Event) -> None:
        stop.wait()
        self.keeper.stop.remote()

    def _backbone_ref(self, job: Job) -> Any:
        if job.backbone is None or job.backbone.source != "own":
            return None  # torchvision's weights are loaded by the task, from its node's torch hub cache
        name = job.backbone.name
        if name not in self.backbones:
            self.backbones[name] = self.ray.put(load_backbone(job.backbone, self.store))
        return self.backbones[name]

    def submit(self, job: Job) -> Future:
        out: Future = Future()
        if job.key in self.force:
            self.store.checkpoint(job.key, job.is_pretraining).clear()
        ref = self.remote.options(num_cpus=self.cpus, num_gpus=self.gpus, max_retries=RETRIES).remote(
            job, self.data_ref, self._backbone_ref(job), self.device, self.keeper)
        self.running[ref] = job
        t0 = time.perf_counter()

        def finish(done: Future) -> None:
            self.running.pop(ref, None)
            try:
                out.set_result(self._record(job, done, time.perf_counter() - t0))
            except BaseException as exc:  # a failed write
                out.set_exception(exc)

        ref.future().add_done_callback(finish)
        return out

    def _record(self, job: Job, done: Future, seconds: float) -> Outcome:
        """The driver writes the cache: the same files, through the same code, as every executor."""
        try:
            res = done.result()
        except self.ray.exceptions.TaskCancelledError:
            return Outcome(job.key, "interrupted", "cancelled", seconds)
        except self.ray.exceptions.RayError as exc:   # its worker died RETRIES + 1 times, or cannot import dcnn
            return record_failure(self.store, job, task_failure(exc), seconds)
        if "error" in res:
            return record_failure(self.store, job, res["error"], res["seconds"])
        return record(self.store, job, res["payload"], res["result"], res["seconds"])

    def cancel(self) -> int:
        refs = list(self.running)
        for ref in refs:
            self.ray.cancel(ref, force=True)
        return len(refs)
