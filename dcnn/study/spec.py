"""The resolved study: every run (``RunSpec``, with its ``RunConfig``), every variant × learning rate
(``GroupSpec``), and the ``Study`` that holds them. config.load_study makes one. No torch."""
from __future__ import annotations

import difflib
import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from .schema import Profile, StudyError, StudyFile
from .settings import RunConfig


@dataclass(frozen=True)
class RunSpec:
    variant: str            # for sweep runs: the sweep's name, with the value unless it varies lr
    lr: float
    seed: int
    settings: RunConfig     # the data's part (classes, normalisation) is filled in by plan.py
    title: str
    section: str
    figure: Optional[str]   # the paper's figure number for single-seed figures and groups, else None
    compare_to: Optional[str] = None
    sweep: Optional[str] = None
    sweep_value: Optional[float] = None     # the value of the setting the sweep varies

    @property
    def group(self) -> str:
        """variant@lr: the runs that differ only by seed."""
        return group_name(self.variant, self.lr)

    @property
    def label(self) -> str:
        return f"{self.variant} lr={self.lr:g} seed={self.seed}"


def group_name(variant: str, lr: float) -> str:
    return f"{variant}@{lr:g}"


@dataclass(frozen=True)
class GroupSpec:
    """variant × learning rate: one section of the report, one figure (or one per seed)."""

    name: str
    variant: str
    lr: float
    title: str
    heading: Optional[str]
    section: str
    figures: tuple[str, ...]          # one label for the group, or one per seed
    seeds: tuple[int, ...]
    compare_to: Optional[str]         # a group name
    changes: tuple[tuple[str, Any], ...]  # settings that differ from what it extends
    also_compare_to: tuple[str, ...] = ()  # group names
    declared_seeds: int = 0           # the seeds the study declares (dcnn run --decide may add more)


@dataclass(frozen=True)
class Study:
    path: Path
    file: StudyFile
    profile_name: str
    runs: tuple[RunSpec, ...]
    groups: tuple[GroupSpec, ...]
    factors: tuple[dict, ...] = ()    # the factorial analyses: {name, title, metric, over, cells} (factors.py)

    @property
    def profile(self) -> Profile:
        return self.file.profiles[self.profile_name]

    @property
    def variant_names(self) -> tuple[str, ...]:
        return tuple(self.file.variants) + tuple(self.file.sweeps)

    def group(self, name: str) -> GroupSpec:
        return next(g for g in self.groups if g.name == name)

    def select(self, patterns: list[str]) -> tuple[RunSpec, ...]:
        """Runs whose variant (or sweep) matches any name or glob; an unknown name suggests close ones."""
        if not patterns:
            return self.runs
        chosen: list[RunSpec] = []
        for pat in patterns:
            hits = [r for r in self.runs if fnmatch.fnmatchcase(r.variant, pat)
                    or (r.sweep is not None and fnmatch.fnmatchcase(r.sweep, pat))]
            if not hits:
                names = list(self.variant_names)
                close = difflib.get_close_matches(pat, names, n=3, cutoff=0.5)
                hint = f"; did you mean {', '.join(close)}?" if close else f" (variants: {', '.join(names)})"
                raise StudyError(f"{self.path}: no variant matches '{pat}'{hint}")
            chosen.extend(r for r in hits if r not in chosen)
        return tuple(chosen)
