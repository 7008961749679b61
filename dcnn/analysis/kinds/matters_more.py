"""matters_more: in one of the study's factorial analyses, one effect's share of the variance exceeds
another's.

    check: {matters_more: rate-and-freezing, factor: lr, than: frozen_conv_layers}

Both shares are partial η² of the analysis' type-II ANOVA (analysis/anova.py), refitted on the same
resamples of the seeds within cells, so their difference is bootstrapped paired. Supported when the
difference's percentile interval at the claim's level lies above 0, contradicted when below,
inconclusive otherwise; the p-value that inverts that interval joins the study's family of claims and
is corrected with them. ``factor`` and ``than`` name a factor of the analysis or an interaction
(``model×lr``). Where nothing differs both shares are noise and either verdict is false.
"""
from __future__ import annotations

from typing import Optional

from .. import anova
from ..claim_words import test_words
from ..factors import observations
from ..judging import Judging
from ..numbers import Sentence, num
from ..vocabulary import CONTRADICTED, METRIC_WORDS, SUPPORTED
from .base import ClaimKind, register


def analysis_of(results: dict, name: str) -> dict:
    return next(f for f in results["factors"] if f["name"] == name)


def judge(results: dict, check: dict, how: Judging) -> dict:
    design = analysis_of(results, check["matters_more"])
    factor, than = check["factor"], check["than"]
    entry = {"metric": design["metric"], "importance": {"analysis": design["name"], "factor": factor, "than": than,
                                                        "resamples": anova.RESAMPLES}}
    fit = observations(results, design)
    if fit.refused:
        entry["importance"]["refused"] = fit.refused
        return {**entry, "candidate": None, "p_value": None, "reason": "not_fitted"}
    if factor not in fit.names or than not in fit.names:
        return {**entry, "candidate": None, "p_value": None, "reason": "not_estimated"}
    i, j = fit.names.index(factor), fit.names.index(than)
    estimate, _ = fit.estimates()
    partial, _ = fit.draws()
    test = anova.paired_difference(partial[i], partial[j], 1 - how.alpha)
    entry["importance"].update(factor_share=float(estimate[i]), than_share=float(estimate[j]),
                               difference=float(estimate[i] - estimate[j]),
                               **{k: test[k] for k in ("ci_low", "ci_high", "confidence", "p_above", "p_below")})
    return {**entry, "candidate": SUPPORTED if test["above"] else CONTRADICTED, "p_value": test["p_value"],
            "reason": None}


def settle(results: dict, entry: dict, level: float, uncertainty: bool) -> None:
    """The interval of the difference at the claim's own level (its Holm step and look), beside the
    descriptive one at 1 − alpha; the same resamples, so the two agree with the verdict."""
    imp = entry["importance"]
    imp["level"] = level
    if not uncertainty or imp.get("factor_share") is None:
        return
    fit = observations(results, analysis_of(results, imp["analysis"]))
    partial, _ = fit.draws()
    i, j = fit.names.index(imp["factor"]), fit.names.index(imp["than"])
    at = anova.paired_difference(partial[i], partial[j], 1 - level)
    imp.update(decision_low=at["ci_low"], decision_high=at["ci_high"], decision_confidence=at["confidence"])


def evidence(results: dict, ci: int) -> Sentence:
    C = f"/claims/{ci}/importance"
    c = results["claims"][ci]
    imp = c["importance"]
    s: Sentence = [f"In the analysis {imp['analysis']} of the {METRIC_WORDS[c['metric']]}: "]
    if imp.get("refused"):
        return s + [f"not fitted, {imp['refused']}."]
    if imp.get("factor_share") is None:
        return s + [f"{imp['factor']} or {imp['than']} could not be estimated (see its section)."]
    s += [f"the share of {imp['factor']}, partial η² ", num(results, f"{C}/factor_share", "d2"),
          f", against that of {imp['than']}, ", num(results, f"{C}/than_share", "d2"), "; difference ",
          num(results, f"{C}/difference", "d2")]
    if imp.get("decision_low") is not None:
        s += [", its ", num(results, f"{C}/decision_confidence", "pct"), " interval at the claim's level ",
              num(results, f"{C}/decision_low", "d2"), " to ", num(results, f"{C}/decision_high", "d2")]
    s += [" (descriptive ", num(results, f"{C}/confidence", "pct"), ": ", num(results, f"{C}/ci_low", "d2"), " to ",
          num(results, f"{C}/ci_high", "d2"), "), over ", num(results, f"{C}/resamples", "count"),
          " paired resamples of the seeds within cells"]
    test = test_words(results, ci)
    return s + ([" (", *test, ")"] if test else []) + ["."]


def effects_of(over: list[str]) -> list[str]:
    """The effects a two-way analysis over these factors has, by name."""
    return [anova.term_name(over, t) for t in anova.two_way_terms(len(over))]


def refs(check: dict, analyses: dict[str, list[str]]) -> Optional[str]:
    """What a check names that the study's analyses ({name: factors}) lack, in one line (None: nothing)."""
    name = check["matters_more"]
    if name not in analyses:
        return f"no factorial analysis '{name}' (allowed: {', '.join(analyses) or 'none declared under factors'})"
    effects = effects_of(analyses[name])
    for key in ("factor", "than"):
        if check[key] not in effects:
            return f"{key}: '{check[key]}' is not an effect of {name} (allowed: {', '.join(effects)})"
    if check["factor"] == check["than"]:
        return "factor and than name the same effect"
    return None


def for_calibration(check: dict, skeleton: dict) -> dict:
    """The check with its analysis' factors and cells, for ``truth``."""
    design = analysis_of(skeleton, check["matters_more"])
    return {**check, "design": {"over": list(design["over"]), "cells": design["cells"], "metric": design["metric"]}}


def true_size(design: dict, effect: str, mean) -> float:
    """An effect's sum of squares over the cells in a world whose true means are ``mean(group, metric)``:
    the squared deviations of its marginal means (a main effect) or of the cell means from the main
    effects' sum (an interaction), one value per cell — the size the partial η² estimates, up to the
    residual, which is the same for both effects of a claim."""
    over, cells = design["over"], design["cells"]
    m = {c["group"]: mean(c["group"], design["metric"]) for c in cells}
    grand = sum(m.values()) / len(m)

    def marginal(names: tuple[str, ...]):
        sums: dict = {}
        for c in cells:
            key = tuple(str(c["levels"][f]) for f in names)
            sums.setdefault(key, []).append(m[c["group"]])
        return lambda c: (lambda v: sum(v) / len(v))(sums[tuple(str(c["levels"][f]) for f in names)])

    names = tuple(effect.split(anova.TIMES))
    if len(names) == 1:
        one = marginal(names)
        return sum((one(c) - grand) ** 2 for c in cells)
    ab, a, b = marginal(names), marginal(names[:1]), marginal(names[1:])
    return sum((ab(c) - a(c) - b(c) + grand) ** 2 for c in cells)


def truth(check: dict, mean, groups: list[str]) -> float:
    """Positive where the factor's true effect is the larger, negative where the other's is, 0 where they
    are the same size (both 0 where nothing differs)."""
    design = check["design"]
    x, y = true_size(design, check["factor"], mean), true_size(design, check["than"], mean)
    return 0.0 if abs(x - y) <= 1e-12 * (1.0 + x + y) else x - y


register(ClaimKind("matters_more", "factors", judge, evidence, ("factor", "than"), order=50, names_metric=False,
                   groups=lambda r, check: [c["group"] for c in analysis_of(r, check["matters_more"])["cells"]],
                   metric_of=lambda r, check: analysis_of(r, check["matters_more"])["metric"],
                   context=("factors",), refs=refs, key_name="analysis",
                   truth=truth, for_calibration=for_calibration, settle=settle,
                   reach=lambda results, entry, level, seeds: None))   # (no power for shares: no futility)
