"""``dcnn run --executor ray``: every missing run becomes a Ray task.

Tasks get the decoded data and the backbone through Ray's object store and return their result;
the driver writes the cache, so the cluster needs no shared file system. A task's CPU and GPU share
comes from the profile (``ray_cpus_per_run``, ``ray_gpus_per_run``). Ray is an optional extra:
``pip install -e .[ray]``.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from typing import Any, Optional

import torch

from .runner import Executor, Job, Outcome, StudyData, train_job
from .store import Store, StoreError

log = logging.getLogger("dcnn")


def _train_remote(job: Job, data: dict, backbone: Optional[dict], device: str) -> dict:
    """Runs inside a Ray worker: train one job, return what the driver needs to cache it."""
    import torch as _torch

    _torch.set_num_threads(1)
    if device == "cuda" and not _torch.cuda.is_available():
        device = "cpu"
    if backbone is None and job.backbone and job.backbone.startswith("imagenet:"):
        from .models import load_imagenet_vgg16

        backbone = load_imagenet_vgg16(job.backbone.split(":")[1])
    t0 = time.perf_counter()
    try:
        payload, result = train_job(job, StudyData.from_dict(data), backbone, device=_torch.device(device))
    except Exception as exc:  # recorded by the driver; the other runs go on
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}".splitlines()[0],
                "seconds": time.perf_counter() - t0}
    return {"status": payload["status"], "payload": payload, "state": result.state_dict,
            "seconds": time.perf_counter() - t0}


class RayExecutor(Executor):
    def __init__(self, store: Store, data: StudyData, device: torch.device, address: Optional[str], profile: Any):
        try:
            import ray
        except ImportError:
            raise StoreError("--executor ray needs Ray: pip install -e '.[ray]'") from None
        self.ray, self.store = ray, store
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"address": address} if address else {}
            ray.init(ignore_reinit_error=True, include_dashboard=False, log_to_driver=False,
                     logging_level=logging.WARNING, **kwargs)
        self.cpus = float(profile.ray_cpus_per_run)
        self.gpus = float(profile.ray_gpus_per_run)
        self.device = "cuda" if self.gpus > 0 else "cpu"
        total_cpu = ray.cluster_resources().get("CPU", 1.0)
        total_gpu = ray.cluster_resources().get("GPU", 0.0)
        by_cpu = int(total_cpu // self.cpus) if self.cpus else 10**6
        by_gpu = int(total_gpu // self.gpus) if self.gpus else 10**6
        self.workers = max(1, min(by_cpu, by_gpu))
        self.data_ref = ray.put(data.to_dict())
        self.backbones: dict[str, Any] = {}
        self.remote = ray.remote(_train_remote)

    def _backbone_ref(self, job: Job) -> Any:
        if job.backbone is None or job.backbone.startswith("imagenet:"):
            return None  # ImageNet weights are loaded by the task, from its node's torch hub cache
        if job.backbone not in self.backbones:
            state = self.store.read_backbone(job.backbone)
            if state is None:
                raise StoreError(f"the pretrained backbone {job.backbone[:12]} is missing; rerun to pretrain it")
            self.backbones[job.backbone] = self.ray.put(state)
        return self.backbones[job.backbone]

    def submit(self, job: Job) -> Future:
        out: Future = Future()
        ref = self.remote.options(num_cpus=self.cpus, num_gpus=self.gpus).remote(
            job, self.data_ref, self._backbone_ref(job), self.device)

        def finish(done: Future) -> None:
            try:
                res = done.result()
                out.set_result(self._record(job, res))
            except BaseException as exc:  # a lost worker, a failed write
                out.set_exception(exc)

        ref.future().add_done_callback(finish)
        return out

    def _record(self, job: Job, res: dict) -> Outcome:
        """The driver writes the cache: the same files the local executor writes."""
        if res["status"] == "failed":
            self.store.write_failure(job.key, {"label": job.label, "status": "failed", "error": res["error"]})
            return Outcome(job.key, "failed", res["error"], res["seconds"])
        payload = res["payload"]
        if job.kind == "pretrain":
            self.store.write_pretrain(job.key, payload, res["state"])
        else:
            self.store.write_result(job.key, payload)
        best = min((h["val_loss"] for h in payload["history"]), default=None)
        return Outcome(job.key, payload["status"], seconds=res["seconds"], best_val_loss=best)

    def close(self) -> None:
        pass
