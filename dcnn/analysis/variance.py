"""Where a group's spread comes from: with the study's own pretraining, a run's seed picks one of K
backbones (seed mod K) as well as its new head's initialisation and the order of its images, so a
group declared in ``analysis.variance`` — with two or more seeds per backbone — is split into the
variance between backbones and the variance within one (a random-intercept model fitted by REML,
statsmodels' MixedLM); the report says how much of the spread each source contributes."""
from __future__ import annotations

import warnings
from typing import Any, Optional

from .numbers import Sentence, num
from .stats import group_by_name


def decompose(values: list[float], backbones: list[int]) -> Optional[dict[str, Any]]:
    """The variance between backbones and within one (head initialisation, data order, ...), and the
    backbone's share of their sum; None without two backbones, one of them with two values."""
    import pandas as pd
    import statsmodels.formula.api as smf

    counts = {b: backbones.count(b) for b in set(backbones)}
    if len(counts) < 2 or max(counts.values()) < 2:
        return None
    frame = pd.DataFrame({"y": values, "backbone": backbones})
    with warnings.catch_warnings():         # a variance at its boundary (0) is a result, not a problem
        warnings.simplefilter("ignore")
        fit = smf.mixedlm("y ~ 1", frame, groups=frame["backbone"]).fit(reml=True)
    between, within = max(0.0, float(fit.cov_re.iloc[0, 0])), float(fit.scale)
    total = between + within
    return {"between": between, "within": within, "share_backbone": between / total if total > 0 else 0.0,
            "n": len(values), "n_backbones": len(counts), "per_backbone": min(counts.values()),
            "method": "random-intercept model by REML (statsmodels MixedLM)"}


def variance_entries(results: dict, groups: list[str]) -> list[dict]:
    """One decomposition per declared group, on the loss its claims are judged on (test loss at the
    best epoch when there is a test split, else the best validation loss)."""
    out = []
    for name in groups:
        g = group_by_name(results, name)
        runs = [results["runs"][i] for i in g["runs"]]
        metric = "test_loss_at_best" if any(r["metrics"].get("test_loss_at_best") is not None for r in runs) \
            else "best_val_loss"
        have = [r for r in runs if r["metrics"].get(metric) is not None and r.get("backbone") is not None]
        parts = decompose([r["metrics"][metric] for r in have], [r["backbone"] for r in have])
        out.append({"group": name, "metric": metric, **(parts or {"n": len(have)})})
    return out


def variance_words(results: dict, vi: int) -> Sentence:
    """The sentence under a declared group's figure: how much of its spread the backbone contributes."""
    V = f"/variance/{vi}"
    v = results["variance"][vi]
    if "share_backbone" not in v:
        return ["Its spread cannot be split by source yet: that needs at least two backbones with two seeds each."]
    if v["share_backbone"] < 0.005:   # REML at its boundary: not "0.0 %", a share the model cannot see
        return ["Of the spread across its ", num(results, f"{V}/n", "int"), " seeds (", num(results, f"{V}/n_backbones", "int"),
                " backbones), the backbone accounts for no share the model can tell from zero: its estimate of the "
                "variance between backbones is at its lower bound (", num(results, f"{V}/between", "e3"), "), and the "
                "new head's initialisation, the order of the images and the rest account for the spread (variance ",
                num(results, f"{V}/within", "e3"), "); with so few backbones a small share would go unseen (",
                f"{v['method']})."]
    return ["Of the spread across its ", num(results, f"{V}/n", "int"), " seeds (", num(results, f"{V}/n_backbones", "int"),
            " backbones), the backbone accounts for ", num(results, f"{V}/share_backbone", "pct"),
            " (variance ", num(results, f"{V}/between", "e3"), ") and the new head's initialisation, the order of "
            "the images and the rest for the remainder (variance ", num(results, f"{V}/within", "e3"),
            f"; {v['method']})."]

