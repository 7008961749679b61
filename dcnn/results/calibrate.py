"""``python -m dcnn calibrate``: the study's own claims, simulated in worlds built on its own seeds —
where nothing differs, and where each claim is least favourably placed — with the seeds declared and
with seeds added by --decide (analysis/calibration.py). The result is kept in ``build/calibration.json``;
the report's methods paragraph cites it while the study's claims, analysis settings and declared seeds
are those it was made with, by this version of the simulation (study/looks.saved_calibration)."""
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
    say("in each world, with the seeds declared" + (", then with the seeds --decide adds" if an.max_seeds is not None
                                                    else ""))
    t0 = time.perf_counter()
    declared = calibrate(results, claims, how, cap=None, n=n, seed=seed, results=results)
    decided = (calibrate(results, claims, how, cap=an.max_seeds, n=n, seed=seed + 1, results=results)
               if an.max_seeds is not None else None)
    out = {**declared, "looks": plan["looks"], "decide": decided, "seconds": round(time.perf_counter() - t0, 1),
           "fingerprint": calibration_fingerprint(study, plan)}
    if correction is None or correction == an.correction:
        Store(build).write_calibration(out)
    return out


def format_calibration(out: dict) -> str:
    pct = lambda p, se: f"{100 * p:.1f} % ± {100 * se:.2f}"  # noqa: E731
    lines = [f"{out['n_claims']} claims, alpha {out['alpha']:g}, correction {out['correction']}, "
             f"up to {out['looks']} looks per claim; {out['n']} synthetic studies per world ({out['seconds']} s), "
             f"seeds diverging before they have a value at {100 * out['p_lost']:.1f} % and collapsing at "
             f"{100 * out['p_collapsed']:.1f} % as in the study",
             f"any false verdict, seeds as declared: {pct(out['family_rate'], out['family_se'])} "
             f"(the largest over {len(out['worlds'])} worlds: {out['worst_world']})"]
    if out["decide"]:
        d = out["decide"]
        lines.append(f"any false verdict, with --decide (up to {d['max_seeds']} seeds): "
                     f"{pct(d['family_rate'], d['family_se'])} ({d['worst_world']})")
    lines.append("per world (seeds as declared" + ("; with --decide" if out["decide"] else "") + "):")
    for i, w in enumerate(out["worlds"]):
        with_d = f"; {pct(out['decide']['worlds'][i]['family_rate'], out['decide']['worlds'][i]['family_se'])}" \
            if out["decide"] else ""
        lines.append(f"  {w['world']:<44} {pct(w['family_rate'], w['family_se'])}{with_d}")
    lines.append("per claim kind, in its least favourable world (false verdicts per claim judged):")
    for kind, k in out["per_kind"].items():
        with_d = f"; with --decide {pct(out['decide']['per_kind'][kind]['rate'], out['decide']['per_kind'][kind]['se'])}" \
            if out["decide"] else ""
        lines.append(f"  {kind:<16} {pct(k['rate'], k['se'])}{with_d}")
    return "\n".join(lines)
