"""What a reader needs to reproduce a study, from its runs (results.json's ``provenance``): the machines
that trained it, the compute it took (per status and per device), the study file's hash, the range of
every setting that varies, and the size of every variant. The report's appendix prints it.
"""
from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path
from typing import Any, Optional

from ..run.machine import cores, cpu_model

STATUSES = ("complete", "diverged", "failed", "missing")


def machine(env: dict) -> str:
    """One device in words: the GPU's name, or the CPU's model and cores (older runs recorded less)."""
    if env.get("device", "cpu") != "cpu":
        return f"{env['device']} ({env.get('device_name') or 'unknown model'})"
    details = ([f"{env['cores']} cores"] if env.get("cores") else []) + \
        ([f"{env['threads']} thread{'s' if env['threads'] != 1 else ''} per run"] if env.get("threads") else [])
    return f"CPU {env.get('cpu') or 'of unrecorded model'}" + (f" ({', '.join(details)})" if details else "")


def _compute(runs: list[dict], pretraining: dict) -> dict:
    by_status = {s: {"n": 0, "seconds": 0.0} for s in STATUSES}
    devices: dict[str, dict] = {}
    seen: set = set()
    for run in runs:
        # A run that two groups share (one cache key) was trained once: its seconds count once, as in
        # the study's train_seconds, so that every total the report prints is the same sum.
        seconds = 0.0 if run.get("key") in seen else (run.get("train_seconds") or 0.0)
        seen.add(run.get("key"))
        entry = by_status[run["status"]]
        entry["n"] += 1
        entry["seconds"] += seconds
        if run.get("env"):
            d = devices.setdefault(machine(run["env"]), {"device": machine(run["env"]), "runs": 0, "seconds": 0.0})
            d["runs"] += 1
            d["seconds"] += seconds
    backbones = [b for b in pretraining.get("backbones", []) if b.get("train_seconds") is not None]
    pre_seconds = sum(b["train_seconds"] for b in backbones)
    out: dict[str, Any] = {
        "by_status": {s: {"n": e["n"], "seconds": round(e["seconds"], 1)} for s, e in by_status.items()},
        "devices": [{**d, "seconds": round(d["seconds"], 1)} for d in sorted(devices.values(), key=lambda d: -d["runs"])],
        "pretraining": {"n": len(backbones), "seconds": round(pre_seconds, 1)},
    }
    out["total_seconds"] = round(sum(e["seconds"] for e in by_status.values()) + pre_seconds, 1)
    return out


def _ranges(groups: list[dict]) -> list[dict]:
    """Every setting that takes more than one value across the study's groups, with its values."""
    values: dict[str, dict[str, Any]] = {"lr": {json.dumps(g["lr"]): g["lr"] for g in groups}}
    for g in groups:
        for key, value in (g.get("settings") or {}).items():      # (by their JSON: lists and dicts too)
            values.setdefault(key, {})[json.dumps(value, sort_keys=True)] = value
    out = []
    for key, vals in values.items():
        if len(vals) > 1:
            shown = sorted(vals.values(), key=lambda v: (v is None, str(type(v)),
                                                         v if isinstance(v, (int, float)) else json.dumps(v)))
            out.append({"setting": key, "values": shown})
    return out


def _sizes(runs: list[dict]) -> list[dict]:
    """Total and trainable parameters of every variant (from its first run that was built)."""
    out: dict[str, dict] = {}
    for run in runs:
        if run.get("total_params") is not None and run["variant"] not in out:
            out[run["variant"]] = {"variant": run["variant"], "total_params": run["total_params"],
                                   "trainable_params": run["trainable_params"]}
    return list(out.values())


def provenance(study_path: Path, runs: list[dict], groups: list[dict], pretraining: dict,
               report_machine: Optional[dict] = None) -> dict:
    """results.json's ``provenance``: the machine writing the report, the study file's hash, the compute
    and the settings and sizes that vary."""
    return {"report_machine": report_machine or {"cpu": cpu_model(), "cores": cores(), "platform": platform.platform()},
            "study_sha256": hashlib.sha256(Path(study_path).read_bytes()).hexdigest(),
            "compute": _compute(runs, pretraining), "ranges": _ranges(groups), "sizes": _sizes(runs)}
