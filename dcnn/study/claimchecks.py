"""A study's claims and analysis against its groups: each claim names runs that exist, compares two
different things, and a claim that can never be decided is said; the analysis' cap and variance
groups fit the study. Each failure is one line (the caller's ``fail``: a StudyError naming the file and
key path)."""
from __future__ import annotations

import difflib
from typing import Optional

from ..registry.data import get_data_source
from .schema import Profile, StudyFile
from .spec import GroupSpec


def check_claims(fail, f: StudyFile, groups: list[GroupSpec], profile: Optional[Profile] = None,
                 warn=lambda loc, msg: None) -> None:
    """Every run a claim names exists and it compares two different things (else ``fail``); a claim no
    verdict can ever decide is ``warn``ed of: a group of one seed that no cap lets dcnn run --decide
    grow, or a test_ metric where the profile's data hold no test split."""
    by_name = {g.name: g for g in groups}
    for i, claim in enumerate(f.claims):
        for ref in claim.check.groups:
            if ref not in by_name:
                close = difflib.get_close_matches(ref, sorted(by_name), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else " (write variant@lr, e.g. scratch@0.2)"
                raise fail(f"claims[{i}].check", f"unknown run '{ref}'{hint}")
        check = claim.check.model_dump(exclude_none=True)
        same = _self_comparison(check)
        if same:
            raise fail(f"claims[{i}].check", f"{same}: a claim compares two different things")
        few = next((by_name[r] for r in claim.check.groups if len(by_name[r].seeds) < 2), None)
        if few is not None and f.analysis.max_seeds is None:
            warn(f"claims[{i}].check", f"can never be decided: {few.name} has {len(few.seeds)} seed, and a verdict "
                                       "needs two or more (seeds: 2, or analysis.max_seeds for dcnn run --decide)")
        metric = str(check.get(claim.check.kind))
        none = get_data_source(profile.data).no_test_split(profile) if profile is not None else None
        if none and metric.startswith("test_"):
            warn(f"claims[{i}].check", f"can never be decided: {metric} needs a test split, and the profile has "
                                       f"none ({none}); use a val_ metric, or give the profile a test split")


def _self_comparison(check: dict) -> Optional[str]:
    among = check.get("among", [])
    if "a" in check and (check["a"] == check.get("b") or check["a"] in among):
        return f"it compares {check['a']} with itself"
    if len(set(among)) != len(among):
        return "it names a group twice in among"
    if "better" in check and check["better"] == check.get("worse"):
        return f"it compares learning rate {check['better']:g} with itself"
    return None


def check_analysis(fail, f: StudyFile, groups: list[GroupSpec]) -> None:
    """max_seeds is at least the most seeds any group declares; the groups named for a variance
    decomposition exist."""
    names = {g.name for g in groups}
    for i, name in enumerate(f.analysis.variance):
        if name not in names:
            close = difflib.get_close_matches(name, sorted(names), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else " (write variant@lr, e.g. vgg16-train-all@0.002)"
            raise fail(f"analysis.variance[{i}]", f"unknown run '{name}'{hint}")
    cap = f.analysis.max_seeds
    most = max(groups, key=lambda g: g.declared_seeds, default=None)
    if cap is not None and most is not None and cap < most.declared_seeds:
        raise fail("analysis.max_seeds", f"{cap} is fewer than the {most.declared_seeds} seeds {most.name} "
                                         "declares (allowed: at least the most seeds any group declares)")
