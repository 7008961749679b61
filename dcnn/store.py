"""The run cache under ``build/``: atomic, checksummed files, per-run locks, resume checkpoints.

Layout (``<key>`` = the first 24 hex digits of a run's cache key)::

    runs/<key>/result.json       a finished run (JSON, checksummed)
    runs/<key>/checkpoint.pt     the last finished epoch of an unfinished run
    runs/<key>/failed.json       why the last attempt raised (retried on the next run)
    pretrain/<key>/result.json   the demo backbone's pretraining history and source accuracy
    pretrain/<key>/backbone.pt   its weights
    locks/<key>.lock             held (flock) by the process training that run
    seeds.json                   {group: seeds}: the seeds dcnn run --decide added to the study's
    decide-plan.json             the looks the first dcnn run --decide planned (looks.py)
    data/<fingerprint>.pt        a task's decoded tensors, written once, loaded by worker processes
    data/folder-<files>-<size>.json  an ImageFolder decoded once: its files' names, sizes and times → fingerprint

A file is written to a temporary name, flushed, fsynced and renamed, so a kill leaves either the
old file or the new one. Every file carries a SHA-256 of its content; one that does not match is
reported by name and redone, never read.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import io
import json
import logging
import os
import uuid
from pathlib import Path
from typing import Any, Optional

import torch

from . import faults

log = logging.getLogger("dcnn")
FORMAT = 1
_MAGIC = b"DCNN-CHECKPOINT-1\n"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class StoreError(Exception):
    """A write failed (disk full, read-only build dir): one line; finished runs stay intact."""


def _write_error(path: Path, exc: OSError) -> StoreError:
    reason = {errno.ENOSPC: "no space left on the device", errno.EROFS: "the file system is read-only",
              errno.EACCES: "permission denied", errno.EDQUOT: "disk quota exceeded"}.get(exc.errno, str(exc))
    return StoreError(f"cannot write {path}: {reason}; free space or pass a writable --build DIR "
                      f"(every run finished before this is intact)")


def atomic_write(path: Path, data: bytes, *, fsync: bool = True) -> None:
    """Replace ``path`` with ``data`` so that a reader never sees a partial file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            half = len(data) // 2
            f.write(data[:half])
            faults.hit("store.write.partial")   # a kill here leaves only the temporary file
            f.write(data[half:])
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        faults.hit("store.write.before_rename")
        os.replace(tmp, path)
        if fsync:
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    except OSError as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise _write_error(path, exc) from None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dump_json(payload: dict) -> bytes:
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return json.dumps({"format": FORMAT, "sha256": _digest(body.encode()), "payload": body},
                      indent=None).encode() + b"\n"


def load_json(path: Path, quiet: bool = False) -> Optional[dict]:
    """The verified payload, or None (missing, or damaged: then a warning names the file)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        outer = json.loads(raw)
        body = outer["payload"]
        if outer.get("format") != FORMAT or _digest(body.encode()) != outer["sha256"]:
            raise ValueError("checksum mismatch")
        return json.loads(body)
    except (ValueError, KeyError, TypeError) as exc:
        if not quiet:
            log.warning("%s is damaged (%s); redoing it", path, exc)
        return None


def dump_tensors(obj: Any) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    body = buf.getvalue()
    return _MAGIC + _digest(body).encode() + b"\n" + body


def load_tensors(path: Path, map_location: str | torch.device = "cpu") -> Optional[Any]:
    """A checksummed torch file, loaded with ``weights_only=True`` (no code runs); None if missing/damaged."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    head, digest, body = raw[:len(_MAGIC)], raw[len(_MAGIC):len(_MAGIC) + 64], raw[len(_MAGIC) + 65:]
    if head != _MAGIC or _digest(body).encode() != digest:
        log.warning("%s is damaged (checksum mismatch); redoing it", path)
        return None
    try:
        return torch.load(io.BytesIO(body), map_location=map_location, weights_only=True)
    except Exception as exc:  # a file that passes the checksum but not the loader: still redo, never crash
        log.warning("%s cannot be loaded (%s); redoing it", path, exc)
        return None


class FileCheckpoint:
    """train.Checkpoint over ``runs/<key>/checkpoint.pt``."""

    def __init__(self, path: Path):
        self.path = path

    def load(self) -> Optional[dict]:
        state = load_tensors(self.path)
        if state is not None:
            log.info("resuming %s from epoch %d", self.path.parent.name, state["epoch"])
        return state

    def save(self, state: dict) -> None:
        faults.hit("checkpoint.save")
        # No fsync: a kill cannot tear a renamed file, and a checkpoint lost to a power cut only
        # costs the epochs since the previous one (the checksum catches any damage).
        atomic_write(self.path, dump_tensors(state), fsync=False)

    def clear(self) -> None:
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


class Lock:
    """An exclusive flock on ``locks/<key>.lock``; the kernel releases it if the holder dies."""

    def __init__(self, path: Path, fd: int):
        self.path, self.fd = path, fd

    def release(self) -> None:
        if self.fd >= 0:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = -1


class Store:
    def __init__(self, root: Path | str):
        self.root = Path(root)

    @staticmethod
    def short(key: str) -> str:
        return key[:24]

    def run_dir(self, key: str) -> Path:
        return self.root / "runs" / self.short(key)

    def pretrain_dir(self, key: str) -> Path:
        return self.root / "pretrain" / self.short(key)

    # -- finished runs
    def read_payload(self, path: Path) -> Optional[dict]:
        """A result file's verified payload, whatever its key (for telling what changed)."""
        return load_json(path, quiet=True)

    def read_result(self, key: str) -> Optional[dict]:
        payload = load_json(self.run_dir(key) / "result.json")
        if payload is not None and payload.get("key") != key:
            log.warning("%s belongs to another configuration or code version; redoing it",
                        self.run_dir(key) / "result.json")
            return None
        return payload

    def write_result(self, key: str, payload: dict) -> None:
        d = self.run_dir(key)
        atomic_write(d / "result.json", dump_json({**payload, "key": key}))
        faults.hit("store.result.written")
        FileCheckpoint(d / "checkpoint.pt").clear()
        try:
            (d / "failed.json").unlink()
        except FileNotFoundError:
            pass

    def write_failure(self, key: str, payload: dict) -> None:
        atomic_write(self.run_dir(key) / "failed.json", dump_json({**payload, "key": key}))

    def read_failure(self, key: str) -> Optional[dict]:
        return load_json(self.run_dir(key) / "failed.json")

    def checkpoint(self, key: str, pretraining: bool = False) -> FileCheckpoint:
        """The resume checkpoint of a run (or of the demo's pretraining)."""
        return FileCheckpoint((self.pretrain_dir(key) if pretraining else self.run_dir(key)) / "checkpoint.pt")

    # -- the demo backbone
    def read_pretrain(self, key: str) -> Optional[dict]:
        payload = load_json(self.pretrain_dir(key) / "result.json")
        if payload is None or payload.get("key") != key:
            return None
        if not (self.pretrain_dir(key) / "backbone.pt").exists():
            return None
        return payload

    def read_backbone(self, key: str) -> Optional[dict]:
        return load_tensors(self.pretrain_dir(key) / "backbone.pt")

    def write_pretrain(self, key: str, payload: dict, state_dict: dict) -> None:
        d = self.pretrain_dir(key)
        atomic_write(d / "backbone.pt", dump_tensors(state_dict))
        atomic_write(d / "result.json", dump_json({**payload, "key": key}))
        FileCheckpoint(d / "checkpoint.pt").clear()

    # -- locks
    def _lock_fd(self, key: str) -> tuple[Path, int]:
        path = self.root / "locks" / f"{self.short(key)}.lock"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return path, os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise _write_error(path, exc) from None

    def try_lock(self, key: str) -> Optional[Lock]:
        path, fd = self._lock_fd(key)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return Lock(path, fd)

    # -- seeds added by dcnn run --decide
    def read_extra_seeds(self) -> dict[str, int]:
        """{group: seeds} that ``dcnn run --decide`` added beyond the study's (build/seeds.json)."""
        return load_json(self.root / "seeds.json") or {}

    def write_extra_seeds(self, seeds: dict[str, int]) -> None:
        atomic_write(self.root / "seeds.json", dump_json(seeds))

    def read_plan(self) -> Optional[dict]:
        """The plan of looks that ``dcnn run --decide`` recorded (build/decide-plan.json), if any."""
        return load_json(self.root / "decide-plan.json")

    def write_plan(self, plan: dict) -> None:
        atomic_write(self.root / "decide-plan.json", dump_json(plan))

    # -- decoded data for worker processes
    def task_file(self, fingerprint: str) -> Path:
        """A task's decoded tensors (datacache.py)."""
        return self.root / "data" / f"{fingerprint[:24]}.pt"

    def sweep_temporaries(self) -> int:
        """Remove temporary files left by writers that were killed (their process is gone)."""
        removed = 0
        if not self.root.is_dir():
            return 0
        for tmp in self.root.rglob(".*.tmp"):
            try:
                pid = int(tmp.name.rsplit(".", 3)[-3])
            except (ValueError, IndexError):
                continue
            if pid != os.getpid() and not _alive(pid):
                try:
                    tmp.unlink()
                    removed += 1
                except OSError:
                    pass
        return removed

    def check_writable(self) -> None:
        """Fail early, with one line, when nothing can be written under the build directory."""
        probe = self.root / f".write-probe-{os.getpid()}"
        try:
            faults.hit("store.check_writable")
            self.root.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise _write_error(self.root, exc) from None
