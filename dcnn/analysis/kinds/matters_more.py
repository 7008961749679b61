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
          num(results, f"{C}/difference", "d2"), ", its ", num(results, f"{C}/confidence", "pct"),
          " interval over ", num(results, f"{C}/resamples", "count"), " paired resamples of the seeds within "
          "cells ", num(results, f"{C}/ci_low", "d2"), " to ", num(results, f"{C}/ci_high", "d2")]
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


register(ClaimKind("matters_more", "factors", judge, evidence, ("factor", "than"), order=50, names_metric=False,
                   groups=lambda r, check: [c["group"] for c in analysis_of(r, check["matters_more"])["cells"]],
                   metric_of=lambda r, check: analysis_of(r, check["matters_more"])["metric"],
                   context=("factors",), refs=refs, key_name="analysis"))
