"""``python -m dcnn calibrate``: the study's own claims, simulated where nothing differs, with the
seeds declared and with seeds added by --decide (analysis/calibration.py). The result is kept in
``build/calibration.json``; the report's methods paragraph cites it while the study's claims and
analysis settings are those it was made with (study/looks.saved_calibration)."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Optional

from .. import analysis
from ..analysis.calibration import calibrate
from ..study.resolve import Study
from ..study.looks import calibration_fingerprint, claim_checks, current_plan
from ..store.build import Store

def calibrate_study(study: Study, build: Path, *, n: int = 2000, seed: int = 0, correction: Optional[str] = None,
                    data_dir=None) -> dict[str, Any]:
    """Family-wise and per-kind false-verdict rates, without and with --decide; saved for the report
    unless ``correction`` overrides the study's."""
    from .collect import collect

    results = collect(study, build, data_dir=data_dir)
    plan = current_plan(study, build)
    an = study.file.analysis
    how = analysis.Judging(alpha=an.alpha, similar_margin=an.similar_margin, correction=correction or an.correction)
    claims = [{"check": c} for c in claim_checks(study)]
    say = lambda what: print(f"calibrate: {n} synthetic studies of {len(claims)} claims, {what}", file=sys.stderr)  # noqa: E731
    say("with the seeds declared" + (", then with the seeds --decide adds" if an.max_seeds is not None else ""))
    t0 = time.perf_counter()
    declared = calibrate(results, claims, how, looks=plan["looks"], cap=None, n=n, seed=seed, results=results)
    decided = (calibrate(results, claims, how, looks=plan["looks"], cap=an.max_seeds, n=n, seed=seed + 1,
                         results=results) if an.max_seeds is not None else None)
    out = {**declared, "decide": decided, "seconds": round(time.perf_counter() - t0, 1),
           "fingerprint": calibration_fingerprint(study, plan)}
    if correction is None or correction == an.correction:
        Store(build).write_calibration(out)
    return out


def format_calibration(out: dict) -> str:
    pct = lambda p, se: f"{100 * p:.1f} % ± {100 * se:.2f}"  # noqa: E731
    lines = [f"{out['n_claims']} claims, alpha {out['alpha']:g}, correction {out['correction']}, "
             f"{out['looks']} planned looks; {out['n']} synthetic studies in which nothing differs "
             f"({out['seconds']} s)",
             f"any false verdict, seeds as declared: {pct(out['family_rate'], out['family_se'])}"]
    if out["decide"]:
        d = out["decide"]
        lines.append(f"any false verdict, with --decide (up to {d['max_seeds']} seeds): "
                     f"{pct(d['family_rate'], d['family_se'])}")
    lines.append("per claim kind (false verdicts per claim judged):")
    for kind, k in out["per_kind"].items():
        with_d = f"; with --decide {pct(out['decide']['per_kind'][kind]['rate'], out['decide']['per_kind'][kind]['se'])}" \
            if out["decide"] else ""
        lines.append(f"  {kind:<16} {pct(k['rate'], k['se'])}{with_d}")
    return "\n".join(lines)
