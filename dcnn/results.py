"""The cache → results.json: every run with its history and metrics, seed aggregates, comparisons,
claims and sweeps — the one machine-readable form of the study that the report is rendered from."""
from __future__ import annotations

import platform
from dataclasses import asdict
from pathlib import Path
from typing import Any, Optional

from . import analysis as A
from .config import Study, code_version, group_name
from .runner import StudyData, load_study_data, plan
from .store import Store

RESULTS_FORMAT = 1


def _figure_value(label: Optional[str]) -> Any:
    if label is None:
        return None
    return int(label) if label.isdigit() else label


def _run_entry(spec, job, record: Optional[dict], failure: Optional[dict], tol: float, num_classes: int) -> dict:
    base = {"variant": spec.variant, "section": spec.section, "figure": _figure_value(spec.figure),
            "lr": spec.lr, "batch_size": spec.settings.batch_size, "seed": spec.seed, "group": spec.group,
            "key": job.key}
    if spec.sweep is not None:
        base.update(sweep=spec.sweep, frozen_conv_layers=spec.frozen_conv_layers)
    if record is None:
        status = "failed" if failure is not None else "missing"
        base.update(status=status, trainable_params=None, total_params=None, num_classes=num_classes,
                    history=[], metrics=A.compute_metrics([], num_classes, tol), diverged_epoch=None,
                    error=failure.get("error") if failure else None)
        return base
    history = [{k: h[k] for k in ("epoch", "train_loss", "val_loss", "val_acc", "seconds")} for h in record["history"]]
    base.update(status=record["status"], trainable_params=record["trainable_params"],
                total_params=record["total_params"], num_classes=record["num_classes"], history=history,
                metrics=A.compute_metrics(history, record["num_classes"], tol),
                diverged_epoch=record.get("diverged_epoch"), train_seconds=record.get("train_seconds"),
                device=record.get("env", {}).get("device_name"), env=record.get("env"))
    return base


def collect(study: Study, build: Path, data: Optional[StudyData] = None, data_dir=None) -> dict:
    """Read every run of the study from the cache (never training) and compute all statistics."""
    store = Store(build)
    data = data or load_study_data(study, store, data_dir)
    an = study.file.analysis
    pre, jobs = plan(study, data, study.runs)
    job_of = {j.spec: j for j in jobs}
    pre_record = store.read_pretrain(pre.key) if pre else None

    runs = []
    for spec in study.runs:
        job = job_of[spec]
        record = store.read_result(job.key)
        failure = store.read_failure(job.key) if record is None else None
        runs.append(_run_entry(spec, job, record, failure, an.plateau_tol, data.target.num_classes))

    groups = []
    for g in study.groups:
        idx = [i for i, r in enumerate(study.runs) if r.group == g.name]
        entry = {"group": g.name, "variant": g.variant, "lr": g.lr, "title": g.title, "heading": g.heading,
                 "section": g.section, "figures": [_figure_value(f) for f in g.figures], "runs": idx,
                 "compare_to": g.compare_to, "also_compare_to": list(g.also_compare_to),
                 "changes": {k: v for k, v in g.changes},
                 "sweep": study.runs[idx[0]].sweep if idx else None,
                 "batch_size": study.runs[idx[0]].settings.batch_size if idx else None,
                 "settings": _settings(study.runs[idx[0]].settings) if idx else None}
        entry.update(A.summarise_group([runs[i] for i in idx]))
        groups.append(entry)

    results: dict[str, Any] = {
        "format": RESULTS_FORMAT,
        "study": {
            "title": study.file.title, "paper": study.file.paper, "file": str(study.path),
            "profile": study.profile_name, "profile_settings": study.profile.model_dump(),
            "defaults": study.file.defaults.model_dump(), "analysis": an.model_dump(),
            "data": data.describe(), "code_version": code_version(),
            "pretraining": _pretraining(pre, pre_record, study),
            "python": platform.python_version(),
            "n_runs": len(runs),
            "n_done": sum(r["status"] in ("complete", "diverged") for r in runs),
            "train_seconds": round(sum(r.get("train_seconds") or 0.0 for r in runs), 1),
        },
        "runs": runs,
        "groups": groups,
        "comparisons": [],
        "claims": [],
        "sweeps": [],
    }
    comparisons = results["comparisons"]

    def add(c: dict, kind: str) -> int:
        c["kind"] = kind
        c["magnitude"] = abs(c["difference"]) if c["difference"] is not None else None
        comparisons.append(c)
        return len(comparisons) - 1

    for g in groups:
        if g["compare_to"]:
            g["comparison"] = add(A.compare(results, g["group"], g["compare_to"], "best_val_loss", an.alpha),
                                  "baseline")
        g["also_comparisons"] = [add(A.compare(results, g["group"], other, "best_val_loss", an.alpha), "also")
                                 for other in g["also_compare_to"]]
    # Section 4: every variant at its lower learning rate against its higher one.
    for g in groups:
        if g["sweep"] is not None:
            continue
        others = [h for h in groups if h["variant"] == g["variant"] and h["lr"] > g["lr"]]
        for h in others:
            g.setdefault("lr_comparisons", []).append(
                add(A.compare(results, g["group"], h["group"], "best_val_loss", an.alpha), "learning_rate"))

    lr_comps = [comparisons[ci] for g in groups for ci in g.get("lr_comparisons", [])]
    dirs = [A._direction(c) for c in lr_comps]
    results["learning_rates"] = {
        "n": len(lr_comps), "n_lower": sum(d == "lower" for d in dirs), "n_higher": sum(d == "higher" for d in dirs),
        "n_undecided": sum(d is None for d in dirs),
        "comparisons": [ci for g in groups for ci in g.get("lr_comparisons", [])]}

    for claim in study.file.claims:
        check = claim.check.model_dump(exclude_none=True)
        entry = A.evaluate_claim(results, check, an.alpha, an.similar_margin)
        results["claims"].append({"section": claim.section, "says": claim.says, "check": check, **entry})

    for name, sw in study.file.sweeps.items():
        names = [group_name(f"{name}-k{k}", sw.lr) for k in sw.frozen_conv_layers]
        summary = A.sweep_summary(results, names, sw.frozen_conv_layers, an.alpha)
        for c in summary["comparisons_to_unfrozen"]:
            add(c, "sweep")
        ref = None
        if sw.reference:
            candidates = [g for g in groups if g["variant"] == sw.reference and g["metrics"]["best_val_loss"]["n"]]
            if candidates:
                best = min(candidates, key=lambda g: g["metrics"]["best_val_loss"]["mean"])
                ref = {"group": best["group"], "best_val_loss": best["metrics"]["best_val_loss"]}
        results["sweeps"].append({"name": name, "title": sw.title, "section": sw.section, "lr": sw.lr,
                                  "batch_size": sw.batch_size, "reference": ref, **summary})
    return results


def _settings(settings) -> dict:
    d = asdict(settings)
    for k in ("lr", "seed"):
        d.pop(k)
    return d


def _pretraining(pre, record: Optional[dict], study: Study) -> dict:
    prof = study.profile
    if prof.data != "digits":
        return {"kind": "imagenet", "weights": prof.weights,
                "source": f"torchvision VGG16_Weights.{prof.weights} (ImageNet-1k)"}
    if pre is None:
        return {"kind": "none"}
    out: dict[str, Any] = {"kind": "own", "key": pre.key, "status": "missing" if record is None else record["status"],
                           "epochs": pre.fit.epochs, "optimizer": pre.fit.optimizer, "lr": pre.fit.lr,
                           "batch_size": pre.fit.batch_size, "source_task": "digits 0-4"}
    if record is not None:
        hist = record["history"]
        out.update(source_accuracy=record.get("source_accuracy"), history=hist,
                   source_val_loss=hist[-1]["val_loss"] if hist else None,
                   train_seconds=record.get("train_seconds"), chance_accuracy=1 / record["num_classes"],
                   failed=(record.get("source_accuracy") or 0) < 2 / record["num_classes"])
    return out
