"""The cache → results.json: every run with its history and metrics, seed aggregates, comparisons,
claims and sweeps — the one machine-readable form of the study that the report is rendered from.
Its format is documented in docs/results-json.md."""
from __future__ import annotations

import platform
from pathlib import Path
from typing import Any, Optional

from .. import analysis
from ..analysis.confusion import group_confusion
from ..study.resolve import RunSpec, Study
from ..study.settings import SETTING_WORDS
from ..data.cache import StudyData
from ..registry.data import load_study_data
from ..study.looks import current_plan, saved_calibration
from ..run.plan import Job, backbone_index, code_version, model_label, plan
from .provenance import provenance
from .types import Results
from ..store.build import Store

RESULTS_FORMAT = 1
# One history entry: the metrics' inputs, then how the network's outputs vary (collapse), docs/metrics.md.
HISTORY_KEYS = ("epoch", "train_loss", "val_loss", "val_acc", "seconds", "val_top_share", "val_logit_range",
                "test_loss", "test_acc", "lr", "trainable_params", "train_clean_loss")
DONE = ("complete", "diverged")      # a run with a result (diverged is a result, not an error)


def _figure_value(label: Optional[str]) -> Any:
    if label is None:
        return None
    return int(label) if label.isdigit() else label


def _run_entry(spec: RunSpec, job: Job, record: Optional[dict], failure: Optional[dict], tol: float,
               num_classes: int, class_counts: list[int]) -> dict:
    base = {"variant": spec.variant, "section": spec.section, "figure": _figure_value(spec.figure),
            "lr": spec.lr, "batch_size": spec.settings.batch_size, "seed": spec.seed, "group": spec.group,
            "key": job.key}
    if spec.sweep is not None:
        base.update(sweep=spec.sweep, sweep_value=spec.sweep_value)
    if record is None:
        status = "failed" if failure is not None else "missing"
        base.update(status=status, trainable_params=None, total_params=None, num_classes=num_classes,
                    history=[], metrics=analysis.compute_metrics([], num_classes, tol, class_counts),
                    diverged_epoch=None,
                    divergence=None,
                    error=failure.get("error") if failure else None)
        return base
    history = [{k: h[k] for k in HISTORY_KEYS if k in h} for h in record["history"]]
    base.update(status=record["status"], trainable_params=record["trainable_params"],
                frozen_batchnorms=record.get("frozen_batchnorms", 0),
                total_params=record["total_params"], num_classes=record["num_classes"], history=history,
                metrics=analysis.compute_metrics(history, record["num_classes"], tol, class_counts),
                diverged_epoch=record.get("diverged_epoch"), divergence=record.get("divergence"),
                stopped_early=record.get("stopped_early"), confusion=record.get("confusion"),
                train_seconds=record.get("train_seconds"),
                device=record.get("env", {}).get("device_name"), env=record.get("env"))
    return base


def _group_entry(study: Study, g, runs: list[dict], classes: tuple = ()) -> dict:
    idx = [i for i, r in enumerate(study.runs) if r.group == g.name]
    first = study.runs[idx[0]] if idx else None
    entry = {"group": g.name, "variant": g.variant, "lr": g.lr, "title": g.title, "heading": g.heading,
             "section": g.section, "figures": [_figure_value(f) for f in g.figures], "runs": idx,
             "compare_to": g.compare_to, "also_compare_to": list(g.also_compare_to),
             "changes": {k: v for k, v in g.changes},
             "declared_seeds": g.declared_seeds, "sweep": first.sweep if first else None,
             "batch_size": first.settings.batch_size if first else None,
             "settings": _settings(first.settings) if first else None}
    entry.update(analysis.summarise_group([runs[i] for i in idx]))
    done = [runs[i] for i in idx if runs[i]["status"] in DONE]
    entry["confusion"] = group_confusion(done, classes)
    return entry


class _Comparisons:
    """The list results["comparisons"], each entry added once and referred to by its index."""

    def __init__(self, results: dict, alpha: float):
        self.results, self.alpha = results, alpha
        self.items: list[dict] = results["comparisons"]

    def add(self, c: dict, kind: str) -> int:
        c["kind"] = kind
        c["magnitude"] = abs(c["difference"]) if c["difference"] is not None else None
        self.items.append(c)
        return len(self.items) - 1

    def compare(self, a: str, b: str, kind: str) -> int:
        return self.add(analysis.compare(self.results, a, b, "best_val_loss", self.alpha, uncertainty=False), kind)


def _add_comparisons(results: dict, alpha: float) -> _Comparisons:
    """Each group against what it builds on (and its also_compare_to); each variant at its lower
    learning rate against its higher one (the study's learning-rate section)."""
    comps = _Comparisons(results, alpha)
    groups = results["groups"]
    for g in groups:
        if g["compare_to"]:
            g["comparison"] = comps.compare(g["group"], g["compare_to"], "baseline")
        g["also_comparisons"] = [comps.compare(g["group"], other, "also") for other in g["also_compare_to"]]
    for g in groups:
        if g["sweep"] is not None:
            continue
        for h in [h for h in groups if h["variant"] == g["variant"] and h["lr"] > g["lr"]]:
            g.setdefault("lr_comparisons", []).append(comps.compare(g["group"], h["group"], "learning_rate"))
    return comps


def _learning_rates(results: dict) -> dict:
    """The learning-rate table's counts, from the comparisons' verdicts (settled by their q-values)."""
    items = results["comparisons"]
    lr_comps = [ci for g in results["groups"] for ci in g.get("lr_comparisons", [])]
    dirs = [analysis.direction(items[ci]) for ci in lr_comps]
    highs = [analysis.group_by_name(results, items[ci]["b"]) for ci in lr_comps]
    return {"n": len(lr_comps), "n_lower": sum(d == "lower" for d in dirs), "n_higher": sum(d == "higher" for d in dirs),
            "n_undecided": sum(d is None for d in dirs), "comparisons": lr_comps,
            "n_high_diverged": sum(h["n_done"] > 0 and h["n_diverged"] == h["n_done"] for h in highs),
            "n_high_never_learned": sum(h["n_done"] > h["n_diverged"] and h["n_learned"] == 0 for h in highs)}


def _add_claims(results: dict, study: Study, build: Path) -> None:
    """Every claim's verdict: its test, corrected for the number of claims, at the alpha of the
    planned look (looks.py: the plan --decide recorded, or the one the study declares)."""
    an = study.file.analysis
    plan = current_plan(study, build)
    results["study"]["plan"] = plan
    results["study"]["calibration"] = saved_calibration(study, build, plan)
    claims = [{"section": c.section, "says": c.says, "check": c.check.model_dump(exclude_none=True)}
              for c in study.file.claims]
    how = analysis.Judging(alpha=an.alpha, similar_margin=an.similar_margin, correction=an.correction)
    results["claims"] = analysis.judge_claims(results, claims, how, correction=an.correction, max_seeds=an.max_seeds)


def _add_q_values(results: dict, alpha: float) -> None:
    """Benjamini–Hochberg q-values over every comparison the report prints (an exploratory family), and
    each one's verdict by them: lower / higher only when its q-value is below alpha (analysis.settle_family)."""
    items = results["comparisons"]
    analysis.settle_family(items, alpha)
    for sw in results["sweeps"]:
        sw["worse_from"] = analysis.worse_from(sw["comparisons_to_baseline"])
    results["learning_rates"] = _learning_rates(results)
    results["study"]["methods"] = {"n_comparisons": sum(c["p_value"] is not None for c in items),
                                   "n_claims": len(results["claims"])}


def _add_sweeps(results: dict, study: Study, comps: _Comparisons) -> None:
    for name, sw in study.file.sweeps.items():
        points = [(r.sweep_value, r.group) for r in study.runs if r.sweep == name and r.seed == 0]
        values, names = [v for v, _ in points], [g for _, g in points]
        baseline = values[0] if sw.baseline is None else next(v for v in values if v == sw.baseline)
        summary = analysis.sweep_summary(results, names, values, baseline, study.file.analysis.alpha)
        for c in summary["comparisons_to_baseline"]:
            comps.add(c, "sweep")
        ref = None
        if sw.reference:
            candidates = [g for g in results["groups"]
                          if g["variant"] == sw.reference and g["metrics"]["best_val_loss"]["n"]]
            if candidates:
                best = min(candidates, key=lambda g: g["metrics"]["best_val_loss"]["mean"])
                ref = {"group": best["group"], "lr": best["lr"], "best_val_loss": best["metrics"]["best_val_loss"]}
        results["sweeps"].append({"name": name, "title": sw.title, "section": sw.section, "vary": sw.vary, "vary_words": SETTING_WORDS[sw.vary],
                                  "lr": sw.lr, "batch_size": sw.batch_size, "reference": ref, **summary})


def _study_entry(study: Study, data: StudyData, data_dir, pretraining: dict, runs: list[dict]) -> dict:
    return {"title": study.file.title, "paper": study.file.paper, "file": str(study.path),
            "profile": study.profile_name, "data_dir": str(data_dir) if data_dir is not None else None,
            "profile_settings": study.profile.model_dump(),
            "defaults": study.file.defaults.model_dump(), "analysis": study.file.analysis.model_dump(),
            "data": data.describe(), "code_version": code_version(), "pretraining": pretraining,
            "python": platform.python_version(), "n_runs": len(runs), "n_done": sum(r["status"] in DONE for r in runs),
            "train_seconds": round(sum({r["key"]: r.get("train_seconds") or 0.0 for r in runs}.values()), 1)}


def collect(study: Study, build: Path, data: Optional[StudyData] = None, data_dir=None) -> Results:
    """Read every run of the study from the cache (never training) and compute all statistics: the
    typed results (types.py) that results.json, the report and the LaTeX are written from."""
    store = Store(build)
    data = data or load_study_data(study, store, data_dir)
    pretrains, jobs = plan(study, data, study.runs)
    runs = []
    class_counts = data.describe()["target"]["val_class_counts"]
    for spec, job in zip(study.runs, jobs):
        record = store.read_result(job.key)
        failure = store.read_failure(job.key) if record is None else None
        runs.append(_run_entry(spec, job, record, failure, study.file.analysis.plateau_tol, data.target.num_classes,
                               class_counts))
        runs[-1]["backbone"] = backbone_index(study, spec)
    pretraining = _pretraining(study, data, pretrains, jobs, store)
    results: dict[str, Any] = {
        "format": RESULTS_FORMAT, "study": _study_entry(study, data, data_dir, pretraining, runs), "runs": runs,
        "groups": [_group_entry(study, g, runs, data.target.classes) for g in study.groups],
        "comparisons": [], "claims": [], "sweeps": [],
    }
    comps = _add_comparisons(results, study.file.analysis.alpha)
    _add_sweeps(results, study, comps)
    results["factors"] = analysis.factor_entries(results, list(study.factors))   # (before the claims: they read it)
    _add_q_values(results, study.file.analysis.alpha)
    _add_claims(results, study, build)
    results["study"]["methods"]["n_claims"] = len(results["claims"])
    results["variance"] = analysis.variance_entries(results, study.file.analysis.variance)
    results["selection"] = analysis.selection_summary(results, study.file.analysis.alpha)
    results["provenance"] = provenance(study.path, runs, results["groups"], pretraining)
    return Results.model_validate(results)


def _settings(settings) -> dict:
    return settings.model_dump(exclude={"lr", "seed", "seeds", "num_classes", "mean", "std"})


def _own_backbone(pre: Job, record: Optional[dict]) -> dict[str, Any]:
    c = pre.config
    out: dict[str, Any] = {"arch": c.model, "width_divisor": c.width_divisor, "model": model_label(c.model, c.width_divisor),
                           "index": pre.backbone_index, "seed": c.seed, "key": pre.key,
                           "status": "missing" if record is None else record["status"],
                           "epochs": c.epochs, "optimizer": c.optimizer, "lr": c.lr, "batch_size": c.batch_size}
    if record is not None:
        hist = record["history"]
        out.update(source_accuracy=record.get("source_accuracy"), history=hist,
                   source_val_loss=hist[-1]["val_loss"] if hist else None,
                   train_seconds=record.get("train_seconds"), chance_accuracy=1 / record["num_classes"],
                   failed=(record.get("source_accuracy") or 0) < 2 / record["num_classes"])
    return out


def _pretraining(study: Study, data: StudyData, pretrains: list[Job], jobs: list[Job], store: Store) -> dict:
    """Where the pretrained runs' weights come from: this study's own pretraining on its source task
    (one backbone per model), a library's weights (torchvision's, timm's), or nothing (no run is pretrained)."""
    backbones = {str(j.backbone): j.backbone for j in jobs if j.backbone is not None}
    if not backbones:
        return {"kind": "none", "backbones": []}
    if study.profile.backbone_source == "library":    # torchvision's or timm's: the backbones' own source
        return {"kind": next(iter(backbones.values())).source, "backbones": [
            {"arch": b.arch, "model": model_label(b.arch), "weights": b.name, "file": b.file} for b in backbones.values()]}
    return {"kind": "own", "source_task": data.source.name if data.source else None,
            "per_model": study.profile.pretrain.seeds,
            "backbones": [_own_backbone(pre, store.read_pretrain(pre.key)) for pre in pretrains]}
