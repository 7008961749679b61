"""The plan of looks of ``dcnn run --decide``, recorded once and then held to.

Spending alpha over each claim's planned looks (analysis/sequential.py) keeps the chance of a false
verdict at alpha only if everything that decides the tests is fixed before any look: the claims
themselves (their kinds, groups, metrics and margins), the study's default margin, alpha, the
correction, max_seeds and the seeds each group declared. So the first ``dcnn run --decide`` records them
in ``build/decide-plan.json``, and from then on a study file that differs from the recorded plan in any
of them is a one-line error naming what changed — unless the user starts a new plan (``--new-plan``),
which the report then states. A study that declares max_seeds but has never run --decide is judged on
the plan it declares. (A relative margin is a share of b's mean fixed here and tested as a ratio of
means, so no number measured on the seeds ever moves a margin.)
"""
from __future__ import annotations

import datetime
from pathlib import Path
from typing import Optional

from .. import analysis
from ..analysis.calibration import CALIBRATION_VERSION
from .resolve import Study, StudyError
from ..store.build import Store

LOCKED = ("max_seeds", "alpha", "correction", "similar_margin", "claims", "declared")   # what a recorded plan holds to


def declared_plan(study: Study) -> dict:
    """The plan the study file declares: its settings, its claims, the seeds their groups declare, and
    the looks they give (the most any claim has; the alpha the first and each later look spend)."""
    an = study.file.analysis
    sweep_of = {r.group: r.sweep for r in study.runs}
    groups = {"groups": [{"group": g.name, "variant": g.variant, "lr": g.lr, "sweep": sweep_of.get(g.name),
                          "declared_seeds": g.declared_seeds} for g in study.groups],
              "factors": list(study.factors)}     # (a matters_more claim's groups are its analysis' cells)
    checks = claim_checks(study)
    looks = analysis.study_looks(groups, checks, an.max_seeds)
    named = sorted({g for check in checks for g in analysis.claim_groups(groups, check)})
    declared = {g["group"]: g["declared_seeds"] for g in groups["groups"] if g["group"] in named}
    n0 = min(declared.values(), default=1)
    return {"max_seeds": an.max_seeds, "alpha": an.alpha, "correction": an.correction,
            "similar_margin": an.similar_margin, "claims": checks, "declared": declared, "looks": looks,
            "alpha_per_look": an.alpha * (n0 / an.max_seeds if looks > 1 else 1.0),
            "later_alpha": an.alpha / an.max_seeds if looks > 1 else None, "restarts": []}


def _words(plan: dict) -> str:
    later = f", then {plan['later_alpha']:.4g} each" if plan.get("later_alpha") else ""
    return (f"max_seeds {plan['max_seeds']}, alpha {plan['alpha']:g}, correction {plan['correction']}, "
            f"similar_margin {plan.get('similar_margin')}, {len(plan.get('claims') or [])} claims "
            f"({plan['looks']} looks, the first spending alpha {plan['alpha_per_look']:.4g}{later})")


def _changes(recorded: dict, declared: dict) -> list[str]:
    """What the study file changes of the recorded plan, in words."""
    out = []
    for k in LOCKED:
        old, new = recorded.get(k), declared[k]
        if old == new:
            continue
        if k == "claims":
            old = old or []
            diff = [i + 1 for i in range(max(len(old), len(new))) if i >= len(old) or i >= len(new) or old[i] != new[i]]
            out.append(f"{len(new)} claims (claim {', '.join(map(str, diff[:5]))} differ from the {len(old)} recorded)")
        elif k == "declared":
            old = old or {}
            moved = [f"{g} {old.get(g)} → {new.get(g)}" for g in sorted(set(old) | set(new)) if old.get(g) != new.get(g)]
            out.append("declared seeds " + ", ".join(moved[:3]) + (", ..." if len(moved) > 3 else ""))
        else:
            out.append(f"{k} {new}")
    return out


def current_plan(study: Study, build: Path) -> dict:
    """The plan the verdicts are judged on: the recorded one (checked against the study file), or the
    declared one when --decide never ran."""
    declared = declared_plan(study)
    recorded = Store(build).read_plan()
    if recorded is None:
        return {**declared, "recorded": False}
    changed = _changes(recorded, declared)
    if changed:
        raise StudyError(f"{build / 'decide-plan.json'}: the looks of this build were planned with {_words(recorded)}, "
                         f"and {study.path} now says {'; '.join(changed)}; put the planned values back, or start a "
                         f"new plan with: python -m dcnn run --decide --new-plan")
    return {**recorded, "recorded": True}


def record_plan(study: Study, build: Path, *, new: bool = False) -> dict:
    """Record the plan at the first --decide (a no-op when one is recorded and holds); with ``new``,
    replace a recorded plan and keep what it was in ``restarts``."""
    store = Store(build)
    recorded: Optional[dict] = store.read_plan()
    if recorded is not None and not new:
        return current_plan(study, build)
    plan = declared_plan(study)
    plan["recorded_at"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    if recorded is not None:
        old = {k: recorded[k] for k in ("max_seeds", "alpha", "correction", "similar_margin", "looks", "alpha_per_look",
                                        "recorded_at") if k in recorded}
        plan["restarts"] = [*recorded.get("restarts", []), old]
    store.write_plan(plan)
    return {**plan, "recorded": True}


def claim_checks(study: Study) -> list[dict]:
    """The study's claims' checks, as the analysis reads them."""
    return [c.check.model_dump(exclude_none=True) for c in study.file.claims]


def calibration_fingerprint(study: Study, plan: dict) -> dict:
    """What a calibration (dcnn calibrate) depends on: the claims, the settings that judge them, the seeds
    declared, and the version of the simulation (a calibration by an older one is not cited)."""
    an = study.file.analysis
    return {"claims": claim_checks(study), "alpha": an.alpha, "correction": an.correction,
            "similar_margin": an.similar_margin, "max_seeds": an.max_seeds, "looks": plan["looks"],
            "declared": declared_plan(study)["declared"], "method": CALIBRATION_VERSION}


def saved_calibration(study: Study, build: Path, plan: dict) -> Optional[dict]:
    """The calibration kept in the build, if it was made for the study's present claims and settings."""
    saved = Store(build).read_calibration()
    return saved if saved is not None and saved.get("fingerprint") == calibration_fingerprint(study, plan) else None
