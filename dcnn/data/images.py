"""Datasets (scikit-learn digits, any ImageFolder), decoded once (their transforms: transforms.py).

Images are decoded once and kept as uint8 tensors (N×3×H×W); every epoch turns them into float
batches in a few large tensor operations (``epoch_batches``), never by re-reading files.
"""
from __future__ import annotations

import hashlib
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import InputError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".gif", ".tif", ".tiff", ".webp")


class DataError(InputError):
    """A data problem the user can fix; one line."""


@dataclass
class Split:
    x: torch.Tensor  # uint8, N×3×H×W
    y: torch.Tensor  # int64, N

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def to(self, device: torch.device | str) -> "Split":
        return Split(self.x.to(device), self.y.to(device))


@dataclass
class TaskData:
    """One classification task: its splits, class names and a fingerprint of the exact tensors."""

    name: str
    classes: tuple[str, ...]
    train: Split
    val: Split
    fingerprint: str = ""
    test: Optional[Split] = None    # held out: evaluated every epoch, never chosen on
    _stats: Optional[tuple] = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.fingerprint:
            self.fingerprint = fingerprint(self)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def channel_stats(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """Per-channel mean and std of the training split, in [0, 1] units."""
        if self._stats is None:
            x = self.train.x.double() / 255.0
            mean = x.mean(dim=(0, 2, 3))
            std = x.std(dim=(0, 2, 3)).clamp_min(1e-6)
            self._stats = (tuple(round(float(v), 6) for v in mean), tuple(round(float(v), 6) for v in std))
        return self._stats

    def to_dict(self) -> dict:
        test = {"test_x": self.test.x, "test_y": self.test.y} if self.test is not None else {}
        return {"name": self.name, "classes": list(self.classes), "fingerprint": self.fingerprint,
                "train_x": self.train.x, "train_y": self.train.y, "val_x": self.val.x, "val_y": self.val.y, **test}

    @classmethod
    def from_dict(cls, d: dict) -> "TaskData":
        test = Split(d["test_x"], d["test_y"]) if "test_x" in d else None
        return cls(d["name"], tuple(d["classes"]), Split(d["train_x"], d["train_y"]), Split(d["val_x"], d["val_y"]),
                   d["fingerprint"], test=test)


def fingerprint(task: TaskData) -> str:
    h = hashlib.sha256()
    h.update(repr((task.name, task.classes)).encode())
    test = (task.test.x, task.test.y) if task.test is not None else ()
    for t in (task.train.x, task.train.y, task.val.x, task.val.y, *test):
        h.update(str((tuple(t.shape), str(t.dtype))).encode())
        h.update(t.contiguous().numpy().tobytes())
    return h.hexdigest()


# ---- demo: scikit-learn's digits --------------------------------------------------------------

def _stratified_split(y: np.ndarray, classes: list[int], val_per_class: int, train_per_class: int | None,
                      seed: int, test_per_class: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train, val, test) indices per class, in a fixed shuffled order: validation first, then training,
    then up to ``test_per_class`` of the images left over (so the test split leaves the others as they were)."""
    rng = np.random.RandomState(seed)
    train_idx, val_idx, test_idx = [], [], []
    for c in classes:
        idx = np.flatnonzero(y == c)
        rng.shuffle(idx)
        need = val_per_class + (train_per_class or 1)
        if len(idx) < need:
            raise DataError(f"digit {c} has {len(idx)} images; the split needs {need} "
                            f"(lower train_per_class / val_per_class)")
        val_idx.append(idx[:val_per_class])
        rest = idx[val_per_class:]
        train_idx.append(rest if train_per_class is None else rest[:train_per_class])
        left = rest[train_per_class:] if train_per_class is not None else rest[:0]
        test_idx.append(left[:test_per_class])
    return np.concatenate(train_idx), np.concatenate(val_idx), np.concatenate(test_idx).astype(np.int64)


def _digits_images(images: np.ndarray, image_size: int) -> torch.Tensor:
    x = torch.from_numpy(images).float().div(16.0).unsqueeze(1)          # N×1×8×8 in [0, 1]
    x = F.interpolate(x, size=(image_size, image_size), mode="bilinear", align_corners=False)
    return x.clamp(0, 1).mul(255).round().to(torch.uint8).expand(-1, 3, -1, -1).contiguous()


def _digits_name(classes: list[int]) -> str:
    contiguous = classes == list(range(classes[0], classes[-1] + 1))
    return f"digits {classes[0]}-{classes[-1]}" if contiguous and len(classes) > 2 else \
        "digits " + ", ".join(map(str, classes))


def load_digits_tasks(*, train_per_class: int, val_per_class: int, image_size: int = 32,
                      split_seed: int = 0, source_train_per_class: Optional[int] = None,
                      target_digits: tuple[int, ...] = (5, 6, 7, 8, 9),
                      source_digits: tuple[int, ...] = (0, 1, 2, 3, 4),
                      test_per_class: int = 0) -> tuple[Optional[TaskData], TaskData]:
    """(source, target): by default digits 0–4 for pretraining (all images not held out for
    validation) and digits 5–9 for the study (``train_per_class`` / ``val_per_class`` per digit, and a
    test split of up to ``test_per_class`` of the images left over), a fixed stratified split; no
    source task when ``source_digits`` is empty."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    y = digits.target.astype(np.int64)
    tasks: list[Optional[TaskData]] = []
    for classes, n_train in ((list(source_digits), source_train_per_class), (list(target_digits), train_per_class)):
        if not classes:
            tasks.append(None)
            continue
        name = _digits_name(classes)
        tr, va, te = _stratified_split(y, classes, val_per_class, n_train, split_seed, test_per_class)
        remap = {c: i for i, c in enumerate(classes)}

        def split(idx: np.ndarray) -> Split:
            return Split(_digits_images(digits.images[idx], image_size),
                         torch.tensor([remap[int(v)] for v in y[idx]], dtype=torch.int64))

        tasks.append(TaskData(name, tuple(str(c) for c in classes), split(tr), split(va),
                              test=split(te) if len(te) else None))
    return tasks[0], tasks[1]


# ---- paper: an ImageFolder on disk ------------------------------------------------------------

def _eight_bit(im):
    """An image as 8-bit RGB, its values scaled from the range they have: 16-bit images (I;16, and 32-bit
    integer ones whose values fit 16 bits) by 65535 → 255, as torchvision's ToDtype(uint8, scale=True)
    does; floating-point ones in [0, 1] by 1 → 255; any other 32-bit image by its own minimum and
    maximum. (PIL's convert("RGB") clips such values at 255.) Every other mode (grayscale, RGBA,
    palette, CMYK, ...) is PIL's RGB conversion."""
    from PIL import Image

    if not (im.mode.startswith("I") or im.mode == "F"):
        return im.convert("RGB")
    arr = np.asarray(im, dtype=np.float64)
    low, high = (float(arr.min()), float(arr.max())) if arr.size else (0.0, 1.0)
    if im.mode.startswith("I;16") or (im.mode == "I" and low >= 0 and high <= 65535):
        low, high = 0.0, 65535.0
    elif im.mode == "F" and low >= 0 and high <= 1:
        low, high = 0.0, 1.0
    scaled = (arr - low) * (255.0 / (high - low)) if high > low else np.zeros_like(arr)
    return Image.fromarray(np.clip(np.round(scaled), 0, 255).astype(np.uint8)).convert("RGB")


def _decode(path: Path, image_size: int) -> torch.Tensor:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im = _eight_bit(im)
            w, h = im.size
            scale = image_size * 256 / 224 / min(w, h)  # torchvision's Resize(256) + CenterCrop(224)
            im = im.resize((max(image_size, round(w * scale)), max(image_size, round(h * scale))),
                           Image.BILINEAR)
            w, h = im.size
            left, top = (w - image_size) // 2, (h - image_size) // 2
            im = im.crop((left, top, left + image_size, top + image_size))
            arr = np.asarray(im, dtype=np.uint8).copy()
    except Image.DecompressionBombError as exc:
        found = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(found.group(1)):,} pixels" if found else "too many pixels"
        raise DataError(f"image {path} has {size}, more than PIL decodes ({2 * Image.MAX_IMAGE_PIXELS:,}, its guard "
                        "against decompression bombs): shrink it or remove it") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise DataError(f"cannot decode image {path}: {exc} (remove or replace the file)") from None
    return torch.from_numpy(arr).permute(2, 0, 1)


def _images(folder: Path) -> list[Path]:
    """The image files under a class folder, hidden files and anything inside a hidden folder
    (.ipynb_checkpoints/, .thumbnails/) left out, in a fixed order."""
    return sorted(p for p in folder.rglob("*")
                  if p.suffix.lower() in IMAGE_SUFFIXES and not any(part.startswith(".") for part in
                                                                    p.relative_to(folder).parts) and p.is_file())


def _read_split(root: Path, image_size: int, classes: tuple[str, ...] | None) -> tuple[Split, tuple[str, ...]]:
    if not root.is_dir():
        raise DataError(f"data directory {root} is missing (expected {root.parent}/train/<class>/*.jpg "
                        f"and {root.parent}/val/<class>/*.jpg)")
    found = tuple(sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")))
    if not found:
        raise DataError(f"data directory {root} has no class folders (expected {root}/<class>/<image>)")
    if len(found) < 2:
        raise DataError(f"data directory {root} has one class folder ({found[0]}); a classifier needs at least two")
    if classes is not None and found != classes:
        raise DataError(f"{root} has classes {list(found)} but train/ has {list(classes)}; they must match")
    paths, ys = [], []
    for label, name in enumerate(found):
        files = _images(root / name)
        if not files:
            raise DataError(f"class folder {root / name} has no images "
                            f"(allowed suffixes: {', '.join(IMAGE_SUFFIXES)})")
        paths += files
        ys += [label] * len(files)
    # PIL decodes and resizes without the GIL: threads decode in parallel, in a fixed order.
    with ThreadPoolExecutor(max_workers=min(16, os.cpu_count() or 1)) as pool:
        xs = list(pool.map(lambda f: _decode(f, image_size), paths))
    return Split(torch.stack(xs), torch.tensor(ys, dtype=torch.int64)), found


def hold_out(split: Split, fraction: float, seed: int) -> tuple[Split, Split]:
    """(the rest, a test split): a fixed, seeded share of each class of ``split`` held out."""
    rng = np.random.RandomState(seed)
    y = split.y.numpy()
    keep, out = [], []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        rng.shuffle(idx)
        n = int(round(fraction * len(idx)))
        if n < 1 or n >= len(idx):
            raise DataError(f"test_fraction {fraction:g} of class {c}'s {len(idx)} training images leaves none "
                            "for the test split or none for training (change test_fraction or add images)")
        out.append(idx[:n])
        keep.append(idx[n:])
    keep_idx, out_idx = (torch.from_numpy(np.sort(np.concatenate(v))) for v in (keep, out))
    return (Split(split.x[keep_idx], split.y[keep_idx]), Split(split.x[out_idx], split.y[out_idx]))


def load_imagefolder(root: Path | str, image_size: int = 224, test_fraction: Optional[float] = None,
                     split_seed: int = 0) -> TaskData:
    """``root/train/<class>/*``, ``root/val/<class>/*`` and, when there is one, ``root/test/<class>/*``
    (else, with ``test_fraction``, a seeded stratified share of train/), decoded once to uint8 tensors."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"data directory {root} does not exist (pass --data DIR with train/ and val/)")
    train, classes = _read_split(root / "train", image_size, None)
    val, _ = _read_split(root / "val", image_size, classes)
    test = None
    if (root / "test").is_dir():
        test, _ = _read_split(root / "test", image_size, classes)
    elif test_fraction:
        train, test = hold_out(train, test_fraction, split_seed)
    return TaskData(f"ImageFolder {root.name}", classes, train, val, test=test)
