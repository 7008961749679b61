"""``dcnn list``: every run the study declares, its cache state and (optionally) its size."""
from __future__ import annotations

from pathlib import Path

import torch

from .config import RunSpec, Study
from .data import DataError
from .datacache import load_study_data, num_classes_without_decoding
from .plan import Job, plan
from .store import Store


def count_params(settings, num_classes: int) -> tuple[int, int]:
    """(trainable, total) of a run's model, built on the meta device: no memory, no weights."""
    from .layout import parse_freeze_spec
    from .models import build_model, freeze, param_counts

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
    n_classes = num_classes_without_decoding(study, data_dir) if params else None
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
