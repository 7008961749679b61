"""The report part "What matters most" (registry/parts.py: ``factors``): one numbered subsection per
factorial analysis of the study — its design, a table of the effects' shares with their intervals and
p-values, the figure of the shares over the seed-noise floor, and the interaction plot of its largest
interaction (templates/items/factors.html.j2). Every number points into results.json's ``factors``."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from .. import analysis
from ..analysis.vocabulary import METRIC_WORDS
from . import factor_figures, figures
from .blocks import Block, Fig
from .parts import builds

CODE = hashlib.sha256(Path(factor_figures.__file__).read_bytes()).hexdigest()[:12]   # redraw when it changes


@dataclass
class FactorBlock(Block):
    analysis: int = 0                 # its index in results["factors"]


def _design_words(r: Any, fi: int) -> list:
    f = r["factors"][fi]
    levels = "; ".join(f"{name}: {', '.join(analysis.level_label(v) for v in vals)}" for name, vals in f["over"].items())
    return [f"A factorial analysis of the {METRIC_WORDS[f['metric']]} over {len(f['cells'])} cells, one "
            f"configuration each ({levels}): a type-II analysis of variance of the per-seed values on the "
            "factors and their two-way interactions (statsmodels). Each effect's share is its partial η², the "
            "variance it explains over that and the residual's; its interval comes from ",
            analysis.num(r, f"/factors/{fi}/resamples", "count"), " resamples of the seeds within each cell "
            "(percentile, seeded), and the residual's share is what seed noise leaves unexplained."]


def _shares_fig(o: Any, fi: int) -> Fig:
    f = o.r["factors"][fi]
    effects = [{"effect": e["effect"], "share": e["share"], "ci_low": e["ci_low"], "ci_high": e["ci_high"],
                "interaction": len(e["factors"]) == 2} for e in f["effects"]]
    residual = {"share": f["residual_share"], "ci_low": f["residual_ci_low"], "ci_high": f["residual_ci_high"]}
    svg = figures.cached(o.builder.cache, f"shares-{CODE}", {"effects": effects, "residual": residual},
                         factor_figures.shares_figure)
    table = [{"effect": e["effect"], "share": e["share"], "ci_low": e["ci_low"], "ci_high": e["ci_high"],
              "p_value": e["p_value"], "df": e["df"]} for e in f["effects"]]
    table.append({"effect": "residual", "share": f["residual_share"], "ci_low": f["residual_ci_low"],
                  "ci_high": f["residual_ci_high"], "p_value": None, "df": f["residual_df"]})
    return Fig(None, f"What matters most for the {METRIC_WORDS[f['metric']]}: each effect's share of the variance",
               f"Partial η² of each factor (blue circles) and interaction (vermillion squares), with its "
               f"{analysis.format_number(f['confidence'], 'pct')} interval over resamples of the seeds within cells; "
               "the dashed line and grey band: the residual's share and its interval, the floor that seed noise "
               "sets.", svg, [], f"factors-{f['name']}", table)


def _interaction_fig(o: Any, fi: int) -> Optional[Fig]:
    f = o.r["factors"][fi]
    effect = f["largest_interaction"]
    if effect is None:
        return None
    a, b = analysis.interaction_axes(o.r, fi, effect)
    points = analysis.interaction_means(o.r, fi, effect)
    labels = lambda x: [analysis.level_label(v) for v in f["over"][x]]  # noqa: E731
    ylabel = METRIC_WORDS[f["metric"]]
    chance = o.builder.chance if f["metric"] in ("best_val_loss", "test_loss_at_best", "final_val_loss") else None
    svg = figures.cached(o.builder.cache, f"interaction-{CODE}",
                         {"points": points, "a": a, "b": b, "a_levels": labels(a), "b_levels": labels(b),
                          "ylabel": ylabel, "chance": chance}, factor_figures.interaction_figure)
    k = next(i for i, e in enumerate(f["effects"]) if e["effect"] == effect)
    obs = [["The largest interaction, ", effect, ", has partial η² ",
            analysis.num(o.r, f"/factors/{fi}/effects/{k}/share", "d2"), " (interval ",
            analysis.num(o.r, f"/factors/{fi}/effects/{k}/ci_low", "d2"), " to ",
            analysis.num(o.r, f"/factors/{fi}/effects/{k}/ci_high", "d2"), "): lines that are not parallel are "
            f"what it measures, {b} changing what {a} does."]]
    table = [{a: p[a], b: p[b], "mean": p["mean"], "se": p["se"], "n": p["n"]} for p in points]
    return Fig(None, f"The largest interaction, {effect}: the mean {ylabel} at each pair of levels",
               f"One line per level of {b}, told apart by colour, marker and line style; bars: one standard error "
               f"of the mean over the seeds of those cells" + ("; dotted: chance." if chance is not None else "."),
               svg, obs, f"factors-{f['name']}-interaction", table)


def factor_block(o: Any, fi: int, number: str) -> FactorBlock:
    f = o.r["factors"][fi]
    block = FactorBlock(number, f["title"] or " × ".join(f["over"]), 3, f"s{number}", kind="factors",
                        group=f"factors-{f['name']}", analysis=fi)
    block.intro = [_design_words(o.r, fi)]
    block.after = analysis.factor_words(o.r, fi)
    if not f["refused"]:
        block.figures = [fig for fig in (_shares_fig(o, fi), _interaction_fig(o, fi)) if fig is not None]
    return block


@builds("factors", needed=lambda o: bool(o.r["factors"]), items=True)
def factors(o: Any, number: str, free) -> list[FactorBlock]:
    """One numbered subsection per factorial analysis."""
    return [factor_block(o, fi, next(free)) for fi in range(len(o.r["factors"]))]
