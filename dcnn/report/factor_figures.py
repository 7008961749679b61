"""matplotlib: the figures of "What matters most" — each effect's share as a point with its interval
over the seed-noise floor, and the interaction plot of the largest interaction. Every series differs
by marker and line style as well as by colour, from the Okabe–Ito palette (told apart with every
common colour-vision deficiency)."""
from __future__ import annotations

from typing import Optional

from matplotlib.figure import Figure

# Okabe & Ito (2008): orange, sky blue, bluish green, blue, vermillion, reddish purple, yellow, black.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 3)), (0, (8, 2)), (0, (3, 1, 1, 1, 1, 1)))
MAIN, INTERACTION = (OKABE_ITO[3], "o"), (OKABE_ITO[4], "s")    # blue circles, vermillion squares


def shares_figure(effects: list[dict], residual: dict) -> Figure:
    """One row per effect (largest first): its partial η² as a point, its interval as a bar; the
    residual's share as a dashed line, the floor seed noise alone sets."""
    rows = sorted(effects, key=lambda e: e["share"])
    fig = Figure(figsize=(6.4, 0.5 + 0.36 * (len(rows) + 1)))
    ax = fig.subplots()
    for y, e in enumerate(rows):
        colour, marker = INTERACTION if e["interaction"] else MAIN
        ax.errorbar([e["share"]], [y], xerr=[[e["share"] - e["ci_low"]], [e["ci_high"] - e["share"]]], fmt=marker,
                    color=colour, ecolor=colour, elinewidth=1.6, capsize=3, markersize=6,
                    linestyle="-" if not e["interaction"] else "--")
    ax.axvspan(residual["ci_low"], residual["ci_high"], color="#999999", alpha=0.18, lw=0)
    ax.axvline(residual["share"], color="#555555", linestyle="--", linewidth=1.2)
    ax.set_yticks(range(len(rows)), [e["effect"] for e in rows])
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel("share of the variance (partial η²)")
    handles = [ax.plot([], [], MAIN[1], color=MAIN[0], linestyle="-")[0],
               ax.plot([], [], INTERACTION[1], color=INTERACTION[0], linestyle="--")[0],
               ax.plot([], [], color="#555555", linestyle="--")[0]]
    fig.legend(handles, ["factor", "interaction", "seed noise (the residual's share)"], loc="lower center",
               ncol=3, bbox_to_anchor=(0.5, 1.0))
    ax.grid(axis="y", alpha=0)
    return fig


def interaction_figure(points: list[dict], a: str, b: str, a_levels: list[str], b_levels: list[str],
                       ylabel: str, chance: Optional[float] = None) -> Figure:
    """The mean metric at each level of ``a`` (x), one line per level of ``b``, with ±1 SE bars."""
    fig = Figure(figsize=(6.4, 2.8))
    ax = fig.subplots()
    for j, level in enumerate(b_levels):
        pts = sorted((p for p in points if p["line"] == j), key=lambda p: p["x"])
        if not pts:
            continue
        ax.errorbar([p["x"] for p in pts], [p["mean"] for p in pts], yerr=[p["se"] for p in pts],
                    color=OKABE_ITO[j % len(OKABE_ITO)], marker=MARKERS[j % len(MARKERS)],
                    linestyle=LINESTYLES[j % len(LINESTYLES)], capsize=3, linewidth=1.5, markersize=5,
                    label=f"{b} = {level}")
    if chance is not None:
        ax.axhline(chance, color="#777777", linestyle=":", linewidth=1)
    ax.set_xticks(range(len(a_levels)), a_levels)
    ax.set_xlabel(a)
    ax.set_ylabel(ylabel)
    ax.legend(loc="best")
    return fig
