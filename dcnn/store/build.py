"""The run cache under ``build/``: atomic, checksummed files, per-run locks, resume checkpoints.

Layout (``<key>`` = the first 24 hex digits of a run's cache key)::

    runs/<key>/result.json       a finished run (JSON, checksummed)
    runs/<key>/checkpoint.pt     the last finished epoch of an unfinished run
    runs/<key>/failed.json       why the last attempt raised (retried on the next run)
    pretrain/<key>/result.json   the demo backbone's pretraining history and source accuracy
    pretrain/<key>/backbone.pt   its weights
    locks/<key>.lock             held (flock) by the process training that run (a worker, or dcnn itself)
    seeds.json                   {group: seeds}: the seeds dcnn run --decide added to the study's
    decide-plan.json             the looks the first dcnn run --decide planned (study/looks.py)
    calibration.json             what dcnn calibrate found for the study's claims (results/calibrate.py)
    data/<fingerprint>.pt        a task's decoded tensors, written once, loaded by worker processes
    data/folder-<files>-<size>.json  an ImageFolder decoded once: its files' names, sizes and times → fingerprint

A file is written to a temporary name, flushed, fsynced and renamed, so a kill leaves either the
old file or the new one. Every file carries a SHA-256 of its content; one that does not match is
reported by name and redone, never read.
"""
from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import Optional


from ..errors import ArgumentError
from . import faults
from .files import StoreError, _alive, _write_error, atomic_write, dump_json, dump_tensors, load_json, load_tensors

log = logging.getLogger("dcnn")


def _name_max(path: Path) -> int:
    """The longest file name the file system under ``path`` (its nearest existing folder) allows."""
    for folder in (path, *path.parents):
        try:
            return os.pathconf(folder, "PC_NAME_MAX")
        except (OSError, ValueError):   # not there (yet), or its name is itself too long
            continue
    return 255


def check_build_path(root: Path) -> None:
    """Fail before any work, with one line, when the build path cannot be a directory: it, or a folder
    above it, is a file, or one of its names is longer than the file system allows."""
    longest = _name_max(root)
    for part in root.parts:
        if len(os.fsencode(part)) > longest:
            raise ArgumentError(f"--build: the name {part[:24]}... has {len(os.fsencode(part))} bytes, more than "
                                f"the file system allows in one name ({longest}); choose a shorter --build DIR")
    for folder in (root, *root.parents):
        if folder.exists() and not folder.is_dir():
            raise ArgumentError(f"--build {root}: {folder} is a file, not a directory (pass a directory; "
                                "dcnn creates it)")


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

    def is_locked(self, key: str) -> bool:
        """True while another process (or another open lock of this one) holds the run's lock."""
        lock = self.try_lock(key)
        if lock is None:
            return True
        lock.release()
        return False

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

    # -- the calibration dcnn calibrate made
    def read_calibration(self) -> Optional[dict]:
        """What ``dcnn calibrate`` found (build/calibration.json), if it ran."""
        return load_json(self.root / "calibration.json", quiet=True)

    def write_calibration(self, out: dict) -> None:
        atomic_write(self.root / "calibration.json", dump_json(out))

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
