"""matplotlib: histories → SVG figures (cached by content, so an unchanged figure is drawn once).

Figure text is drawn as paths; every caption and number a reader needs is in the HTML instead.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
from pathlib import Path
from typing import Optional, Sequence

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

TRAIN, VAL = "#1f5fa8", "#d9730d"
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf", "#ff7f0e", "#393b79", "#637939", "#8c6d31", "#843c39")
SIZE = (6.4, 2.5)
matplotlib.rcParams.update({"svg.hashsalt": "dcnn", "font.size": 9, "axes.spines.top": False,
                            "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.25,
                            "legend.frameon": False, "legend.fontsize": 8})


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return buf.getvalue()


def cached(cache_dir: Optional[Path], kind: str, payload: dict, draw) -> str:
    """Draw ``kind`` from ``payload`` unless the same figure (same inputs, same code) was drawn before."""
    if cache_dir is None:
        return draw(**payload)
    h = hashlib.sha256((kind + json.dumps(payload, sort_keys=True, default=str)).encode())
    h.update(Path(__file__).read_bytes())
    path = cache_dir / f"{kind}-{h.hexdigest()[:20]}.svg"
    if path.exists():
        return path.read_text()
    svg = draw(**payload)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(svg)
    tmp.replace(path)
    return svg


def _curve(history: Sequence[dict], key: str) -> tuple[list[int], list[float]]:
    return [h["epoch"] for h in history], [h[key] for h in history]


def mean_band(histories: Sequence[Sequence[dict]], key: str):
    by_epoch: dict[int, list[float]] = {}
    for hist in histories:
        for h in hist:
            by_epoch.setdefault(h["epoch"], []).append(h[key])
    epochs = sorted(by_epoch)
    return (epochs, [sum(by_epoch[e]) / len(by_epoch[e]) for e in epochs],
            [min(by_epoch[e]) for e in epochs], [max(by_epoch[e]) for e in epochs])


def _finish(ax, chance: float, ylim: tuple[float, float], epochs: int) -> None:
    ax.axhline(chance, color="#555555", lw=0.9, ls=":", label=f"chance, ln C = {chance:.2f}")
    ax.set_xlim(0.5, epochs + 0.5)
    ax.set_ylim(*ylim)
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy loss")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))


def loss_figure(runs: list[dict], chance: float, ylim: tuple[float, float], epochs: int,
                plateau: Optional[int] = None) -> str:
    """Train and validation loss per epoch. One run: its curves; several seeds: each seed faint,
    the mean as a line and the min–max band. Best epochs are dots, the plateau a dotted line, a
    divergence an ×."""
    hists = [r["history"] for r in runs]
    single = len(runs) == 1
    if not any(hists):  # nothing to draw: a short strip says why
        return _empty_strip(runs, epochs)
    fig = Figure(figsize=SIZE)
    ax = fig.add_subplot()
    top = ylim[1]
    for r in runs:
        ep, tl = _curve(r["history"], "train_loss")
        _, vl = _curve(r["history"], "val_loss")
        alpha, lw = (1.0, 1.6) if single else (0.3, 0.8)
        if ep:
            ax.plot(ep, [min(v, top) for v in tl], color=TRAIN, lw=lw, alpha=alpha, ls="--",
                    label="training loss" if single else None)
            ax.plot(ep, [min(v, top) for v in vl], color=VAL, lw=lw, alpha=alpha,
                    label="validation loss" if single else None)
            b = r["metrics"]["best_epoch"]
            if b is not None:
                ax.plot([b], [min(vl[b - 1], top)], "o", color=VAL, ms=5 if single else 3.5, alpha=1 if single else 0.6,
                        label="best epoch" if single else None, zorder=5)
        if r["status"] == "diverged":
            d = r["diverged_epoch"]
            y = min(vl[-1], top) if ep else chance
            ax.plot([d], [y], "x", color="#b00020", ms=8, mew=2, zorder=6,
                    label=f"diverged (epoch {d})" if single or r is runs[0] else None)
            if not ep:
                ax.annotate(f"diverged in epoch {d}", (d, y), textcoords="offset points", xytext=(8, 8),
                            color="#b00020", fontsize=9)
    if not single and any(hists):
        for key, color, ls, name in (("train_loss", TRAIN, "--", "training"), ("val_loss", VAL, "-", "validation")):
            ep, mean, lo, hi = mean_band(hists, key)
            ax.fill_between(ep, [min(v, top) for v in lo], [min(v, top) for v in hi], color=color, alpha=0.15, lw=0)
            ax.plot(ep, [min(v, top) for v in mean], color=color, lw=1.8, ls=ls, label=f"{name} loss, mean of {len(runs)}")
    p = runs[0]["metrics"]["plateau_epoch"] if single else plateau
    if p is not None:
        ax.axvline(p, color="#2a7f3f", lw=1.0, ls="-.", label=f"plateau (epoch {p})" if single else "plateau of the mean")
    _finish(ax, chance, ylim, epochs)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3)
    return _svg(fig)


def _empty_strip(runs: list[dict], epochs: int) -> str:
    fig = Figure(figsize=(SIZE[0], 1.0))
    ax = fig.add_subplot()
    diverged = [r for r in runs if r["status"] == "diverged"]
    for i, r in enumerate(diverged):
        ax.plot([r["diverged_epoch"]], [i], "x", color="#b00020", ms=8, mew=2)
    if diverged:
        where = sorted({r["diverged_epoch"] for r in diverged})
        who = "the run" if len(runs) == 1 else ("every seed" if len(diverged) == len(runs) else "these seeds")
        text, colour = (f"no finished epoch: {who} diverged in epoch {', '.join(map(str, where))} "
                        "(loss NaN or infinite)"), "#b00020"
    else:
        text, colour = "not run yet", "#777777"
    rows = max(len(diverged), 1)
    ax.text(epochs * 0.55, (rows - 1) / 2, text, ha="center", va="center", fontsize=9, color=colour,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.set_xlim(0.5, epochs + 0.5)
    ax.set_ylim(-0.8, rows - 0.2)
    ax.set_yticks([])
    ax.grid(False)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    return _svg(fig)


def overlay_figure(series: list[dict], chance: float, ylim: tuple[float, float], epochs: int) -> str:
    """Mean validation loss of several configurations, one colour each."""
    fig = Figure(figsize=(SIZE[0], 2.7))
    ax = fig.add_subplot()
    for s in series:
        if not any(s["histories"]):
            ax.plot([], [], color=s["color"], label=f"{s['label']} (diverged)")
            continue
        ep, mean, lo, hi = mean_band(s["histories"], "val_loss")
        ax.fill_between(ep, [min(v, ylim[1]) for v in lo], [min(v, ylim[1]) for v in hi], color=s["color"], alpha=0.10, lw=0)
        ax.plot(ep, [min(v, ylim[1]) for v in mean], color=s["color"], lw=1.6, label=s["label"])
    _finish(ax, chance, ylim, epochs)
    ax.set_ylabel("validation loss\n(mean over seeds)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)
    return _svg(fig)


def sweep_figure(points: list[dict], reference: Optional[dict], reference_label: str, chance: float) -> str:
    """Best validation loss and accuracy against the number of frozen conv layers k."""
    fig = Figure(figsize=(SIZE[0], 2.6))
    axes = fig.subplots(1, 2)
    for ax, metric, label in ((axes[0], "best_val_loss", "best validation loss"),
                              (axes[1], "val_acc_at_best", "validation accuracy at best epoch")):
        ks, means = [], []
        for p in points:
            vals = [v for v in p[metric]["values"] if v is not None]
            ax.plot([p["frozen_conv_layers"]] * len(vals), vals, "o", color=PALETTE[0], alpha=0.45, ms=3.5)
            if p[metric]["mean"] is not None:
                ks.append(p["frozen_conv_layers"])
                means.append(p[metric]["mean"])
        ax.plot(ks, means, "-", color=PALETTE[0], lw=1.6, label="mean over seeds")
        if reference is not None and metric == "best_val_loss":
            ax.axhline(reference["mean"], color="#444444", ls="--", lw=1.1, label=reference_label)
        if metric == "best_val_loss":
            ax.axhline(chance, color="#555555", lw=0.9, ls=":", label="chance")
        ax.set_xlabel("k (conv layers frozen)")
        ax.set_ylabel(label)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3)
    fig.tight_layout()
    return _svg(fig)


def section_ylim(runs: list[dict], chance: float) -> tuple[float, float]:
    """One y-range for a section: from 0 to the largest loss shown, at least chance, at most 3 × chance."""
    top = max([chance * 1.15] + [max(h["train_loss"], h["val_loss"]) for r in runs for h in r["history"]
                                 if math.isfinite(h["val_loss"])])
    return 0.0, min(top * 1.05, 3 * chance)
