"""Executing one job, in whichever process: train it, then record its outcome in the cache.

``record`` and ``record_failure`` are the one place where a finished or failed job is written; the
local executors call them in the process that trained the job, the Ray executor in the driver.
"""
from __future__ import annotations

import platform
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Optional

import torch

from ..errors import ArgumentError
from ..store import faults
from ..data.cache import StudyData, load_task_files
from .plan import Backbone, Job, code_version, is_cached
from .machine import cores, cpu_model
from ..store.build import Store, StoreError
from ..train.fit import FitResult, confusion_payload, fit


@dataclass
class Outcome:
    """What the scheduler learns of a job it ran."""

    key: str
    status: str                         # complete | diverged | interrupted | failed | lost (its worker died)
                                        # | busy (another process holds its lock) | cached (finished meanwhile)
    message: str = ""
    seconds: float = 0.0
    best_val_loss: Optional[float] = None
    resumed_at: Optional[int] = None    # the epoch a resumed run continued at (None: from the start)
    steps: int = 0                      # optimizer steps taken in this attempt
    epochs_done: int = 0                # finished epochs (an interrupted run's checkpoint holds them)
    epochs: int = 0


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def error_message(exc: BaseException) -> str:
    """One line: the exception's type and the first line of its message."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}".strip()


def env_info(device: torch.device | str) -> dict:
    device = torch.device(device)
    import torchvision

    name = torch.cuda.get_device_name(device) if device.type == "cuda" else (platform.processor() or platform.machine())
    return {"device": str(device), "device_name": name, "torch": torch.__version__,
            "torchvision": torchvision.__version__, "python": platform.python_version(),
            "threads": torch.get_num_threads(), "cpu": cpu_model(), "cores": cores()}


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks cuda, then mps, then cpu; anything else must be available."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise ArgumentError(f"--device {name}: unknown (allowed: auto, cpu, cuda, cuda:N, mps)") from None
    if dev.type not in ("cpu", "cuda", "mps"):
        raise ArgumentError(f"--device {name}: dcnn trains on cpu, cuda or mps (allowed: auto, cpu, cuda, cuda:N, mps)")
    if dev.type == "cuda" and torch.cuda.is_available() and (dev.index or 0) >= torch.cuda.device_count():
        raise ArgumentError(f"--device {name}: this machine has {torch.cuda.device_count()} CUDA device(s) "
                            f"(allowed: cuda:0 to cuda:{torch.cuda.device_count() - 1})")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ArgumentError(f"--device {name}: CUDA is not available here (allowed: auto, cpu)")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ArgumentError(f"--device {name}: MPS is not available here (allowed: auto, cpu)")
    return dev


def load_backbone(backbone: Backbone, store: Optional[Store]) -> dict[str, torch.Tensor]:
    """The weights a pretrained run starts from: its library's (torchvision's, timm's), or this study's own
    pretraining."""
    if backbone.source != "own":
        from ..registry.models import get_model

        return get_model(backbone.arch).weights.load(backbone.arch, backbone.name)
    state = store.read_backbone(backbone.name) if store else None
    if state is None:
        raise StoreError(f"the pretrained backbone {backbone.name[:12]} is missing; rerun to pretrain it")
    return state


def train_job(job: Job, data: StudyData, backbone_state: Optional[dict], *, device: torch.device,
              checkpoint=None, on_epoch=None, should_stop=None) -> tuple[dict, FitResult]:
    """Train one job; returns (its payload for the cache, fit's result)."""
    task = data.source if job.is_pretraining else data.target
    t0 = time.perf_counter()
    result = fit(job.config, task.train, task.val, test=task.test, device=device, init_state=backbone_state,
                 checkpoint=checkpoint, on_epoch=on_epoch, should_stop=should_stop,
                 keep_state=job.is_pretraining, cuda_graphs=job.cuda_graphs,
                 cudnn_benchmark=job.cudnn_benchmark)
    payload = {
        "kind": job.kind.value, "label": job.label, "status": result.status, "history": result.history,
        "diverged_epoch": result.diverged_epoch, "divergence": result.divergence, "stopped_early": result.stopped_early,
        "confusion": confusion_payload(result.confusion),
        "trainable_params": result.trainable_params, "frozen_batchnorms": result.frozen_batchnorms,
        "total_params": result.total_params, "num_classes": task.num_classes, "config": job.config.key_fields(),
        "backbone": str(job.backbone) if job.backbone else None, "code_version": code_version(), "data": job.data,
        "env": env_info(device), "train_seconds": round(time.perf_counter() - t0, 3), "finished_at": now(),
    }
    if job.spec is not None:
        payload.update(variant=job.spec.variant, lr=job.spec.lr, seed=job.spec.seed)
    if job.is_pretraining:
        payload["source_accuracy"] = result.history[-1]["val_acc"] if result.history else None
    return payload, result


def record(store: Store, job: Job, payload: dict, result: FitResult, seconds: float) -> Outcome:
    """Write a finished job (a pretraining job with its weights) to the cache; an interrupted one
    writes nothing here (its checkpoint holds its finished epochs)."""
    progress = dict(resumed_at=result.start_epoch if result.start_epoch > 1 else None, steps=result.steps,
                    epochs_done=len(result.history), epochs=job.config.epochs)
    if payload["status"] == "interrupted":
        return Outcome(job.key, "interrupted", seconds=seconds, **progress)
    if job.is_pretraining:
        store.write_pretrain(job.key, payload, result.state_dict)
    else:
        store.write_result(job.key, payload)
    best = min((h["val_loss"] for h in payload["history"]), default=None)
    return Outcome(job.key, payload["status"], seconds=seconds, best_val_loss=best, **progress)


def record_failure(store: Store, job: Job, message: str, seconds: float) -> Outcome:
    """A job that raised: recorded (the report shows it, the next run retries it); the others go on."""
    try:
        store.write_failure(job.key, {"label": job.label, "status": "failed", "error": message, "finished_at": now()})
    except StoreError:
        pass
    return Outcome(job.key, "failed", message, seconds)


class Worker:
    """One training process's state between jobs: its device, the stop flag, where epochs are
    reported, and the decoded data and backbones it has loaded (each once, not once per job)."""

    def __init__(self, device: str, stop: Any = None, events: Any = None):
        self.device, self.stop, self.events = torch.device(device), stop, events
        self._data: dict[str, StudyData] = {}
        self._backbones: dict[str, dict] = {}

    def data(self, files: dict) -> StudyData:
        key = f"{files['target']}|{files['source']}"
        if key not in self._data:
            self._data[key] = load_task_files(files)
        return self._data[key]

    def backbone(self, job: Job, store: Store) -> Optional[dict]:
        """The pretrained weights, kept on this worker's device (each run copies them there, which on
        a GPU is far cheaper than from the host)."""
        if job.backbone is None:
            return None
        ref = str(job.backbone)
        if ref not in self._backbones:
            self._backbones[ref] = {k: v.to(self.device) for k, v in load_backbone(job.backbone, store).items()}
        return self._backbones[ref]

    def _on_epoch(self, job: Job) -> Callable[[int, dict], None]:
        def on_epoch(epoch: int, row: dict) -> None:
            faults.hit("train.epoch_end")
            if self.events is not None:
                self.events.put((job.key, epoch, row))
        return on_epoch

    def execute(self, job: Job, root: str, data_files: dict, force_fresh: bool = False, lock: bool = False) -> Outcome:
        """Train ``job`` in this process and record its outcome. With ``lock``, this process holds the
        run's lock while it trains it: "busy" when another process holds it, "cached" when another
        finished it meanwhile (neither trains anything)."""
        store = Store(root)
        held = store.try_lock(job.key) if lock else None
        if lock and held is None:
            return Outcome(job.key, "busy")
        try:
            if lock and not force_fresh and is_cached(store, job):
                return Outcome(job.key, "cached")
            return self._train(store, job, data_files, force_fresh)
        finally:
            if held is not None:
                held.release()

    def _train(self, store: Store, job: Job, data_files: dict, force_fresh: bool) -> Outcome:
        t0 = time.perf_counter()
        ckpt = store.checkpoint(job.key, job.is_pretraining)
        if force_fresh:
            ckpt.clear()
        stop = self.stop
        try:
            data = self.data(data_files)
            backbone = self.backbone(job, store)
            faults.hit("train.start")
            payload, result = train_job(job, data, backbone, device=self.device, checkpoint=ckpt,
                                        on_epoch=self._on_epoch(job),
                                        should_stop=(lambda: stop.is_set()) if stop is not None else None)
        except StoreError:
            raise
        except Exception as exc:  # recorded, reported, retried next time; the other runs go on
            return record_failure(store, job, error_message(exc), time.perf_counter() - t0)
        return record(store, job, payload, result, time.perf_counter() - t0)
