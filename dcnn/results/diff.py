"""``python -m dcnn diff A B``: what changed between two builds of a study (two build directories or two
results.json files): runs added, removed or changed; every group metric that moved, old → new, and
whether the change is beyond both groups' 95 % intervals of the mean; every claim whose verdict
flipped, and why. Reads results.json only; never trains.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, ValidationError
from scipy import stats

from ..analysis.uncertainty import CONFIDENCE
from ..errors import InputError

METRICS = ("best_val_loss", "test_loss_at_best", "val_acc_at_best", "test_acc_at_best", "selection_gap",
           "final_val_loss", "final_train_loss", "overfit_gap", "best_epoch", "plateau_epoch")
RUN_FIELDS = ("key", "status")
WALL_CLOCK = ("seconds", "train_seconds", "finished_at")   # when and how fast, never what a run computed


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Run(_Part):
    group: str
    seed: int
    status: str
    history: Optional[list[dict]] = None


class _Aggregate(_Part):
    mean: Optional[float] = None
    std: Optional[float] = None
    n: int = 0
    values: Optional[list] = None


class _Group(_Part):
    group: str
    metrics: dict[str, Optional[_Aggregate]]


class _Claim(_Part):
    says: str
    check: dict
    verdict: str


class _Results(_Part):
    """The parts of results.json that diff reads (docs/results-json.md has the whole format)."""

    format: Any
    study: dict
    runs: list[_Run]
    groups: list[_Group]
    claims: list[_Claim]


class DiffError(InputError):
    """Bad input to diff: a missing file, not a results.json, two different studies."""


def load(path: str | Path) -> dict:
    p = Path(path)
    file = p / "results.json" if p.is_dir() else p
    if not file.exists():
        raise DiffError(f"{path}: no such build or file (a build directory holds results.json; "
                        "make report writes it)")
    try:
        r = json.loads(file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DiffError(f"{file}: not a dcnn results.json (not JSON: {exc.msg if hasattr(exc, 'msg') else exc})") from None
    if not isinstance(r, dict) or not {"format", "study", "runs", "groups", "claims"} <= set(r):
        raise DiffError(f"{file}: not a dcnn results.json (it lacks format, study, runs, groups or claims)")
    try:
        _Results.model_validate(r)
    except ValidationError as exc:
        e = exc.errors(include_url=False)[0]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e["loc"]).lstrip(".")
        raise DiffError(f"{file}: not a dcnn results.json ({where}: {e['msg'].lower()})") from None
    return r


def interval(agg: dict) -> Optional[tuple[float, float]]:
    """The 95 % t-interval of a group's mean (None with fewer than two values)."""
    if not agg or agg.get("n", 0) < 2 or agg.get("mean") is None:
        return None
    if not agg["std"]:
        return agg["mean"], agg["mean"]
    lo, hi = stats.t.interval(CONFIDENCE, agg["n"] - 1, loc=agg["mean"], scale=agg["std"] / math.sqrt(agg["n"]))
    return float(lo), float(hi)


def _runs(a: dict, b: dict) -> dict:
    ident = lambda run: f"{run['group']}/seed{run['seed']}"  # noqa: E731
    old, new = {ident(r): r for r in a["runs"]}, {ident(r): r for r in b["runs"]}
    changed = []
    for name in old.keys() & new.keys():
        what = [f for f in RUN_FIELDS if old[name].get(f) != new[name].get(f)]
        if not what and _computed(old[name].get("history")) != _computed(new[name].get("history")):
            what = ["history"]
        if what:
            changed.append({"run": name, "changed": what, "old_status": old[name]["status"],
                            "new_status": new[name]["status"]})
    return {"added": sorted(new.keys() - old.keys()), "removed": sorted(old.keys() - new.keys()),
            "changed": sorted(changed, key=lambda c: c["run"])}


def _computed(history: Optional[list]) -> Optional[list]:
    """A history without its wall-clock fields: two builds of the same runs differ in those alone."""
    if history is None:
        return None
    return [{k: v for k, v in epoch.items() if k not in WALL_CLOCK} for epoch in history]


def _time(r: dict) -> float:
    """The build's training time (results.json's study.train_seconds: each run once)."""
    return float(r["study"].get("train_seconds") or 0.0)


def _groups(a: dict, b: dict) -> list[dict]:
    old = {g["group"]: g for g in a["groups"]}
    out = []
    for g in b["groups"]:
        if g["group"] not in old:
            continue
        for m in METRICS:
            x, y = old[g["group"]]["metrics"].get(m) or {}, g["metrics"].get(m) or {}
            if x.get("values") == y.get("values"):
                continue
            ia, ib = interval(x), interval(y)
            beyond = bool(ia and ib and (ia[1] < ib[0] or ib[1] < ia[0]))
            out.append({"group": g["group"], "metric": m, "old": x.get("mean"), "new": y.get("mean"),
                        "old_n": x.get("n", 0), "new_n": y.get("n", 0), "old_interval": ia, "new_interval": ib,
                        "beyond_intervals": beyond})
    return out


def _claims(a: dict, b: dict) -> list[dict]:
    key = lambda c: json.dumps(c["check"], sort_keys=True)  # noqa: E731
    old = {key(c): c for c in a["claims"]}
    out = []
    for i, c in enumerate(b["claims"], 1):
        o = old.get(key(c))
        if o is None:
            out.append({"claim": i, "says": c["says"], "old": None, "new": c["verdict"], "why": "a new claim"})
        elif o["verdict"] != c["verdict"] or o.get("reason") != c.get("reason"):
            out.append({"claim": i, "says": c["says"], "old": o["verdict"], "new": c["verdict"],
                        "old_reason": o.get("reason"), "new_reason": c.get("reason"),
                        "old_p": o.get("p_adjusted"), "new_p": c.get("p_adjusted"), "why": _why(o, c)})
    return out


def _why(o: dict, c: dict) -> str:
    parts = []
    if o.get("reason") != c.get("reason"):
        parts.append(f"reason {o.get('reason') or '–'} → {c.get('reason') or '–'}")
    if o.get("p_adjusted") is not None and c.get("p_adjusted") is not None:
        parts.append(f"corrected p {o['p_adjusted']:.3g} → {c['p_adjusted']:.3g}")
    if o.get("seeds") != c.get("seeds"):
        parts.append(f"seeds {o.get('seeds')} → {c.get('seeds')}")
    return "; ".join(parts) or "the evidence changed"


def diff(a_path: str | Path, b_path: str | Path, force: bool = False) -> dict[str, Any]:
    a, b = load(a_path), load(b_path)
    ta, tb = a["study"].get("title"), b["study"].get("title")
    if ta != tb and not force:
        raise DiffError(f"the two builds are of different studies ({ta!r} and {tb!r}); --force compares them anyway")
    return {"a": str(a_path), "b": str(b_path), "runs": _runs(a, b), "groups": _groups(a, b),
            "claims": _claims(a, b), "train_seconds": {"old": round(_time(a), 1), "new": round(_time(b), 1)}}


def _fmt(v) -> str:
    return "–" if v is None else f"{v:.4g}"


def format_diff(d: dict) -> str:
    runs = d["runs"]
    lines = [f"{d['a']} → {d['b']}",
             f"runs: {len(runs['added'])} added, {len(runs['removed'])} removed, {len(runs['changed'])} changed"]
    lines += [f"  + {name}" for name in runs["added"]] + [f"  - {name}" for name in runs["removed"]]
    lines += [f"  ~ {c['run']} ({', '.join(c['changed'])})" for c in runs["changed"]]
    moved = d["groups"]
    lines.append(f"group metrics that moved: {len(moved)} "
                 f"({sum(m['beyond_intervals'] for m in moved)} beyond both 95 % intervals of the mean)")
    lines += [f"  {m['group']} {m['metric']}: {_fmt(m['old'])} → {_fmt(m['new'])}"
              f"{'  beyond the intervals' if m['beyond_intervals'] else ''}" for m in moved]
    lines.append(f"claims whose verdict or reason changed: {len(d['claims'])}")
    lines += [f"  {c['claim']}. {c['old'] or 'new'} → {c['new']}: {c['says']} ({c['why']})" for c in d["claims"]]
    t = d["train_seconds"]
    lines.append(f"training time (not compared): {t['old']:g} s → {t['new']:g} s")
    return "\n".join(lines)
