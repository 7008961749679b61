"""The study's data, decoded once and kept once: each task's tensors in ``build/data/<fingerprint>.pt``
(written the first time a task is seen; worker processes load them from there), and for an
ImageFolder a small index ``build/data/folder-<files>-<size>.json`` naming the fingerprint of its
decoded tensors (keyed by the files' names, sizes and times, so the images are decoded only once)."""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .images import TaskData, load_digits_tasks, load_imagefolder
from ..store.build import Store, StoreError, atomic_write, dump_tensors, load_tensors

log = logging.getLogger("dcnn")


@functools.lru_cache(maxsize=None)
def folder_index(root: Path) -> str:
    """A cheap fingerprint of an ImageFolder's files (names, sizes, times), to find its decoded tensors;
    walked once per process."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            st = path.stat()
            # (a name as the bytes it is: one that is not UTF-8 is a name like any other)
            h.update(os.fsencode(path.relative_to(root)) + f"|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


@dataclass
class StudyData:
    target: TaskData
    source: Optional[TaskData] = None   # the pretraining task

    def to_dict(self) -> dict:
        return {"target": self.target.to_dict(), "source": self.source.to_dict() if self.source else None}

    @classmethod
    def from_dict(cls, d: dict) -> "StudyData":
        return cls(TaskData.from_dict(d["target"]), TaskData.from_dict(d["source"]) if d["source"] else None)

    def describe(self) -> dict:
        def one(t: TaskData) -> dict:
            counts = [int(c) for c in t.val.y.bincount(minlength=len(t.classes))]
            return {"name": t.name, "classes": list(t.classes), "train_images": len(t.train),
                    "val_images": len(t.val), "test_images": len(t.test) if t.test is not None else 0,
                    "val_class_counts": counts, "image_size": int(t.train.x.shape[-1]), "fingerprint": t.fingerprint}
        return {"target": one(self.target), "source": one(self.source) if self.source else None}


def folder_file(store: Store, root: Path, image_size: int, test_fraction: Optional[float] = None) -> Path:
    held = f"-test{test_fraction:g}" if test_fraction else ""
    return store.root / "data" / f"folder-{folder_index(root)[:24]}-{image_size}{held}.json"


def keep_task(store: Store, task: TaskData) -> Path:
    """The task's tensors in the build (written once); returns their file."""
    path = store.task_file(task.fingerprint)
    if not path.exists():
        atomic_write(path, dump_tensors(task.to_dict()), fsync=False)
    return path


def imagefolder_task(store: Optional[Store], root: Path, image_size: int, decode: bool,
                     test_fraction: Optional[float] = None, split_seed: int = 0) -> Optional[TaskData]:
    """An ImageFolder's task, decoded once; None when ``decode`` is off and it was never decoded."""
    from .images import DataError

    if not root.is_dir():
        raise DataError(f"data directory {root} does not exist (pass --data DIR with train/ and val/)")
    index = folder_file(store, root, image_size, test_fraction) if store is not None else None
    if index is not None and index.exists():
        fingerprint = json.loads(index.read_text())["fingerprint"]
        d = load_tensors(store.task_file(fingerprint))
        if d is not None:
            return TaskData.from_dict(d)
    if not decode:
        return None
    task = load_imagefolder(root, image_size, test_fraction, split_seed)
    if index is not None:
        try:
            keep_task(store, task)
            atomic_write(index, json.dumps({"fingerprint": task.fingerprint, "root": str(root)}).encode(), fsync=False)
        except StoreError as exc:
            log.warning("could not cache the decoded data: %s", exc)
    return task


def task_files(store: Store, data: StudyData) -> dict[str, Optional[str]]:
    """Where worker processes load the study's tasks from (each written once)."""
    return {"target": str(keep_task(store, data.target)),
            "source": str(keep_task(store, data.source)) if data.source else None}


def load_task_files(files: dict[str, Optional[str]]) -> StudyData:
    """The tasks a worker trains on, from the files task_files wrote."""
    def one(path: Optional[str]) -> Optional[TaskData]:
        if path is None:
            return None
        d = load_tensors(Path(path))
        if d is None:
            raise StoreError(f"the decoded data {path} is missing or damaged; rerun")
        return TaskData.from_dict(d)
    return StudyData(one(files["target"]), one(files["source"]))


# ---- digits: split once per build ------------------------------------------------------------------

def _digits_args(profile) -> dict:
    """The profile's fields that choose the digits images: load_digits_tasks's arguments."""
    fields = ("train_per_class", "val_per_class", "image_size", "split_seed", "source_train_per_class",
              "target_digits", "source_digits", "test_per_class")
    return {k: tuple(v) if isinstance(v, list) else v for k, v in ((k, getattr(profile, k)) for k in fields)}


def _digits_file(store: Store, args: dict) -> Path:
    """Where the fingerprints of a profile's digits tasks are kept: keyed by the fields that choose the
    images, the code that splits and scales them (data.py, torch's and numpy's versions: the scaling is
    theirs) and scikit-learn's version (its copy of the digits)."""
    from importlib.metadata import version

    from . import images as data

    h = hashlib.sha256(json.dumps(args, sort_keys=True).encode())
    h.update(Path(data.__file__).read_bytes())
    for package in ("scikit-learn", "torch", "numpy"):
        h.update(f"{package} {version(package)}\n".encode())
    return store.root / "data" / f"digits-{h.hexdigest()[:24]}.json"


def _read_index(index: Path) -> Optional[tuple[Optional[str], str]]:
    """(source, target) fingerprints from a digits index; None when it is missing or damaged."""
    try:
        prints = json.loads(index.read_text())
        return prints["source"], prints["target"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def digits_tasks(store: Optional[Store], profile, decode: bool) -> tuple[Optional[TaskData], TaskData]:
    """(source, target) of a digits profile: from the build when split there before (no scikit-learn
    import: about 0.5 s of a 12 s warm report), else split now and kept (``decode=False``: not kept)."""
    args = _digits_args(profile)
    index = _digits_file(store, args) if store is not None else None
    prints = _read_index(index) if index is not None else None
    if prints is not None:
        tasks = [load_tensors(store.task_file(fp)) if fp else {} for fp in prints]
        if all(t is not None for t in tasks):
            source, target = (TaskData.from_dict(t) if t else None for t in tasks)
            return source, target
        for fp, t in zip(prints, tasks):        # a task file is missing or damaged: split again, write anew
            if t is None:
                store.task_file(fp).unlink(missing_ok=True)
    source, target = load_digits_tasks(**args)
    if index is not None and decode:
        try:
            for task in (source, target):
                if task is not None:
                    keep_task(store, task)
            atomic_write(index, json.dumps({"source": source.fingerprint if source else None,
                                            "target": target.fingerprint}).encode(), fsync=False)
        except StoreError as exc:
            log.warning("could not cache the digits' split: %s", exc)
    return source, target
