"""A study's claims and analysis against its groups: each claim names runs that exist, compares two
different things and can be decided; the analysis' cap and variance groups fit the study. Each
failure is one line (the caller's ``fail``: a StudyError naming the file and key path)."""
from __future__ import annotations

import difflib
from typing import Optional

from .schema import Profile, StudyFile
from .spec import GroupSpec


def check_claims(fail, f: StudyFile, groups: list[GroupSpec], profile: Optional[Profile] = None) -> None:
    """Every run a claim names exists, it compares two different things, and it can be decided: two
    seeds or more in each group it names (or a cap dcnn run --decide may grow them to), and on digits
    a test split where it is about the test split."""
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
            raise fail(f"claims[{i}].check", f"{few.name} has {len(few.seeds)} seed, and no verdict can be reached "
                                             "on one (allowed: seeds: 2 or more, or analysis.max_seeds for dcnn run "
                                             "--decide to add them)")
        metric = check.get(claim.check.kind)
        if profile is not None and profile.data == "digits" and profile.test_per_class == 0 \
                and str(metric).startswith("test_"):
            raise fail(f"claims[{i}].check", f"{metric} needs a test split, and the profile holds none out "
                                             "(test_per_class: 0); use a val_ metric or test_per_class above 0")


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
