"""The study's data, decoded once: the demo's digits in memory, an ImageFolder's decoded tensors
cached under ``build/data/task-*.pt`` (keyed by the files' names, sizes and times)."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .config import Study
from .data import DataError, TaskData, load_digits_tasks, load_imagefolder
from .store import Store, StoreError, atomic_write, dump_tensors, load_tensors

log = logging.getLogger("dcnn")


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
            counts = [int(c) for c in t.val.y.bincount(minlength=len(t.classes))]
            return {"name": t.name, "classes": list(t.classes), "train_images": len(t.train),
                    "val_images": len(t.val), "val_class_counts": counts, "image_size": int(t.train.x.shape[-1]),
                    "fingerprint": t.fingerprint}
        return {"target": one(self.target), "source": one(self.source) if self.source else None}


def _imagefolder_index(root: Path) -> str:
    """A cheap fingerprint of the files (names, sizes, times) to find already-decoded data."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            st = p.stat()
            h.update(f"{p.relative_to(root)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def decoded_path(study: Study, store: Store, data_dir) -> Optional[Path]:
    """Where an ImageFolder's decoded tensors are cached (None for the digits or a missing dir)."""
    if study.profile.data == "digits" or data_dir is None or not Path(data_dir).expanduser().is_dir():
        return None
    index = _imagefolder_index(Path(data_dir).expanduser().resolve())
    return store.root / "data" / f"task-{index[:24]}-{study.profile.image_size}.pt"


def _data_dir(study: Study, data_dir) -> Path:
    if data_dir is None:
        raise DataError(f"profile '{study.profile_name}' needs --data DIR (an ImageFolder with train/ and val/)")
    return Path(data_dir).expanduser()


def _imagefolder(study: Study, store: Optional[Store], root: Path, decode: bool) -> Optional[TaskData]:
    """An ImageFolder's task, decoded once: its decoded tensors are cached under build/data."""
    if not root.is_dir():
        raise DataError(f"data directory {root} does not exist (pass --data DIR with train/ and val/)")
    cached = decoded_path(study, store, root) if store else None
    if cached is not None and cached.exists():
        d = load_tensors(cached)
        if d is not None:
            return TaskData.from_dict(d)
    if not decode:
        return None
    task = load_imagefolder(root, study.profile.image_size)
    if cached is not None:
        try:
            atomic_write(cached, dump_tensors(task.to_dict()), fsync=False)
        except StoreError as exc:
            log.warning("could not cache the decoded data: %s", exc)
    return task


def source_dir(study: Study) -> Optional[Path]:
    """An imagefolder profile's source ImageFolder (for its own pretraining), relative to the study file."""
    if study.profile.source is None:
        return None
    return (study.path.parent / Path(study.profile.source).expanduser()).resolve()


def load_study_data(study: Study, store: Optional[Store], data_dir: Optional[str | Path], *,
                    decode: bool = True) -> Optional[StudyData]:
    """The profile's data, decoded once (an ImageFolder's decoded tensors are cached under build/data).
    With ``decode=False``, None instead of decoding an ImageFolder that is not cached yet."""
    prof = study.profile
    if prof.data == "digits":
        source, target = load_digits_tasks(train_per_class=prof.train_per_class, val_per_class=prof.val_per_class,
                                           image_size=prof.image_size, split_seed=prof.split_seed,
                                           source_train_per_class=prof.source_train_per_class,
                                           target_digits=tuple(prof.target_digits),
                                           source_digits=tuple(prof.source_digits))
        return StudyData(target, source)
    target = _imagefolder(study, store, _data_dir(study, data_dir).resolve(), decode)
    src = source_dir(study)
    source = _imagefolder(study, store, src, decode) if src is not None else None
    if target is None or (src is not None and source is None):
        return None
    return StudyData(target, source)


def num_classes_without_decoding(study: Study, data_dir) -> int:
    """The target task's number of classes, from the folder names (no image is decoded)."""
    if study.profile.data == "digits":
        return 5
    train = _data_dir(study, data_dir) / "train"
    if not train.is_dir():
        raise DataError(f"data directory {train} is missing (expected {train}/<class>/<image>)")
    classes = [d for d in train.iterdir() if d.is_dir() and not d.name.startswith(".")]
    if not classes:
        raise DataError(f"data directory {train} has no class folders")
    return len(classes)
