"""The plan of looks of ``dcnn run --decide``, recorded once and then held to.

Testing each claim at alpha / K over K planned looks keeps the chance of a false verdict at alpha
only if K and alpha are fixed before any look. So the first ``dcnn run --decide`` records them in
``build/decide-plan.json`` (with max_seeds, the correction and the seeds each group declared), and
from then on a study file whose max_seeds, alpha or correction differ from the recorded plan is a
one-line error — unless the user starts a new plan (``--new-plan``), which the report then states.
A study that declares max_seeds but has never run --decide is judged on the plan it declares.
"""
from __future__ import annotations

import datetime
from pathlib import Path
from typing import Optional

from .. import analysis
from .resolve import Study, StudyError
from ..store.build import Store

LOCKED = ("max_seeds", "alpha", "correction")   # the settings a recorded plan holds to


def declared_plan(study: Study) -> dict:
    """The plan the study file declares: its settings and the looks they give."""
    an = study.file.analysis
    sweep_of = {r.group: r.sweep for r in study.runs}
    groups = {"groups": [{"group": g.name, "variant": g.variant, "lr": g.lr, "sweep": sweep_of.get(g.name),
                          "declared_seeds": g.declared_seeds} for g in study.groups],
              "factors": list(study.factors)}     # (a matters_more claim's groups are its analysis' cells)
    checks = claim_checks(study)
    looks = analysis.study_looks(groups, checks, an.max_seeds)
    return {"max_seeds": an.max_seeds, "alpha": an.alpha, "correction": an.correction, "looks": looks,
            "alpha_per_look": an.alpha / looks, "restarts": []}


def _words(plan: dict) -> str:
    return (f"max_seeds {plan['max_seeds']}, alpha {plan['alpha']:g}, correction {plan['correction']} "
            f"({plan['looks']} looks, each at alpha {plan['alpha_per_look']:.4g})")


def current_plan(study: Study, build: Path) -> dict:
    """The plan the verdicts are judged on: the recorded one (checked against the study file), or the
    declared one when --decide never ran."""
    declared = declared_plan(study)
    recorded = Store(build).read_plan()
    if recorded is None:
        return {**declared, "recorded": False}
    changed = [k for k in LOCKED if recorded.get(k) != declared[k]]
    if changed:
        now = ", ".join(f"{k} {declared[k]}" for k in changed)
        raise StudyError(f"{build / 'decide-plan.json'}: the looks of this build were planned with {_words(recorded)}, "
                         f"and {study.path} now says {now}; put the planned values back, or start a new plan "
                         f"with: python -m dcnn run --decide --new-plan")
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
        old = {k: recorded[k] for k in (*LOCKED, "looks", "alpha_per_look", "recorded_at") if k in recorded}
        plan["restarts"] = [*recorded.get("restarts", []), old]
    store.write_plan(plan)
    return {**plan, "recorded": True}


def claim_checks(study: Study) -> list[dict]:
    """The study's claims' checks, as the analysis reads them."""
    return [c.check.model_dump(exclude_none=True) for c in study.file.claims]


def calibration_fingerprint(study: Study, plan: dict) -> dict:
    """What a calibration (dcnn calibrate) depends on: the claims and the settings that judge them."""
    an = study.file.analysis
    return {"claims": claim_checks(study), "alpha": an.alpha, "correction": an.correction,
            "similar_margin": an.similar_margin, "max_seeds": an.max_seeds, "looks": plan["looks"]}


def saved_calibration(study: Study, build: Path, plan: dict) -> Optional[dict]:
    """The calibration kept in the build, if it was made for the study's present claims and settings."""
    saved = Store(build).read_calibration()
    return saved if saved is not None and saved.get("fingerprint") == calibration_fingerprint(study, plan) else None
