"""The data sources a profile may name (``data:``), each one registered ``DataSource``: what the profile
must say for it, how its tasks load (decoded once), how many classes its study task has without
decoding an image, and where its decoded tensors are cached. Importing this module loads no torch.

    digits        scikit-learn's digits, offline: a source task (pretraining) and the study's task
    imagefolder   the user's ``--data DIR`` with train/<class>/* and val/<class>/*, and optionally a
                  source ImageFolder of theirs to pretrain on
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional


@dataclass(frozen=True)
class DataSource:
    """Everything dcnn asks of a source of data."""

    name: str
    check: Callable[[Any], Optional[str]]          # profile → what it lacks, as one line (None: fine)
    load: Callable[..., tuple[Any, Any]]           # (profile, study path, store, data_dir, decode) → (source, target)
    num_classes: Callable[[Any, Any], int]         # (profile, data_dir) → classes of the study's task, no decoding
    needs_data_dir: bool = False
    no_test_split: Callable[[Any], Optional[str]] = lambda profile: None   # why it holds none out (None: it may)


DATA_SOURCES: dict[str, DataSource] = {}


def register_data(source: DataSource) -> DataSource:
    DATA_SOURCES[source.name] = source
    return source


def get_data_source(name: str) -> DataSource:
    try:
        return DATA_SOURCES[name]
    except KeyError:
        raise ValueError(f"unknown data source '{name}' (allowed: {', '.join(DATA_SOURCES)})") from None


# ---- digits ----------------------------------------------------------------------------------------

def _digits_check(p: Any) -> Optional[str]:
    missing = [k for k in ("train_per_class", "val_per_class") if getattr(p, k) is None]
    if missing:
        return f"data: digits needs {', '.join(missing)}"
    if not p.target_digits:
        return "data: digits needs target_digits, two or more (the classes of the study's task)"
    if p.source is not None:
        return "data: digits takes no source (its source task is source_digits)"
    if p.test_fraction is not None:
        return "data: digits takes test_per_class, not test_fraction (its test split is the images left over)"
    return None


def _digits_load(p: Any, study_path: Path, store: Any, data_dir: Any, decode: bool) -> tuple[Any, Any]:
    from ..data.cache import digits_tasks

    return digits_tasks(store, p, decode)


register_data(DataSource("digits", _digits_check, _digits_load, lambda p, data_dir: len(p.target_digits),
                         no_test_split=lambda p: None if p.test_per_class else "test_per_class: 0"))


# ---- an ImageFolder ----------------------------------------------------------------------------------

def _folder_check(p: Any) -> Optional[str]:
    if (p.source is None) != (p.pretrain is None):
        return ("data: imagefolder pretrains its own backbone with both source (an ImageFolder with train/ and val/) "
                "and pretrain, or neither")
    return None


def data_dir_of(data_dir: Any) -> Path:
    from ..data.images import DataError

    if data_dir is None:
        raise DataError("this profile needs --data DIR (an ImageFolder with train/ and val/)")
    return Path(data_dir).expanduser()


def _folder_load(p: Any, study_path: Path, store: Any, data_dir: Any, decode: bool) -> tuple[Any, Any]:
    from ..data.cache import imagefolder_task

    target = imagefolder_task(store, data_dir_of(data_dir).resolve(), p.image_size, decode, p.test_fraction,
                              p.split_seed)
    source = None
    if p.source is not None:
        source = imagefolder_task(store, (study_path.parent / Path(p.source).expanduser()).resolve(),
                                  p.image_size, decode)
    return source, target


def _folder_classes(p: Any, data_dir: Any) -> int:
    from ..data.images import DataError

    train = data_dir_of(data_dir) / "train"
    if not train.is_dir():
        raise DataError(f"data directory {train} is missing (expected {train}/<class>/<image>)")
    classes = [d for d in train.iterdir() if d.is_dir() and not d.name.startswith(".")]
    if not classes:
        raise DataError(f"data directory {train} has no class folders")
    return len(classes)


register_data(DataSource("imagefolder", _folder_check, _folder_load, _folder_classes, needs_data_dir=True))


# ---- a study's data, from its profile's source ------------------------------------------------------

def will_decode(study: Any, store: Any, data_dir) -> bool:
    """True when loading the study's data will decode images (worth starting worker processes meanwhile)."""
    from ..data.cache import folder_file

    if not get_data_source(study.profile.data).needs_data_dir or data_dir is None:
        return False
    root = Path(data_dir).expanduser().resolve()
    return root.is_dir() and not folder_file(store, root, study.profile.image_size, study.profile.test_fraction).exists()


def load_study_data(study: Any, store: Any, data_dir, *, decode: bool = True) -> Any:
    """The profile's data, from its registered source, decoded once. With ``decode=False``, None instead
    of decoding images that were never decoded."""
    source, target = get_data_source(study.profile.data).load(study.profile, study.path, store, data_dir, decode)
    if target is None or (study.profile.source is not None and source is None):
        return None
    from ..data.cache import StudyData

    return StudyData(target, source)


def num_classes_without_decoding(study: Any, data_dir) -> int:
    """The study task's number of classes, as its source counts them (no image decoded)."""
    return get_data_source(study.profile.data).num_classes(study.profile, data_dir)
