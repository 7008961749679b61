"""A study's factorial analyses (``factors:`` in the study file): the cells' per-seed values → a type-II
ANOVA on the factors and their two-way interactions, each effect's share of the variance with its
interval, and the residual's (anova.py) — the entry results.json holds under ``factors``, and the
words the report prints under it.

A seed enters with its value of the analysis' metric; a seed without one (not trained yet, failed, or
diverged before its first epoch) is left out and named; a seed that diverged later or collapsed
enters with the value it has, and is counted. A cell left without a value drops out, and with it any
interaction that then lacks a combination of levels; a design too empty to fit is refused in one line.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from . import anova
from .numbers import Sentence, num
from .stats import group_by_name
from .vocabulary import METRIC_WORDS

WHY_DROPPED = {"missing": "not trained yet", "failed": "failed", "diverged": "diverged before its first epoch",
               "complete": "no value of the metric"}


def level_label(value: Any) -> str:
    """A level as the report names it: 0.01, true, resnet18, [features[0:15]] (none for [])."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(str, value)) + "]" if value else "none"
    return str(value)


@dataclass
class Fit:
    """An analysis' observations and the model they support (or why none)."""

    factors: list[str]
    codes: np.ndarray                 # observations × factors: level indices among the levels present
    y: np.ndarray
    cell: np.ndarray                  # each observation's cell (index into the design's cells)
    present: list[list[int]]          # per factor: the declared levels' indices that have values
    per_cell: list[int]
    dropped: list[dict] = field(default_factory=list)
    dropped_effects: list[dict] = field(default_factory=list)
    n_degenerate: int = 0
    terms: list = field(default_factory=list)
    engine: Optional[anova.TypeTwo] = None
    refused: Optional[str] = None

    @property
    def names(self) -> list[str]:
        return [anova.term_name(self.factors, t) for t in self.terms]

    def draws(self) -> tuple[np.ndarray, np.ndarray]:
        """Every effect's share and the residual's, in each resample of the seeds within cells."""
        return anova.shares(*self.engine.sums(anova.resample(self.y, self.cell)))

    def estimates(self) -> tuple[np.ndarray, np.ndarray]:
        partial, noise = anova.shares(*self.engine.sums(self.y))
        return partial[:, 0], noise[0]


def _seeds(results: dict, group: str, metric: str) -> tuple[list[float], list[dict], int]:
    """(the values of a cell's seeds that have one, those left out, how many of them are degenerate)."""
    g = group_by_name(results, group)
    kept, left, degenerate = [], {}, 0
    for i, v in zip(g["runs"], g["metrics"][metric]["values"]):
        run = results["runs"][i]
        if v is None or not math.isfinite(v):
            left.setdefault(WHY_DROPPED.get(run["status"], run["status"]), []).append(run["seed"])
            continue
        kept.append(float(v))
        degenerate += run["status"] == "diverged" or bool(run["metrics"].get("collapsed"))
    return kept, [{"group": group, "seeds": s, "why": why} for why, s in left.items()], degenerate


def observations(results: dict, design: dict) -> Fit:
    """The values of every cell of ``design`` ({metric, over, cells}) and the model they support."""
    factors, over = list(design["over"]), design["over"]
    codes, y, cell, per_cell, dropped, degenerate = [], [], [], [], [], 0
    for ci, c in enumerate(design["cells"]):
        kept, left, bad = _seeds(results, c["group"], design["metric"])
        code = [list(over[f]).index(c["levels"][f]) for f in factors]
        codes += [code] * len(kept)
        y += kept
        cell += [ci] * len(kept)
        per_cell.append(len(kept))
        dropped += left
        degenerate += bad
    codes_a = np.array(codes, dtype=int).reshape(len(y), len(factors))
    present = [sorted(set(codes_a[:, i].tolist())) for i in range(len(factors))]
    recoded = np.array([[present[i].index(c) for i, c in enumerate(row)] for row in codes_a], dtype=int
                       ).reshape(codes_a.shape)
    fit = Fit(factors, recoded, np.array(y, dtype=float), np.array(cell, dtype=int), present, per_cell, dropped,
              n_degenerate=degenerate)
    short = [f for f, p in zip(factors, present) if len(p) < 2]
    if not len(y) or short:
        fit.refused = (f"{short[0]} has values at one level only: there is nothing to compare" if len(y) else
                       "no seed of any cell has a value yet")
        return fit
    n_levels = tuple(len(p) for p in present)
    fit.terms, left_out = anova.estimable(recoded, n_levels)
    fit.dropped_effects = [{"effect": anova.term_name(factors, t), "why": why} for t, why in left_out]
    fit.engine = anova.TypeTwo(recoded, n_levels, fit.terms)
    fit.refused = anova.refusal(recoded, fit.y, fit.cell, fit.engine)
    return fit


def factor_entry(results: dict, design: dict) -> dict[str, Any]:
    """results.json's entry for one analysis: its design, the effects' shares with their intervals and
    p-values (statsmodels' table), the residual's share, and what was left out or why nothing was fitted."""
    fit = observations(results, design)
    entry = {"name": design["name"], "title": design.get("title"), "metric": design["metric"],
             "over": {f: list(v) for f, v in design["over"].items()},
             "cells": [{"levels": dict(c["levels"]), "group": c["group"], "n": n}
                       for c, n in zip(design["cells"], fit.per_cell)],
             "n": int(len(fit.y)), "n_degenerate": fit.n_degenerate, "dropped": fit.dropped,
             "dropped_effects": fit.dropped_effects, "refused": fit.refused, "effects": [], "residual_share": None,
             "residual_ci_low": None, "residual_ci_high": None, "residual_df": None, "residual_sum_sq": None,
             "resamples": anova.RESAMPLES, "confidence": anova.CONFIDENCE, "largest_interaction": None}
    if fit.refused:
        return entry
    table = anova.anova_table(fit.codes, fit.y, fit.factors, fit.terms)
    partial, noise = fit.draws()
    res = table["Residual"]
    for k, name in enumerate(fit.names):
        row = table[name]
        share = row["sum_sq"] / (row["sum_sq"] + res["sum_sq"]) if row["sum_sq"] + res["sum_sq"] > 0 else 0.0
        lo, hi = anova.interval(partial[k])
        entry["effects"].append({"effect": name, "factors": name.split(anova.TIMES), "share": share, "ci_low": lo,
                                 "ci_high": hi, **row})
    total = sum(e["sum_sq"] for e in entry["effects"]) + res["sum_sq"]
    entry["residual_share"] = res["sum_sq"] / total if total > 0 else 0.0
    entry["residual_ci_low"], entry["residual_ci_high"] = anova.interval(noise)
    entry.update(residual_df=res["df"], residual_sum_sq=res["sum_sq"])
    pairs = [e for e in entry["effects"] if len(e["factors"]) == 2]
    entry["largest_interaction"] = max(pairs, key=lambda e: e["share"])["effect"] if pairs else None
    return entry


def factor_entries(results: dict, designs: list[dict]) -> list[dict]:
    return [factor_entry(results, d) for d in designs]


def interaction_axes(results: dict, fi: int, effect: str) -> tuple[str, str]:
    """(the factor along x, the one drawn as lines) of an interaction plot: x has the more levels."""
    f = results["factors"][fi]
    a, b = effect.split(anova.TIMES)
    return (b, a) if len(f["over"][b]) > len(f["over"][a]) else (a, b)


def interaction_means(results: dict, fi: int, effect: str) -> list[dict]:
    """For an interaction a×b: the mean and its standard error over the seeds of every cell at each pair
    of levels (the interaction plot's points; ``x`` and ``line`` index interaction_axes' two factors)."""
    f = results["factors"][fi]
    a, b = interaction_axes(results, fi, effect)
    by: dict[tuple, list[float]] = {}
    for c in f["cells"]:
        kept, _, _ = _seeds(results, c["group"], f["metric"])
        key = (f["over"][a].index(c["levels"][a]), f["over"][b].index(c["levels"][b]))
        by.setdefault(key, []).extend(kept)
    out = []
    for (i, j), v in sorted(by.items()):
        if v:
            se = float(np.std(v, ddof=1) / np.sqrt(len(v))) if len(v) > 1 else 0.0
            out.append({a: level_label(f["over"][a][i]), b: level_label(f["over"][b][j]), "x": i, "line": j,
                        "mean": float(np.mean(v)), "se": se, "n": len(v)})
    return out


def factor_words(results: dict, fi: int) -> list[Sentence]:
    """The sentences under an analysis' table: what it fitted on, what matters most, what was left out."""
    F = f"/factors/{fi}"
    f = results["factors"][fi]
    metric = METRIC_WORDS[f["metric"]]
    out: list[Sentence] = []
    if f["dropped"]:
        out.append(["Left out: " + "; ".join(f"{len(d['seeds'])} seed{'s' if len(d['seeds']) > 1 else ''} of "
                                             f"{d['group']} ({d['why']})" for d in f["dropped"]) + "."])
    if f["refused"]:
        return out + [[f"Not fitted: {f['refused']}."]]
    order = sorted(range(len(f["effects"])), key=lambda k: -f["effects"][k]["share"])
    top = order[0]
    E = f"{F}/effects/{top}"
    out.insert(0, [f"A type-II analysis of variance of the {metric} over ", num(results, f"{F}/n", "int"),
                   f" seeds in {sum(c['n'] > 0 for c in f['cells'])} cells: {f['effects'][top]['effect']} has the "
                   "largest share, partial η² ", num(results, f"{E}/share", "d2"), " (",
                   num(results, f"{F}/confidence", "pct"), " interval ", num(results, f"{E}/ci_low", "d2"), " to ",
                   num(results, f"{E}/ci_high", "d2"), "); seed noise, the residual, holds ",
                   num(results, f"{F}/residual_share", "d2"), " of the variance the model and the seeds explain."])
    if f["dropped_effects"]:
        out.append(["Not estimated: " + "; ".join(f"{d['effect']} ({d['why']})" for d in f["dropped_effects"]) + "."])
    if f["n_degenerate"]:
        out.append([num(results, f"{F}/n_degenerate", "int"), " of the seeds diverged after some epochs or "
                    "collapsed; they enter with the values they have."])
    return out
