"""The report's part "per_class": which classes each configuration confuses — its test confusion matrix
summed over seeds (at each seed's best epoch) as one small heatmap per configuration, and a table of
per-class accuracy with the most confused pair named. Numbers point into results.json."""
from __future__ import annotations

import math
from typing import Optional

from .. import analysis
from .blocks import Block, Fig
from .figures import cached
from .parts import builds

GRID_COLUMNS = 6      # heatmaps per row of the figure


def confusion_grid(panels: list[dict]):
    """Small multiples: each configuration's summed matrix, every row scaled to its true class's images
    (viridis: ordered, colour-blind safe), panel titles as letters keyed in the table."""
    from matplotlib.figure import Figure

    cols = min(GRID_COLUMNS, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig = Figure(figsize=(1.15 * cols, 1.2 * rows + 0.3))
    for k, p in enumerate(panels):
        ax = fig.add_subplot(rows, cols, k + 1)
        shares = [[c / max(sum(row), 1) for c in row] for row in p["matrix"]]
        ax.imshow(shares, cmap="viridis", vmin=0, vmax=1)
        ax.set_title(p["key"], fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    fig.subplots_adjust(wspace=0.15, hspace=0.35)
    return fig


def _rows(r) -> list[dict]:
    out = []
    for gi, g in enumerate(r["groups"]):
        if g["sweep"] is None and g.get("confusion"):
            out.append({"gi": gi, "key": _key(len(out))})
    return out


def _key(k: int) -> str:
    """A, B, ..., Z, AA, AB, ...: a panel's name in the figure and the table."""
    return (chr(ord("A") + k // 26 - 1) if k >= 26 else "") + chr(ord("A") + k % 26)


def most_confused(r, gi: int) -> list:
    """"8 as 9 (14 of 150 test images of 8)" for a configuration, every number pointing into results.json."""
    c = r["groups"][gi]["confusion"]
    if not c["top"]:
        return ["no confusion"]
    top, G = c["top"][0], f"/groups/{gi}/confusion"
    classes = c["classes"]
    return [f"{classes[top['true']]} as {classes[top['predicted']]} (", analysis.num(r, f"{G}/top/0/count", "int"),
            " of ", analysis.num(r, f"{G}/per_class_images/{top['true']}", "int"), f" {c['split']} images of "
            f"{classes[top['true']]})"]


@builds("per_class", needed=lambda o: any(g["sweep"] is None and g.get("confusion") for g in o.r["groups"]),
        items=True)
def per_class(o, number: str, free) -> list[Block]:
    r = o.r
    rows = _rows(r)
    panels = [{"key": row["key"], "matrix": r["groups"][row["gi"]]["confusion"]["matrix"]} for row in rows
              if r["groups"][row["gi"]]["confusion"]["matrix"]]
    fig: Optional[Fig] = None
    if panels:
        svg = cached(o.builder.cache, "confusion", {"panels": panels}, confusion_grid)
        fig = Fig(None, "Where each configuration's predictions go: its test confusion summed over seeds",
                  "One matrix per configuration (letters as in the table): rows the true class, columns the "
                  "predicted one, each row shaded by its share of that class's images (dark: none, yellow: all).",
                  svg, anchor="per-class")
    classes = r["study"]["data"]["target"]["classes"]
    n = next(free)
    data = {"rows": [{**row, "confused": most_confused(r, row["gi"])} for row in rows],
            "classes": classes if len(classes) <= 20 else []}
    return [Block(n, "Per-class accuracy and the most confused pair", 3, f"s{n}", figures=[fig] if fig else [],
                  kind="per_class", group="per-class", data=data)]
