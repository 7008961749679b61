"""matplotlib: histories → SVG figures for the HTML and the same figures as vector PDF for LaTeX
(cached by content, so an unchanged figure is drawn once).

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

from ..store.files import atomic_write  # noqa: E402

# Okabe & Ito's colour-blind-safe palette (yellow left out: too pale on white). No two series of a
# figure differ by hue alone: each also has its own line style or marker (``style``).
TRAIN, VAL, DIVERGED = "#0072B2", "#D55E00", "#000000"
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
LINESTYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def style(k: int) -> dict:
    """The k-th series of a figure: colour, line style and marker (together unique up to k = 28)."""
    return {"color": PALETTE[k % len(PALETTE)], "ls": LINESTYLES[k % len(LINESTYLES)],
            "marker": MARKERS[k % len(MARKERS)]}


SIZE = (4.8, 1.9)   # drawn small, so that its text stays legible in a print column and at 400 px
matplotlib.rcParams.update({"svg.hashsalt": "dcnn", "font.size": 9, "axes.spines.top": False,
                            "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.25,
                            "legend.frameon": False, "legend.fontsize": 8})


class Drawing(str):
    """A figure's SVG text; ``pdf`` is where the same figure lies as vector PDF (None when uncached)."""

    pdf: Optional[Path] = None


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return buf.getvalue()


def _save(fig: Figure, svg_path: Path) -> str:
    """Write ``fig`` as SVG and as PDF (the PDF first: an SVG on disk means both are there), each
    atomically: a full disk leaves neither a partial figure nor a temporary file, and says so in one line."""
    pdf = io.BytesIO()
    fig.savefig(pdf, format="pdf", metadata={"CreationDate": None}, bbox_inches="tight")
    atomic_write(svg_path.with_suffix(".pdf"), pdf.getvalue(), fsync=False)
    svg = _svg(fig)
    atomic_write(svg_path, svg.encode(), fsync=False)
    return svg


def cached(cache_dir: Optional[Path], kind: str, payload: dict, draw) -> Drawing:
    """Draw ``kind`` from ``payload`` unless the same figure (same inputs, same code) was drawn before."""
    if cache_dir is None:
        return Drawing(_svg(draw(**payload)))
    h = hashlib.sha256((kind + json.dumps(payload, sort_keys=True, default=str)).encode())
    h.update(Path(__file__).read_bytes())
    path = cache_dir / f"{kind}-{h.hexdigest()[:20]}.svg"
    out = Drawing(path.read_text() if path.exists() and path.with_suffix(".pdf").exists()
                  else _save(draw(**payload), path))
    out.pdf = path.with_suffix(".pdf")
    return out


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
                plateau: Optional[int] = None) -> Figure:
    """Train and validation loss per epoch. One run: its curves; several seeds: each seed faint,
    the mean as a line and the min–max band. Best epochs are dots, the plateau a dotted line, a
    divergence an ×."""
    hists = [r["history"] for r in runs]
    single = len(runs) == 1
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
            ax.plot([d], [y], "x", color=DIVERGED, ms=8, mew=2, zorder=6,
                    label=f"diverged (epoch {d})" if single or r is runs[0] else None)
            if not ep:
                ax.annotate(f"diverged in epoch {d}", (d, y), textcoords="offset points", xytext=(8, 8),
                            color=DIVERGED, fontsize=9)
    if not single and any(hists):
        for key, color, ls, name in (("train_loss", TRAIN, "--", "training"), ("val_loss", VAL, "-", "validation")):
            ep, mean, lo, hi = mean_band(hists, key)
            ax.fill_between(ep, [min(v, top) for v in lo], [min(v, top) for v in hi], color=color, alpha=0.15, lw=0)
            ax.plot(ep, [min(v, top) for v in mean], color=color, lw=1.8, ls=ls, label=f"{name} loss, mean of {len(runs)}")
    # A plateau only of a run that learned: a network that never left chance has nothing to level off from.
    p = (runs[0]["metrics"]["plateau_epoch"] if runs[0]["metrics"]["learned"] else None) if single else plateau
    if p is not None:
        ax.axvline(p, color="#009E73", lw=1.0, ls="-.", label=f"plateau (epoch {p})" if single
                   else f"plateau (median of the learned seeds', epoch {p})")
    _finish(ax, chance, ylim, epochs)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=3)
    return fig


def divergence_figure(runs: list[dict], chance: float) -> Figure:
    """Runs that diverged before finishing an epoch: the batch loss of every step, on a log scale, up
    to the step where it became NaN or infinite (an ×). Seeds are overlaid, each its own colour, line
    style and marker; where each became non-finite is in its legend entry (no labels to overlap)."""
    fig = Figure(figsize=(SIZE[0], 1.9))   # (a few steps: lower than a loss figure)
    ax = fig.add_subplot()
    finite = [v for r in runs for v in r["divergence"]["step_losses"] if v is not None and v > 0]
    top = max(finite + [chance]) * 3
    for k, r in enumerate(runs):
        d = r["divergence"]
        steps = [d["steps_before"] + i + 1 for i in range(len(d["step_losses"]))]
        values = [(s, v) for s, v in zip(steps, d["step_losses"]) if v is not None and v > 0]
        st = style(k)
        label = f"seed {r['seed']}" if "seed" in r else f"run {k + 1}"
        if d["step"] is not None:
            label += f": {d['non_finite']} at step {d['global_step']}"
        if values:
            ax.plot([s for s, _ in values], [v for _, v in values], color=st["color"], ls=st["ls"],
                    marker=st["marker"], ms=3.5, lw=1.2, label=label)
        if d["step"] is not None:
            ax.plot([d["global_step"]], [top], "x", color=st["color"], ms=7, mew=2, clip_on=False, zorder=6)
    ax.axhline(chance, color="#555555", lw=0.9, ls=":", label=f"chance, ln C = {chance:.2f}")
    ax.set_yscale("log")
    ax.set_ylim(top=top * 1.5)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel("training step")
    ax.set_ylabel("batch loss (log scale)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)
    return fig


def loss_table(runs: list[dict]) -> list[dict]:
    """The numbers behind a loss figure: one row per run and epoch (or per step of a divergence)."""
    rows = []
    for r in runs:
        ident = {"variant": r.get("variant"), "lr": r.get("lr"), "seed": r.get("seed")}
        for h in r["history"]:
            rows.append({**ident, "epoch": h["epoch"], "step": "", "train_loss": h["train_loss"],
                         "val_loss": h["val_loss"], "val_acc": h["val_acc"]})
        d = r.get("divergence")
        if d:
            for i, v in enumerate(d["step_losses"]):
                rows.append({**ident, "epoch": d["epoch"], "step": d["steps_before"] + i + 1,
                             "train_loss": d["non_finite"] if v is None else v, "val_loss": "", "val_acc": ""})
    return rows


def overlay_figure(series: list[dict], chance: float, ylim: tuple[float, float], epochs: int) -> Figure:
    """Mean validation loss of several configurations, each its own colour, line style and marker."""
    fig = Figure(figsize=(SIZE[0], 2.2))
    ax = fig.add_subplot()
    for k, s in enumerate(series):
        st = style(k)
        if not any(s["histories"]):
            ax.plot([], [], color=st["color"], ls=st["ls"], marker=st["marker"], label=f"{s['label']} (diverged)")
            continue
        ep, mean, lo, hi = mean_band(s["histories"], "val_loss")
        ax.fill_between(ep, [min(v, ylim[1]) for v in lo], [min(v, ylim[1]) for v in hi], color=st["color"], alpha=0.10, lw=0)
        ax.plot(ep, [min(v, ylim[1]) for v in mean], color=st["color"], ls=st["ls"], marker=st["marker"], ms=3.5,
                markevery=max(1, len(ep) // 6), lw=1.6, label=s["label"])
    _finish(ax, chance, ylim, epochs)
    ax.set_ylabel("validation loss\n(mean over seeds)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=1)
    return fig


def sweep_figure(points: list[dict], vary: str, reference: Optional[dict], reference_label: str,
                 chance: float) -> Figure:
    """Best validation loss and accuracy against the swept setting: a dot per seed, the line through
    the means; a value whose seeds diverged is a hatched vertical band with the count at its foot, which
    cannot be read as a loss or an accuracy."""
    fig = Figure(figsize=(6.4, 2.6))
    axes = fig.subplots(1, 2)
    for ax, metric, label in ((axes[0], "best_val_loss", "best validation loss"),
                              (axes[1], "val_acc_at_best", "validation accuracy at best epoch")):
        xs, means = [], []
        for p in points:
            vals = [v for v in p[metric]["values"] if v is not None]
            ax.plot([p["value"]] * len(vals), vals, "o", color=PALETTE[0], alpha=0.45, ms=3.5)
            if p[metric]["mean"] is not None:
                xs.append(p["value"])
                means.append(p[metric]["mean"])
        order = sorted(range(len(xs)), key=lambda i: xs[i])
        ax.plot([xs[i] for i in order], [means[i] for i in order], "-", color=PALETTE[0], lw=1.6,
                label="mean over seeds")
        diverged = [p for p in points if p.get("n_diverged")]
        for i, p in enumerate(diverged):
            v = p["value"]
            lo, hi = (v / 1.15, v * 1.15) if vary == "lr" else (v - 0.3, v + 0.3)
            ax.axvspan(lo, hi, color="#999999", alpha=0.3, lw=0, zorder=0,
                       label="seeds diverged (count at the foot)" if i == 0 else None)
            ax.annotate(f"{p['n_diverged']}✕", (p["value"], 0.02), xycoords=("data", "axes fraction"),
                        ha="center", color=DIVERGED, fontsize=7)
        if reference is not None and metric == "best_val_loss":
            ax.axhline(reference["mean"], color="#444444", ls="--", lw=1.1, label=reference_label)
        if metric == "best_val_loss":
            ax.axhline(chance, color="#555555", lw=0.9, ls=":", label="chance")
        if vary == "lr":
            ax.set_xscale("log")
        else:
            ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=vary in ("batch_size", "epochs",
                                                                                      "frozen_conv_layers")))
        ax.set_xlabel({"frozen_conv_layers": "k (conv layers frozen)", "lr": "learning rate",
                       "batch_size": "batch size"}.get(vary, vary))
        ax.set_ylabel(label)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=4)
    fig.tight_layout()
    return fig


def selection_figure(points: list[dict]) -> Figure:
    """One point per configuration: its mean best validation loss against its mean test loss at that
    epoch; above the diagonal, choosing the epoch on validation flattered it."""
    fig = Figure(figsize=(4.2, 3.6))
    ax = fig.subplots()
    xs, ys = [p["best_val_loss"] for p in points], [p["test_loss_at_best"] for p in points]
    lo, hi = min(xs + ys), max(xs + ys)
    pad = 0.05 * (hi - lo or 1.0)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="#888888", linestyle="--", linewidth=1,
            label="test = validation")
    ax.scatter(xs, ys, s=18, color=VAL, zorder=3, label="a configuration (mean over seeds)")
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel("best validation loss")
    ax.set_ylabel("test loss at that epoch")
    ax.legend(loc="upper left")
    return fig


def section_ylim(runs: list[dict], chance: float) -> tuple[float, float]:
    """One y-range for a section: from 0 to the largest loss shown after the first epoch, at least
    chance, at most 3 × chance (a first epoch above it is clipped at the top, and the caption says so)."""
    top = max([chance * 1.15] + [max(h["train_loss"], h["val_loss"]) for r in runs for h in r["history"]
                                 if h["epoch"] > 1 and math.isfinite(h["val_loss"]) and math.isfinite(h["train_loss"])])
    return 0.0, min(top * 1.05, 3 * chance)


def clipped(runs: list[dict], top: float) -> bool:
    """Whether a loss of these runs lies above ``top`` (drawn at the top of the axis)."""
    return any(max(h["train_loss"], h["val_loss"]) > top for r in runs for h in r["history"]
               if math.isfinite(h["val_loss"]) and math.isfinite(h["train_loss"]))
