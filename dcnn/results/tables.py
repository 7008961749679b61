"""The study as tidy tables, for pandas and every other tool: ``build/tables/runs.csv`` (a row per run:
its group, variant, learning rate, seed, backbone, status, sizes, every setting and every metric,
per-class accuracy and its most confused pair) and ``build/tables/epochs.csv`` (a row per run and
finished epoch: every number the history records), Parquet beside them when pyarrow is installed.
docs/tables.md names every column. ``dcnn.load(build)`` reads a build back as objects and, with
pandas installed, as these two DataFrames."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any, Optional

from .types import Results

RUN_COLUMNS = ("group", "variant", "lr", "seed", "section", "figure", "sweep", "sweep_value", "backbone", "status",
               "key", "trainable_params", "total_params", "num_classes", "epochs_done", "diverged_epoch",
               "stopped_early", "train_seconds", "error")
EPOCH_ID = ("group", "variant", "lr", "seed", "key")


def _cell(v: Any) -> Any:
    """A table cell: numbers and strings as they are, lists and dicts as JSON, null as empty."""
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v, sort_keys=True)
    return v


def run_rows(results: Results) -> list[dict]:
    """A row per run: who it is, how it ended, its group's settings, its metrics, per-class accuracy."""
    classes = results.study.data.target.classes
    out = []
    for run in results.runs:
        group = next(g for g in results.groups if g.group == run.group)
        row = {c: getattr(run, c, None) for c in RUN_COLUMNS if c != "epochs_done"}
        row["epochs_done"] = len(run.history)
        row.update({f"setting.{k}": v for k, v in (group.settings or {}).items()})
        row.update(run.metrics.model_dump())
        split = run.confusion.test or run.confusion.val if run.confusion else None
        for name, acc in zip(classes, split.per_class_accuracy if split else [None] * len(classes)):
            row[f"class_accuracy.{name}"] = acc
        top = split.top[0] if split and split.top else None
        row.update({"confused_true": classes[top.true] if top else None,
                    "confused_predicted": classes[top.predicted] if top else None,
                    "confused_count": top.count if top else None,
                    "confusion_split": ("test" if run.confusion.test else "val") if split else None})
        out.append(row)
    return out


def epoch_rows(results: Results) -> list[dict]:
    """A row per run and finished epoch: the run's identity and every number its history records."""
    out = []
    for run in results.runs:
        ident = {c: getattr(run, c) for c in EPOCH_ID}
        for epoch in run.history:
            row = epoch.model_dump()
            row["epoch_lr"] = row.pop("lr")           # (the rate of the epoch's last step; "lr" is the run's)
            out.append({**ident, **row})
    return out


def csv_text(rows: list[dict]) -> str:
    columns = list(dict.fromkeys(c for r in rows for c in r))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({c: "" if r.get(c) is None else _cell(r.get(c)) for c in columns})
    return buf.getvalue()


def write_tables(build: Path, results: Results, write) -> list[Path]:
    """tables/runs.csv and tables/epochs.csv (and .parquet with pyarrow), through ``write(path, bytes)``."""
    folder = Path(build) / "tables"
    paths = []
    for name, rows in (("runs", run_rows(results)), ("epochs", epoch_rows(results))):
        write(folder / f"{name}.csv", csv_text(rows).encode())
        paths.append(folder / f"{name}.csv")
        parquet = _parquet(rows)
        if parquet is not None:
            write(folder / f"{name}.parquet", parquet)
            paths.append(folder / f"{name}.parquet")
    return paths


def _parquet(rows: list[dict]) -> Optional[bytes]:
    try:
        import pandas as pd
        import pyarrow  # noqa: F401
    except ImportError:
        return None
    frame = pd.DataFrame([{k: _cell(v) for k, v in r.items()} for r in rows])
    for col in frame.columns:     # a column of mixed kinds (augment: false or "randaugment") as text
        kinds = {type(v) for v in frame[col] if v is not None and v == v}
        if len(kinds) > 1 and not kinds <= {int, float}:
            frame[col] = frame[col].map(lambda v: None if v is None or v != v else str(v))
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


class Build:
    """A build read back: ``.results`` (the typed results.json; its fields also as attributes:
    ``build.groups``, ``build.claims``) and, with pandas, ``.runs()`` and ``.epochs()`` as DataFrames."""

    def __init__(self, results: Results, path: Path):
        self.results, self.path = results, path

    def __getattr__(self, name: str) -> Any:
        return getattr(self.results, name)

    def runs(self):
        return _frame(run_rows(self.results))

    def epochs(self):
        return _frame(epoch_rows(self.results))


def _frame(rows: list[dict]):
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("dcnn.load(...).runs() and .epochs() need pandas: pip install 'dcnn[pandas]'") from None
    return pd.DataFrame(rows)


def load(build: Path | str = "build") -> Build:
    """The study of a build (its results.json) as objects; ``.runs()`` and ``.epochs()`` as DataFrames."""
    path = Path(build)
    file = path / "results.json" if path.is_dir() else path
    return Build(Results.model_validate_json(file.read_text()), file.parent)
