"""The study's factorial analyses resolved: each ``factors:`` entry → its cells, one group per
combination of its factors' levels, and the claims that name an analysis checked against it.

Cells are given in the file (``cells: {"level/level": variant@lr}``, each key naming one level of
every factor in the order of ``over``) or derived from the groups themselves: a factor is then a
setting (``model``, ``augment``, ``freeze``, ...), ``lr``, or what a sweep varies
(``frozen_conv_layers``), and its levels that setting's values. A group belongs to the cell of its
values; the cells must come from groups that agree in every other setting, and exactly one such set
of groups may cover every cell — otherwise the file must name them. Groups with the very same
settings (a sweep point that reuses a variant's runs) are one cell: the first declared is taken.
"""
from __future__ import annotations

import difflib
import itertools
import json
import math
from typing import Any, Optional

from ..analysis.factors import level_label
from ..analysis.kinds import kind_of
from .schema import FactorAnalysis, StudyFile
from .settings import SETTING_FIELDS
from .spec import GroupSpec, RunSpec

MISSING = object()
NOT_SETTINGS = ("lr", "seed", "seeds")        # the run's, not the group's (lr is a factor of its own)


def _same(level: Any, value: Any) -> bool:
    if isinstance(level, bool) or isinstance(value, bool):
        return type(level) is type(value) and level == value
    if isinstance(level, (int, float)) and isinstance(value, (int, float)):
        return math.isclose(level, value, rel_tol=1e-9, abs_tol=1e-15)
    if isinstance(level, list) and isinstance(value, (list, tuple)):
        return list(value) == level
    return level == value


def _values(f: StudyFile, g: GroupSpec, run: RunSpec) -> dict[str, Any]:
    """What a group is in every factor it could be crossed by: lr, its settings, its sweep's value."""
    settings = run.settings.model_dump()
    out = {k: settings[k] for k in SETTING_FIELDS if k not in NOT_SETTINGS}    # (not what they imply: a preset)
    out["lr"] = g.lr
    if run.sweep is not None and f.sweeps[run.sweep].vary != "lr":
        out[f.sweeps[run.sweep].vary] = run.sweep_value
    return out


def _implied(f: StudyFile, values: dict[str, dict], runs: dict[str, RunSpec], factors: list[str]) -> set[str]:
    """Settings a sweep over one of the factors changes with it (frozen_conv_layers → freeze)."""
    out: set[str] = set()
    for name, sw in f.sweeps.items():
        if sw.vary in factors:
            points = [v for g, v in values.items() if runs[g].sweep == name]
            out |= {k for k in points[0] if len({json.dumps(p.get(k), default=str) for p in points}) > 1} if points else set()
    return out - set(factors)


class Cells:
    """One analysis' cells, given or derived (each failure one line, through ``fail``)."""

    def __init__(self, fail, loc: str, f: StudyFile, a: FactorAnalysis, groups: list[GroupSpec], runs: list[RunSpec]):
        self.fail, self.loc, self.f, self.a = fail, loc, f, a
        self.groups = groups
        self.first = {g.name: next(r for r in runs if r.group == g.name) for g in groups if any(r.group == g.name for r in runs)}
        self.factors = list(a.over)

    def resolve(self) -> list[dict]:
        for factor, levels in self.a.over.items():
            labels = [level_label(v) for v in levels]
            if len(levels) < 2 or len(set(labels)) != len(labels):
                raise self.fail(f"{self.loc}.over.{factor}", "needs two or more levels, each once")
        return self.given() if self.a.cells is not None else self.derived()

    def cell(self, combo: tuple[int, ...], group: str) -> dict:
        return {"levels": {f: self.a.over[f][i] for f, i in zip(self.factors, combo)}, "group": group}

    def given(self) -> list[dict]:
        names = {g.name for g in self.groups}
        out, seen = [], set()
        for key, group in self.a.cells.items():
            parts = key.split("/")
            if len(parts) != len(self.factors):
                raise self.fail(f"{self.loc}.cells.{key}", f"names {len(parts)} levels; write one level of each of "
                                                           f"{', '.join(self.factors)}, joined by /")
            combo = []
            for factor, part in zip(self.factors, parts):
                labels = [level_label(v) for v in self.a.over[factor]]
                if part not in labels:
                    raise self.fail(f"{self.loc}.cells.{key}", f"'{part}' is not a level of {factor} "
                                                               f"(allowed: {', '.join(labels)})")
                combo.append(labels.index(part))
            if group not in names:
                close = difflib.get_close_matches(group, sorted(names), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else " (write variant@lr)"
                raise self.fail(f"{self.loc}.cells.{key}", f"unknown run '{group}'{hint}")
            if tuple(combo) in seen:
                raise self.fail(f"{self.loc}.cells.{key}", "names a cell already given")
            seen.add(tuple(combo))
            out.append(self.cell(tuple(combo), group))
        if not out:
            raise self.fail(f"{self.loc}.cells", "names no cell")
        return out

    def derived(self) -> list[dict]:
        values = {g: _values(self.f, self.group(g), run) for g, run in self.first.items()}
        for factor in self.factors:
            if not any(factor in v for v in values.values()):
                known = sorted({k for v in values.values() for k in v})
                raise self.fail(f"{self.loc}.over.{factor}", f"'{factor}' is not a setting the groups have, so the "
                                f"cells cannot be derived (allowed: {', '.join(known)}; or give cells:)")
        implied = _implied(self.f, values, self.first, self.factors)
        designs: dict[str, dict[tuple, list[str]]] = {}
        for g, v in values.items():
            combo = tuple(next((i for i, level in enumerate(self.a.over[f]) if _same(level, v.get(f, MISSING))), None)
                          for f in self.factors)
            if None in combo:
                continue
            rest = json.dumps({k: x for k, x in v.items() if k not in self.factors and k not in implied},
                              sort_keys=True, default=str)
            designs.setdefault(rest, {}).setdefault(combo, []).append(g)
        every = list(itertools.product(*[range(len(self.a.over[f])) for f in self.factors]))
        complete = [d for d in designs.values() if len(d) == len(every)]
        if len(complete) > 1:
            raise self.fail(f"{self.loc}.over", "the groups give more than one complete design (they differ in a "
                                                "setting besides the factors); give cells: to name the groups")
        if not complete:
            best = max(designs.values(), key=len, default={})
            lack = next(c for c in every if c not in best)
            words = ", ".join(f"{f} {level_label(self.a.over[f][i])}" for f, i in zip(self.factors, lack))
            raise self.fail(f"{self.loc}.over", f"no group with {words} agrees with the others in every other "
                                                "setting, so the cells cannot be derived (add that run, or give cells:)")
        return [self.cell(c, complete[0][c][0]) for c in every]

    def group(self, name: str) -> GroupSpec:
        return next(g for g in self.groups if g.name == name)


def resolve_factors(fail, f: StudyFile, groups: list[GroupSpec], runs: list[RunSpec]) -> tuple[dict, ...]:
    """Every analysis as {name, title, metric, over, cells}; the claims naming one are checked too."""
    out = []
    for i, a in enumerate(f.factors):
        loc = f"factors[{i}]"
        if any(a.name == d["name"] for d in out):
            raise fail(f"{loc}.name", f"'{a.name}' names another analysis already")
        if not a.over:
            raise fail(f"{loc}.over", "names no factor")
        cells = Cells(fail, loc, f, a, groups, runs).resolve()
        out.append({"name": a.name, "title": a.title or " × ".join(a.over), "metric": a.metric,
                    "over": {k: list(v) for k, v in a.over.items()}, "cells": cells})
    analyses = {d["name"]: list(d["over"]) for d in out}
    for i, claim in enumerate(f.claims):
        check = claim.check.model_dump(exclude_none=True)
        kind = kind_of(check)
        problem: Optional[str] = kind.refs(check, analyses) if kind.refs is not None else None
        if problem:
            raise fail(f"claims[{i}].check", problem)
    return tuple(out)
