"""Which classes a run confuses: a confusion matrix (``matrix[true][predicted]``, image counts), its
per-class accuracy, its largest off-diagonal cells, and for many classes (over ``FULL_UP_TO``) the
compact form a run keeps instead of the whole matrix. Pure: lists of lists in, numbers out."""
from __future__ import annotations

from typing import Optional, Sequence

FULL_UP_TO = 20      # classes up to which a run keeps its whole matrix (beyond: per-class accuracy and top pairs)
TOP_PAIRS = 10       # the largest confusions a run with many classes keeps


def per_class_accuracy(matrix: Sequence[Sequence[int]]) -> list[Optional[float]]:
    """Each class's share of its images predicted as itself (None for a class without images)."""
    return [row[i] / sum(row) if sum(row) else None for i, row in enumerate(matrix)]


def top_confusions(matrix: Sequence[Sequence[int]], k: int = TOP_PAIRS) -> list[dict]:
    """The ``k`` largest off-diagonal cells: {true, predicted, count, share of the true class's images}."""
    cells = [(count, t, p) for t, row in enumerate(matrix) for p, count in enumerate(row) if t != p and count]
    cells.sort(key=lambda c: (-c[0], c[1], c[2]))
    return [{"true": t, "predicted": p, "count": c, "share": c / sum(matrix[t])} for c, t, p in cells[:k]]


def compact(matrix: Sequence[Sequence[int]]) -> dict:
    """What a run keeps of a split's matrix: the whole of it up to FULL_UP_TO classes, else its per-class
    accuracy, per-class image counts and largest confusions."""
    out = {"per_class_accuracy": per_class_accuracy(matrix), "per_class_images": [sum(r) for r in matrix],
           "top": top_confusions(matrix)}
    if len(matrix) <= FULL_UP_TO:
        out["matrix"] = [list(r) for r in matrix]
    return out


def summed(matrices: Sequence[Sequence[Sequence[int]]]) -> list[list[int]]:
    """The cell-by-cell sum of several runs' matrices (a group's seeds)."""
    if not matrices:
        return []
    n = len(matrices[0])
    return [[sum(m[t][p] for m in matrices) for p in range(n)] for t in range(n)]


def group_confusion(runs: Sequence[dict], classes: Sequence[str]) -> Optional[dict]:
    """A group's confusion over its seeds, on the test split where the runs have one (else validation):
    the summed matrix (up to FULL_UP_TO classes), per-class accuracy and the largest confusions, with
    the most confused pair in ``top[0]``. None when no seed recorded one."""
    have = [r["confusion"] for r in runs if r.get("confusion")]
    split = "test" if have and all(c.get("test") for c in have) else "val"
    parts = [c[split] for c in have if c.get(split)]
    if not parts:
        return None
    images = [sum(p["per_class_images"][i] for p in parts) for i in range(len(classes))]
    if all(p.get("matrix") for p in parts):
        matrix = summed([p["matrix"] for p in parts])
        out = {"matrix": matrix, "per_class_accuracy": per_class_accuracy(matrix), "top": top_confusions(matrix)}
    else:        # many classes: the seeds' largest confusions, merged; per-class accuracy weighted by images
        cells: dict[tuple[int, int], int] = {}
        for p in parts:
            for c in p["top"]:
                cells[(c["true"], c["predicted"])] = cells.get((c["true"], c["predicted"]), 0) + c["count"]
        top = sorted(cells.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_PAIRS]
        acc = [sum((p["per_class_accuracy"][i] or 0) * p["per_class_images"][i] for p in parts) / images[i]
               if images[i] else None for i in range(len(classes))]
        out = {"matrix": None, "per_class_accuracy": acc,
               "top": [{"true": t, "predicted": q, "count": n, "share": n / images[t]} for (t, q), n in top]}
    return {"split": split, "n_runs": len(parts), "classes": list(classes), "per_class_images": images, **out}
