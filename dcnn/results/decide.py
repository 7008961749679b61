"""``dcnn run --decide``: add seeds to the groups behind undecided claims, one look at a time.

The study plans its looks with ``analysis.max_seeds``; the first --decide records that plan in the
build (looks.py), and later ones hold to it (analysis/sequential.py says how the verdicts stay
honest). After the declared runs, each round reads the claims, adds one seed to every group that an
undecided claim rests on (up to max_seeds; not for a claim that more seeds are not expected to
decide), trains those seeds (cached like any run; nothing is retrained) and looks again, until every
claim is decided or no look is left. The added seeds are kept in ``build/seeds.json``, so the report
shows them too.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Callable, Optional

from .. import analysis
from ..study.resolve import Study, StudyError
from ..study.looks import record_plan
from ..run.progress import Reporter
from .collect import collect
from ..run.schedule import Summary
from ..store.build import Store


def verdicts(results: dict) -> Counter:
    return Counter(c["verdict"] for c in results["claims"])


def decide(load: Callable[[dict[str, int]], Study], build: Path, train: Callable[[Study], Summary], *,
           data_dir=None, reporter: Optional[Reporter] = None, new_plan: bool = False) -> tuple[Summary, Counter, Counter]:
    """Train the declared runs, then add seeds until the claims are decided or max_seeds is reached.
    ``load(extra_seeds)`` resolves the study with those seeds added; ``train(study)`` trains what is
    missing; ``new_plan`` replaces a recorded plan of looks. Returns (the last training summary, the
    verdicts before, the verdicts after)."""
    reporter = reporter or Reporter()
    store = Store(build)
    extra = store.read_extra_seeds()
    study = load(extra)
    cap = study.file.analysis.max_seeds
    if cap is None:
        raise StudyError(f"{study.path}: analysis.max_seeds: missing required key for --decide "
                         "(how many seeds a group may grow to, e.g. max_seeds: 6)")
    plan = record_plan(study, build, new=new_plan)      # recorded, or checked, before anything trains
    later = f", each later one {plan['later_alpha']:.4g}" if plan.get("later_alpha") else ""
    reporter.say(f"decide: up to {plan['looks']} looks per claim, the first spending alpha {plan['alpha_per_look']:.4g}"
                 f"{later} ({plan['correction']} over the claims), up to {cap} seeds per group")
    summary = train(study)
    results = collect(study, build, data_dir=data_dir)
    before = verdicts(results)
    while not summary.failed and not summary.interrupted:
        grow = analysis.groups_to_grow(results, cap)
        if not grow:
            break
        open_claims = sum(c["verdict"] == "inconclusive" and not c["final"] for c in results["claims"])
        extra.update({g: analysis.group_by_name(results, g)["n_seeds"] + 1 for g in grow})
        store.write_extra_seeds(extra)
        reporter.say(f"decide: {open_claims} claims undecided; one more seed for {len(grow)} groups "
                     f"(up to {cap} seeds each)")
        study = load(extra)
        summary = train(study)
        results = collect(study, build, data_dir=data_dir)
    after = verdicts(results)
    for c in results["claims"]:
        why = " (more seeds up to the cap are not expected to decide it)" if c["futile"] else ""
        reporter.say(f"decide: §{c['section']} {c['verdict']} at look {c['look']} of {c['looks']} "
                     f"(its level {c['level']:.4g}){why}: {c['says']}")
    return summary, before, after
