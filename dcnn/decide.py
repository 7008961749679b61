"""``dcnn run --decide``: add seeds to the groups behind undecided claims, one look at a time.

The study plans its looks with ``analysis.max_seeds`` (analysis/sequential.py says how the verdicts
stay honest). After the declared runs, each round reads the claims, adds one seed to every group
that an undecided claim rests on (up to max_seeds), trains those seeds (cached like any run; nothing
is retrained) and looks again, until every claim is decided or no look is left. The added seeds are
kept in ``build/seeds.json``, so the report shows them too.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Callable, Optional

from . import analysis
from .config import Study, StudyError
from .progress import Reporter
from .results import collect
from .schedule import Summary
from .store import Store
from .vocabulary import INCONCLUSIVE


def _undecided(results: dict) -> list[dict]:
    return [c for c in results["claims"] if c["verdict"] == INCONCLUSIVE and not c.get("final", True)]


def verdicts(results: dict) -> Counter:
    return Counter(c["verdict"] for c in results["claims"])


def decide(load: Callable[[dict[str, int]], Study], build: Path, train: Callable[[Study], Summary], *,
           data_dir=None, reporter: Optional[Reporter] = None) -> tuple[Summary, Counter, Counter]:
    """Train the declared runs, then add seeds until the claims are decided or max_seeds is reached.
    ``load(extra_seeds)`` resolves the study with those seeds added; ``train(study)`` trains what is
    missing. Returns (the last training summary, the verdicts before, the verdicts after)."""
    reporter = reporter or Reporter()
    store = Store(build)
    extra = store.read_extra_seeds()
    study = load(extra)
    cap = study.file.analysis.max_seeds
    if cap is None:
        raise StudyError(f"{study.path}: analysis.max_seeds: missing required key for --decide "
                         "(how many seeds a group may grow to, e.g. max_seeds: 6)")
    summary = train(study)
    results = collect(study, build, data_dir=data_dir)
    before = verdicts(results)
    while not summary.failed and not summary.interrupted:
        open_claims = _undecided(results)
        counts = {g["group"]: g["n_seeds"] for g in results["groups"]}
        grow = sorted({g for c in open_claims for g in analysis.claim_groups(results, c["check"]) if counts[g] < cap})
        if not grow:
            break
        extra.update({g: counts[g] + 1 for g in grow})
        store.write_extra_seeds(extra)
        reporter.say(f"decide: {len(open_claims)} claims undecided; one more seed for {len(grow)} groups "
                     f"(up to {cap} seeds each)")
        study = load(extra)
        summary = train(study)
        results = collect(study, build, data_dir=data_dir)
    after = verdicts(results)
    for c in results["claims"]:
        if "look" in c:
            reporter.say(f"decide: §{c['section']} {c['verdict']} at look {c['look']} of {c['looks']} "
                         f"(alpha {c['alpha_per_look']:.4g} per look): {c['says']}")
    return summary, before, after
