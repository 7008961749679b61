"""Which runs are missing, and training them: in this process, in a pool of one-thread worker
processes (``-j N``), several per GPU, or as Ray tasks (``--executor ray``).

The parent process owns the plan, the locks and the progress display; workers train and write
their own results (so a finished run survives anything that happens to the parent afterwards).
"""
from __future__ import annotations

import hashlib
import logging
import math
import multiprocessing as mp
import os
import platform
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import torch

from . import faults
from .config import RunSpec, Study, code_version, make_key
from .data import (AUGMENT_PRESETS, IMAGENET_MEAN, IMAGENET_STD, DataError, TaskData,
                   load_digits_tasks, load_imagefolder)
from .models import imagenet_weights_path, load_imagenet_vgg16
from .store import Store, StoreError, dump_tensors, load_tensors, atomic_write
from .train import FitConfig, FitResult, fit, resolve_device

log = logging.getLogger("dcnn")


# ---- data ---------------------------------------------------------------------------------------

@dataclass
class StudyData:
    target: TaskData
    source: Optional[TaskData] = None   # the demo's pretraining task

    def to_dict(self) -> dict:
        return {"target": self.target.to_dict(), "source": self.source.to_dict() if self.source else None}

    @classmethod
    def from_dict(cls, d: dict) -> "StudyData":
        return cls(TaskData.from_dict(d["target"]), TaskData.from_dict(d["source"]) if d["source"] else None)

    def describe(self) -> dict:
        def one(t: TaskData) -> dict:
            return {"name": t.name, "classes": list(t.classes), "train_images": len(t.train),
                    "val_images": len(t.val), "image_size": int(t.train.x.shape[-1]), "fingerprint": t.fingerprint}
        return {"target": one(self.target), "source": one(self.source) if self.source else None}


def _imagefolder_index(root: Path) -> str:
    """A cheap fingerprint of the files (names, sizes, times) to find already-decoded data."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            st = p.stat()
            h.update(f"{p.relative_to(root)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _decoded_path(study: Study, store: Store, data_dir) -> Optional[Path]:
    """Where an ImageFolder's decoded tensors are cached (None for the digits or a missing dir)."""
    if study.profile.data == "digits" or data_dir is None or not Path(data_dir).expanduser().is_dir():
        return None
    index = _imagefolder_index(Path(data_dir).expanduser().resolve())
    return store.root / "data" / f"index-{index[:24]}-{study.profile.image_size}.pt"


def load_study_data(study: Study, store: Optional[Store], data_dir: Optional[str | Path], *,
                    decode: bool = True) -> Optional[StudyData]:
    """The profile's data, decoded once (an ImageFolder's decoded tensors are cached under build/data).
    With ``decode=False``, None instead of decoding an ImageFolder that is not cached yet."""
    prof = study.profile
    if prof.data == "digits":
        source, target = load_digits_tasks(train_per_class=prof.train_per_class, val_per_class=prof.val_per_class,
                                           image_size=prof.image_size, split_seed=prof.split_seed,
                                           source_train_per_class=prof.source_train_per_class)
        return StudyData(target, source)
    if data_dir is None:
        raise DataError(f"profile '{study.profile_name}' needs --data DIR (an ImageFolder with train/ and val/)")
    root = Path(data_dir).expanduser().resolve()
    if not root.is_dir():
        raise DataError(f"data directory {root} does not exist (pass --data DIR with train/ and val/)")
    cached = _decoded_path(study, store, root) if store else None
    if cached is not None and cached.exists():
        d = load_tensors(cached)
        if d is not None:
            return StudyData.from_dict(d)
    if not decode:
        return None
    data = StudyData(load_imagefolder(root, prof.image_size))
    if cached is not None:
        try:
            atomic_write(cached, dump_tensors(data.to_dict()), fsync=False)
        except StoreError as exc:
            log.warning("could not cache the decoded data: %s", exc)
    return data


# ---- jobs -----------------------------------------------------------------------------------------

@dataclass
class Job:
    """One unit of training: the demo's pretraining, or one run (variant × lr × seed)."""

    kind: str                       # "pretrain" | "run"
    key: str
    label: str
    fit: FitConfig
    spec: Optional[RunSpec] = None
    backbone: Optional[str] = None  # pretrain key (demo) or "imagenet:<weights>" (paper)
    cost: float = 1.0               # a rough relative training cost, for ordering and the ETA
    cuda_graphs: bool = True        # execution details (same arithmetic), so not part of the key
    cudnn_benchmark: bool = False


def _normalisation(rule: str, data: StudyData, study: Study) -> tuple[Optional[tuple], Optional[tuple]]:
    if rule == "none":
        return None, None
    if rule == "train":
        return data.target.channel_stats()
    if study.profile.data == "digits":  # backbone: what our own pretraining saw
        return data.source.channel_stats()
    return IMAGENET_MEAN, IMAGENET_STD


def _cost(fit: FitConfig, n_train: int) -> float:
    steps = fit.epochs * math.ceil(n_train / fit.batch_size)
    per_step = 0.25 if fit.arch == "scratch_cnn" else 1.0 + 0.02 * fit.batch_size
    frozen = sum(1 for f in fit.freeze if f.startswith("features"))
    return steps * per_step * (0.7 if frozen else 1.0) + fit.epochs * 0.5


def pretrain_job(study: Study, data: StudyData) -> Optional[Job]:
    p = study.profile.pretrain
    if study.profile.data != "digits" or p is None or data.source is None:
        return None
    mean, std = data.source.channel_stats()
    fit = FitConfig(arch="vgg16", num_classes=data.source.num_classes, lr=p.lr, seed=p.seed, epochs=p.epochs,
                    batch_size=p.batch_size, optimizer=p.optimizer, momentum=p.momentum,
                    width_divisor=study.profile.vgg_width_divisor, mean=mean, std=std)
    key = make_key({"pretrain": asdict(fit), "data": data.source.fingerprint, "code": code_version()})
    return Job("pretrain", key, f"pretraining VGG16/{fit.width_divisor} on {data.source.name}", fit,
               cost=_cost(fit, len(data.source.train)))


def run_job(spec: RunSpec, study: Study, data: StudyData, backbone: Optional[str]) -> Job:
    s = spec.settings
    mean, std = _normalisation(s.normalise, data, study)
    fit = FitConfig(arch=s.arch, num_classes=data.target.num_classes, lr=s.lr, seed=s.seed, epochs=s.epochs,
                    batch_size=s.batch_size, optimizer=s.optimizer, momentum=s.momentum,
                    width_divisor=s.width_divisor, dropout=s.dropout, freeze=s.freeze,
                    augment=AUGMENT_PRESETS[s.augment] if s.augment else None, mean=mean, std=std,
                    bf16=s.bf16, channels_last=s.channels_last)
    bb = backbone if s.pretrained else None
    key = make_key({"fit": asdict(fit), "data": data.target.fingerprint, "backbone": bb, "code": code_version()})
    return Job("run", key, spec.label, fit, spec, bb, _cost(fit, len(data.target.train)),
               cuda_graphs=study.profile.cuda_graphs, cudnn_benchmark=study.profile.cudnn_benchmark)


def backbone_id(study: Study, pre: Optional[Job]) -> Optional[str]:
    if study.profile.data == "digits":
        return pre.key if pre else None
    return f"imagenet:{study.profile.weights}:{imagenet_weights_path(study.profile.weights).name}"


def plan(study: Study, data: StudyData, runs: tuple[RunSpec, ...]) -> tuple[Optional[Job], list[Job]]:
    """(pretraining job or None, one job per run), in the study's order."""
    pre = pretrain_job(study, data) if any(r.settings.pretrained for r in runs) else None
    bb = backbone_id(study, pre)
    return pre, [run_job(r, study, data, bb) for r in runs]


# ---- executing one job (in whichever process) -----------------------------------------------------

def env_info(device: torch.device | str) -> dict:
    device = torch.device(device)
    import torchvision

    name = torch.cuda.get_device_name(device) if device.type == "cuda" else (platform.processor() or platform.machine())
    return {"device": str(device), "device_name": name, "torch": torch.__version__,
            "torchvision": torchvision.__version__, "python": platform.python_version(),
            "threads": torch.get_num_threads()}


def train_job(job: Job, data: StudyData, backbone_state: Optional[dict], *, device: torch.device,
              checkpoint=None, on_epoch=None, should_stop=None) -> tuple[dict, "FitResult"]:
    """Train one job; returns (payload for the cache, fit's result: its state dict for a pretraining job)."""
    task = data.source if job.kind == "pretrain" else data.target
    t0 = time.perf_counter()
    result = fit(job.fit, task.train, task.val, device=device, init_state=backbone_state,
                 checkpoint=checkpoint, on_epoch=on_epoch, should_stop=should_stop,
                 keep_state=job.kind == "pretrain", cuda_graphs=job.cuda_graphs,
                 cudnn_benchmark=job.cudnn_benchmark)
    payload = {
        "kind": job.kind, "label": job.label, "status": result.status, "history": result.history,
        "diverged_epoch": result.diverged_epoch, "trainable_params": result.trainable_params,
        "total_params": result.total_params, "num_classes": task.num_classes, "fit": asdict(job.fit),
        "backbone": job.backbone, "code_version": code_version(), "env": env_info(device),
        "train_seconds": round(time.perf_counter() - t0, 3),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if job.spec is not None:
        payload.update(variant=job.spec.variant, lr=job.spec.lr, seed=job.spec.seed)
    if job.kind == "pretrain":
        payload["source_accuracy"] = result.history[-1]["val_acc"] if result.history else None
    return payload, result


@dataclass
class Outcome:
    key: str
    status: str                 # complete | diverged | interrupted | failed
    message: str = ""
    seconds: float = 0.0
    best_val_loss: Optional[float] = None
    resumed_at: Optional[int] = None    # the epoch a resumed run continued at (None: from the start)
    steps: int = 0                      # optimizer steps taken in this attempt
    epochs_done: int = 0                # finished epochs (an interrupted run's checkpoint holds them)
    epochs: int = 0


# Per-process caches of a worker: data and backbones are loaded once, not once per run.
_WORKER: dict[str, Any] = {"data": {}, "backbone": {}, "stop": None, "events": None, "device": None}


def _init_worker(threads: int, stop: Any, events: Any, device: str, counter: Any = None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent turns Ctrl-C into `stop`
    torch.set_num_threads(threads)
    if device == "cuda" and counter is not None and torch.cuda.device_count() > 1:
        with counter.get_lock():  # spread the workers over the GPUs, round robin
            device = f"cuda:{counter.value % torch.cuda.device_count()}"
            counter.value += 1
    if device.startswith("cuda"):
        torch.empty(1, device=device)  # create the CUDA context now, while the parent prepares the data
    import torchvision  # noqa: F401  (every VGG16 run needs it; ~1 s better spent before the first job)
    _WORKER.update(stop=stop, events=events, device=device)


def _ready() -> int:
    return os.getpid()


def _worker_data(path: str) -> StudyData:
    if path not in _WORKER["data"]:
        d = load_tensors(Path(path))
        if d is None:
            raise StoreError(f"the decoded data {path} is missing or damaged; rerun")
        _WORKER["data"][path] = StudyData.from_dict(d)
    return _WORKER["data"][path]


def _backbone_state(job: Job, store: Optional[Store], device: torch.device) -> Optional[dict]:
    """The pretrained weights, loaded once per process and kept on the run's device (each run
    copies them there, which on a GPU is far cheaper than from the host)."""
    if job.backbone is None:
        return None
    cache = _WORKER["backbone"]
    if job.backbone not in cache:
        if job.backbone.startswith("imagenet:"):
            state = load_imagenet_vgg16(job.backbone.split(":")[1])
        else:
            state = store.read_backbone(job.backbone) if store else None
            if state is None:
                raise StoreError(f"the pretrained backbone {job.backbone[:12]} is missing; rerun to pretrain it")
        cache[job.backbone] = {k: v.to(device) for k, v in state.items()}
    return cache[job.backbone]


def execute_local(job: Job, root: str, data_path: str, force_fresh: bool = False) -> Outcome:
    """Train ``job`` in this process and write its result to the store (workers and -j 1)."""
    store = Store(root)
    device = torch.device(_WORKER["device"] or "cpu")
    events, stop = _WORKER["events"], _WORKER["stop"]
    t0 = time.perf_counter()
    ckpt = store.pretrain_checkpoint(job.key) if job.kind == "pretrain" else store.checkpoint(job.key)
    if force_fresh:
        ckpt.clear()

    def on_epoch(epoch: int, row: dict) -> None:
        faults.hit("train.epoch_end")
        if events is not None:
            events.put((job.key, epoch, row))

    try:
        data = _worker_data(data_path)
        backbone = _backbone_state(job, store, device)
        faults.hit("train.start")
        payload, result = train_job(job, data, backbone, device=device, checkpoint=ckpt, on_epoch=on_epoch,
                                    should_stop=(lambda: stop.is_set()) if stop is not None else None)
    except StoreError:
        raise
    except Exception as exc:  # recorded, reported, retried next time; the other runs go on
        message = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".strip()
        try:
            store.write_failure(job.key, {"label": job.label, "status": "failed", "error": message,
                                          "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        except StoreError:
            pass
        return Outcome(job.key, "failed", message, time.perf_counter() - t0)
    progress = dict(resumed_at=result.start_epoch if result.start_epoch > 1 else None, steps=result.steps,
                    epochs_done=len(result.history), epochs=job.fit.epochs)
    if payload["status"] == "interrupted":
        return Outcome(job.key, "interrupted", seconds=time.perf_counter() - t0, **progress)
    if job.kind == "pretrain":
        store.write_pretrain(job.key, payload, result.state_dict)
    else:
        store.write_result(job.key, payload)
    best = min((h["val_loss"] for h in payload["history"]), default=None)
    return Outcome(job.key, payload["status"], seconds=time.perf_counter() - t0, best_val_loss=best, **progress)


# ---- the scheduler ------------------------------------------------------------------------------

@dataclass
class Summary:
    trained: int = 0
    cached: int = 0
    diverged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0


class Executor:
    """Runs jobs through ``submit`` and reports finished ones; subclasses: inline, process pool, Ray."""

    workers = 1

    def submit(self, job: Job) -> Future: raise NotImplementedError
    def close(self) -> None: pass


class InlineExecutor(Executor):
    def __init__(self, root: str, data_path: str, device: str, stop: threading.Event, events: Any, force: set[str]):
        self.root, self.data_path, self.force = root, data_path, force
        _WORKER.update(stop=stop, events=events, device=device)
        self._done: list[Future] = []

    def submit(self, job: Job) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(execute_local(job, self.root, self.data_path, job.key in self.force))
        except BaseException as exc:  # StoreError, KeyboardInterrupt
            fut.set_exception(exc)
        return fut


class PoolExecutor(Executor):
    """``workers`` processes, started at once so that their start-up (imports, CUDA context)
    overlaps with the parent's data preparation; ``data_path`` is set before the first job."""

    def __init__(self, root: str, data_path: Optional[str], device: str, workers: int, threads: int,
                 stop: Any, events: Any, force: set[str]):
        self.root, self.data_path, self.force, self.workers = root, data_path, force, workers
        ctx = mp.get_context("spawn")  # fork after torch has started threads can deadlock
        self._start = lambda: ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                                                  initargs=(threads, stop, events, device, ctx.Value("i", 0)))
        self.pool = self._start()
        self._warm = [self.pool.submit(_ready) for _ in range(workers)]

    def submit(self, job: Job) -> Future:
        if getattr(self.pool, "_broken", False):  # a worker died (SIGKILL, out of memory): start afresh
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._start()
        return self.pool.submit(execute_local, job, self.root, self.data_path, job.key in self.force)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def terminate(self) -> None:
        """A second Ctrl-C: stop now; each run keeps the checkpoint of its last finished epoch."""
        for proc in list(getattr(self.pool, "_processes", {}).values()):
            proc.terminate()
        self.pool.shutdown(wait=False, cancel_futures=True)


MAX_WORKER_LOSSES = 1  # a job whose worker process dies is restarted (resumed) once, then failed


def schedule(todo: list[Job], cached: int, pre: Optional[Job], store: Store, executor: Executor, *,
             force: bool, reporter: "Reporter", stop: Any) -> Summary:
    """Train the jobs in ``todo``, pretraining first, longest first, one lock per job (a job that
    another process finished meanwhile is skipped)."""
    summary = Summary(cached=cached)
    t_start = time.perf_counter()
    reporter.start(todo, cached)
    pretrain_key = pre.key if pre else None
    pretrain_done = pre is None or pre not in todo
    # Pretraining first, then the rest longest first (an LPT schedule keeps all workers busy).
    pending = sorted(todo, key=lambda j: (j.kind != "pretrain", -j.cost))
    running: dict[Future, tuple[Job, Any]] = {}
    lost: dict[str, int] = {}   # how often each job's worker process died under it
    while pending or running:
        if stop.is_set():
            pending.clear()
        launched = False
        for job in list(pending):
            if len(running) >= executor.workers:
                break
            if job.backbone == pretrain_key and pretrain_key is not None and not pretrain_done:
                continue
            lock = store.try_lock(job.key)
            if lock is None:        # another dcnn process is training it right now
                continue
            if _is_cached(store, job) and not force:
                lock.release()
                pending.remove(job)
                summary.cached += 1
                reporter.skipped(job)
                if job.kind == "pretrain":
                    pretrain_done = True
                continue
            pending.remove(job)
            reporter.started(job)
            running[executor.submit(job)] = (job, lock)
            launched = True
        if not running:
            if pending and not launched:
                time.sleep(0.2)     # waiting for another process's lock or for the backbone
            continue
        done, _ = wait(list(running), timeout=0.2, return_when=FIRST_COMPLETED)
        for fut in done:
            job, lock = running.pop(fut)
            try:
                outcome: Outcome = fut.result()
            except BrokenProcessPool:   # its worker died; every epoch it finished is checkpointed
                lost[job.key] = lost.get(job.key, 0) + 1
                if lost[job.key] <= MAX_WORKER_LOSSES and not stop.is_set():
                    reporter.retrying(job)
                    pending.insert(0, job)
                    continue
                outcome = Outcome(job.key, "failed", "the worker process training it died (killed by a signal, "
                                  "perhaps out of memory); rerun to resume from its last finished epoch")
            finally:
                lock.release()
            reporter.finished(job, outcome)
            if outcome.status == "failed":
                summary.failed.append((job.label, outcome.message))
                if job.kind == "pretrain":  # nothing that needs the backbone can run
                    for j in [j for j in pending if j.backbone == pretrain_key]:
                        pending.remove(j)
                        summary.failed.append((j.label, "its pretrained backbone failed to train"))
            elif outcome.status == "interrupted":
                summary.interrupted = True
            else:
                summary.trained += 1
                summary.diverged += outcome.status == "diverged"
                if job.kind == "pretrain":
                    pretrain_done = True
    summary.interrupted = summary.interrupted or stop.is_set()
    summary.seconds = time.perf_counter() - t_start
    return summary


# ---- progress -----------------------------------------------------------------------------------

def _fmt_time(s: float) -> str:
    s = max(0, int(round(s)))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else (f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s")


class Reporter:
    """Run k of n, epoch, losses, time left: a live table on a terminal, one line per run otherwise."""

    def __init__(self, stream=None, live: Optional[bool] = None):
        self.stream = stream or sys.stderr
        self.live_mode = self.stream.isatty() if live is None else live
        self.total = self.done = 0
        self.cost_total = self.cost_done = 0.0
        self.t0 = time.perf_counter()
        self.running: dict[str, tuple[Job, int, Optional[dict]]] = {}
        self._live = None
        self._lock = threading.Lock()

    def say(self, text: str) -> None:
        if self._live is not None:
            self._live.console.print(text, highlight=False)
        else:
            print(text, file=self.stream, flush=True)

    def start(self, todo: list[Job], cached: int) -> None:
        self.total = len(todo)
        self.cost_total = sum(j.cost for j in todo)
        self.t0 = time.perf_counter()
        if not todo:
            self.say(f"all {cached} runs are cached; nothing to train")
            return
        self.say(f"{len(todo)} to train, {cached} cached")
        if self.live_mode:
            from rich.console import Console
            from rich.live import Live

            self._live = Live(self._render(), console=Console(file=self.stream), refresh_per_second=4,
                              transient=True)
            self._live.start()

    def eta(self) -> str:
        elapsed = time.perf_counter() - self.t0
        partial = sum(j.cost * (e / j.fit.epochs) for j, e, _ in self.running.values())
        done = self.cost_done + partial
        if done <= 0 or elapsed < 1:
            return "?"
        return _fmt_time(elapsed * (self.cost_total - done) / done)

    def _render(self):
        from rich.table import Table

        table = Table(box=None, title=f"run {self.done}/{self.total} done · time left ~{self.eta()}",
                      title_justify="left")
        for col in ("run", "epoch", "train", "val", "acc"):
            table.add_column(col)
        for job, epoch, row in list(self.running.values()):
            table.add_row(job.label, f"{epoch}/{job.fit.epochs}",
                          f"{row['train_loss']:.3f}" if row else "", f"{row['val_loss']:.3f}" if row else "",
                          f"{row['val_acc']:.2f}" if row else "")
        return table

    def _refresh(self) -> None:
        if self._live is not None:
            self._live.update(self._render())

    def started(self, job: Job) -> None:
        with self._lock:
            self.running[job.key] = (job, 0, None)
            self._refresh()

    def epoch(self, key: str, epoch: int, row: dict) -> None:
        with self._lock:
            if key in self.running:
                self.running[key] = (self.running[key][0], epoch, row)
            self._refresh()

    def retrying(self, job: Job) -> None:
        with self._lock:
            self.running.pop(job.key, None)
            self.say(f"{job.label}: its worker process died; training it again from its last finished epoch")
            self._refresh()

    def skipped(self, job: Job) -> None:
        with self._lock:
            self.total -= 1
            self.cost_total -= job.cost

    def finished(self, job: Job, outcome: Outcome) -> None:
        with self._lock:
            self.running.pop(job.key, None)
            self.done += 1
            self.cost_done += job.cost
            best = f"best val {outcome.best_val_loss:.3f}" if outcome.best_val_loss is not None else ""
            detail = {"failed": f"FAILED: {outcome.message}",
                      "interrupted": f"stopped after epoch {outcome.epochs_done} of {outcome.epochs} "
                                     f"(its checkpoint is kept)",
                      "diverged": f"diverged {best}"}.get(outcome.status, best)
            resumed = (f"; resumed at epoch {outcome.resumed_at} of {outcome.epochs}, {outcome.steps} steps"
                       if outcome.resumed_at is not None else "")
            self.say(f"[{self.done}/{self.total}] {job.label}: {detail} ({outcome.seconds:.1f}s{resumed}) "
                     f"· time left ~{self.eta()}")
            self._refresh()

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


# ---- entry point ----------------------------------------------------------------------------------

def _is_cached(store: Store, job: Job) -> bool:
    return (store.read_pretrain(job.key) if job.kind == "pretrain" else store.read_result(job.key)) is not None


def run_study(study: Study, build: Path, *, patterns: list[str] | None = None, data_dir=None,
              device: str = "auto", workers: Optional[int] = None, force: bool = False,
              executor: str = "local", ray_address: Optional[str] = None,
              reporter: Optional[Reporter] = None) -> Summary:
    """Train every selected run that is not cached. Ctrl-C stops after the current epochs' checkpoints."""
    store = Store(build)
    store.check_writable()
    store.sweep_temporaries()
    runs = study.select(patterns or [])
    dev = resolve_device(device)
    if workers is None:
        n_cpu = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        gpus = max(1, torch.cuda.device_count()) if dev.type == "cuda" else 0
        workers = study.profile.workers_per_gpu * gpus if dev.type == "cuda" else n_cpu
    reporter = reporter or Reporter()
    pooled = executor == "local" and workers > 1
    ctx = mp.get_context("spawn")
    stop = ctx.Event() if pooled else threading.Event()
    events = ctx.Queue() if pooled else None
    ex: Optional[Executor] = None

    def make_pool() -> PoolExecutor:
        # One thread per run everywhere: a run's numbers do not depend on -j.
        pool = PoolExecutor(str(store.root), None, str(dev), workers, 1, stop, events, set())
        threading.Thread(target=_pump_events, args=(events, reporter), daemon=True).start()
        return pool

    try:
        decoded = _decoded_path(study, store, data_dir)
        if pooled and decoded is not None and not decoded.exists():
            ex = make_pool()  # decoding takes a while: let the workers start meanwhile
        data = load_study_data(study, store, data_dir)
        pre, jobs = plan(study, data, runs)
        if study.profile.data == "imagefolder" and any(j.backbone for j in jobs) \
                and not imagenet_weights_path(study.profile.weights).exists():
            load_imagenet_vgg16(study.profile.weights)  # downloads, or stops with one line before any training
        data_path = store.data_file(data.target.fingerprint)
        if not data_path.exists():
            atomic_write(data_path, dump_tensors(data.to_dict()), fsync=False)
        all_jobs = ([pre] if pre else []) + jobs
        force_keys = {j.key for j in all_jobs} if force else set()
        todo = [j for j in all_jobs if force or not _is_cached(store, j)]
        work = bool(todo)
        if executor == "ray" and work:
            from .ray_executor import RayExecutor

            ex = RayExecutor(store, data, dev, ray_address, study.profile)
        elif pooled and work:
            ex = ex or make_pool()
            ex.data_path, ex.force = str(data_path), force_keys
        else:
            torch.set_num_threads(1)
            ex = InlineExecutor(str(store.root), str(data_path), str(dev), stop, _EventSink(reporter), force_keys)
        summary = _schedule_with_ctrl_c(todo, len(all_jobs) - len(todo), pre, store, ex, force, reporter, stop)
        store.sweep_temporaries()   # what a worker that died mid-write left behind
    except KeyboardInterrupt:
        if isinstance(ex, PoolExecutor):
            ex.terminate()
            ex = None
        raise
    finally:
        if ex is not None:
            ex.close()
        reporter.close()
        if events is not None:
            events.put(None)
    return summary


def _schedule_with_ctrl_c(todo, cached, pre, store, ex, force, reporter, stop) -> Summary:
    """schedule(), with the first Ctrl-C turned into a stop after the current epochs."""
    interrupts = {"n": 0}

    def on_sigint(signum, frame):
        interrupts["n"] += 1
        if interrupts["n"] > 1:
            raise KeyboardInterrupt
        stop.set()
        reporter.say("stopping after the current epoch (its checkpoint is kept); Ctrl-C again to quit now")

    main_thread = threading.current_thread() is threading.main_thread()
    old_handler = signal.signal(signal.SIGINT, on_sigint) if main_thread else None
    try:
        return schedule(todo, cached, pre, store, ex, force=force, reporter=reporter, stop=stop)
    finally:
        if old_handler is not None:
            signal.signal(signal.SIGINT, old_handler)


class _EventSink:
    """The inline executor's stand-in for the workers' event queue."""

    def __init__(self, reporter: Reporter):
        self.reporter = reporter

    def put(self, item: tuple) -> None:
        self.reporter.epoch(*item)


def _pump_events(events: Any, reporter: Reporter) -> None:
    while True:
        try:
            item = events.get()
        except (EOFError, OSError):
            return
        if item is None:
            return
        reporter.epoch(*item)


# ---- dcnn list --------------------------------------------------------------------------------------

def _num_classes_without_decoding(study: Study, data_dir) -> int:
    if study.profile.data == "digits":
        return 5
    if data_dir is None:
        raise DataError(f"profile '{study.profile_name}' needs --data DIR (an ImageFolder with train/ and val/)")
    train = Path(data_dir).expanduser() / "train"
    if not train.is_dir():
        raise DataError(f"data directory {train} is missing (expected {train}/<class>/<image>)")
    classes = [d for d in train.iterdir() if d.is_dir() and not d.name.startswith(".")]
    if not classes:
        raise DataError(f"data directory {train} has no class folders")
    return len(classes)


def count_params(settings, num_classes: int) -> tuple[int, int]:
    """(trainable, total) of a run's model, built on the meta device: no memory, no weights."""
    from .models import build_model, freeze, param_counts, parse_freeze_spec

    with torch.device("meta"):
        model = build_model(settings.arch, num_classes, width_divisor=settings.width_divisor,
                            dropout=settings.dropout)
    freeze(model, tuple(parse_freeze_spec(s, settings.arch) for s in settings.freeze))
    return param_counts(model)


def list_runs(study: Study, build: Path, *, data_dir=None, params: bool = False) -> list[dict]:
    """Every run with its section, figure, cache state and (optionally) parameter counts."""
    store = Store(build)
    keys: dict[RunSpec, Job] = {}
    try:   # cache states need the data's fingerprint; an ImageFolder is not decoded just for that
        data = load_study_data(study, store, data_dir, decode=False)
    except DataError:
        data = None
    if data is not None:
        keys = {j.spec: j for j in plan(study, data, study.runs)[1]}
    n_classes = _num_classes_without_decoding(study, data_dir) if params else None
    rows = []
    for spec in study.runs:
        job = keys.get(spec)
        if job is None:
            cache = "unknown"
        elif store.read_result(job.key) is not None:
            cache = "cached"
        elif store.read_failure(job.key) is not None:
            cache = "failed"
        elif store.checkpoint(job.key).path.exists():
            cache = "partial"
        else:
            cache = "missing"
        row = {"variant": spec.variant, "lr": spec.lr, "seed": spec.seed, "section": spec.section,
               "figure": spec.figure, "cache": cache, "key": job.key if job else None}
        if params:
            row["trainable_params"], row["total_params"] = count_params(spec.settings, n_classes)
            row["num_classes"] = n_classes
        rows.append(row)
    return rows
