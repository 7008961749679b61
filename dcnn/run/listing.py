"""``dcnn list``: every run the study declares, its cache state and (optionally) its size."""
from __future__ import annotations

from pathlib import Path

import torch

from ..study.resolve import RunSpec, Study
from ..data.images import DataError
from ..registry.data import load_study_data, num_classes_without_decoding
from .plan import Job, cache_state, cached_runs, plan, why, why_text
from ..store.build import Store


def count_params(settings, num_classes: int) -> tuple[int, int]:
    """(trainable, total) of a run's model, built on the meta device: no memory, no weights."""
    from ..train.models import build_model, freeze, freeze_specs, param_counts

    with torch.device("meta"):
        model = build_model(settings.model, num_classes, width_divisor=settings.width_divisor,
                            dropout=settings.dropout, drop_path=settings.drop_path, model_args=settings.model_args,
                            root=settings.model_root, vgg_pool=settings.vgg_pool)
    freeze(model, freeze_specs(settings.freeze, settings.model, settings.model_root))
    return param_counts(model)


def list_runs(study: Study, build: Path, *, data_dir=None, params: bool = False, reasons: bool = False,
              patterns: list[str] | None = None) -> list[dict]:
    """Every run (or those of the variants and sweeps ``patterns`` name, as ``dcnn run`` takes them) with
    its section, figure, cache state and (optionally) parameter counts and why it would train."""
    store = Store(build)
    keys: dict[RunSpec, Job] = {}
    try:   # cache states need the data's fingerprint; an ImageFolder is not decoded just for that
        data = load_study_data(study, store, data_dir, decode=False)
    except DataError:
        data = None
    if data is not None:
        keys = {j.spec: j for j in plan(study, data, study.runs)[1]}
    n_classes = num_classes_without_decoding(study, data_dir) if params else None
    previous = cached_runs(store) if reasons else {}
    rows = []
    for spec in study.select(patterns or []):
        job = keys.get(spec)
        cache = cache_state(store, job) if job is not None else "unknown"
        row = {"variant": spec.variant, "lr": spec.lr, "seed": spec.seed, "section": spec.section,
               "figure": spec.figure, "cache": cache, "key": job.key if job else None}
        if params:
            row["trainable_params"], row["total_params"] = count_params(spec.settings, n_classes)
            row["num_classes"] = n_classes
        if reasons and job is not None:
            row["why"] = why(store, job, previous)
            row["why_text"] = why_text(row["why"])
        rows.append(row)
    return rows
