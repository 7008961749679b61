"""results.json → what the report shows: its numbered blocks, figures (drawn by figures.py),
sentences (written by dcnn.analysis), tables and project information. report.py renders it.

Nothing here writes files, and the template receives only what is computed here.
"""
from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from . import analysis, figures
from .config import Study
from .presets import AUGMENT_PRESETS


@dataclass
class Fig:
    label: str                      # "10" or "A3"
    caption: str                    # the paper's caption text
    detail: str                     # settings in words
    svg: str = field(repr=False)
    observations: list = field(default_factory=list)  # sentences

    @property
    def src(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode()


@dataclass
class Block:
    """A numbered (sub)section with optional text, figures and a closing paragraph."""

    number: str
    heading: str
    level: int
    intro: list = field(default_factory=list)       # sentences
    figures: list = field(default_factory=list)
    after: list = field(default_factory=list)       # sentences
    anchor: str = ""


def _section_key(number: str) -> tuple:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in number.split("."))


def _seeds_text(seeds: list[int]) -> str:
    if len(seeds) == 1:
        return f"seed {seeds[0]}"
    return f"{len(seeds)} seeds ({seeds[0]}–{seeds[-1]})"


class Builder:
    """Turns results.json into the report's blocks, numbering extra figures A1, A2, … in order."""

    def __init__(self, study: Study, results: dict, fig_cache: Optional[Path]):
        self.study, self.r, self.cache = study, results, fig_cache
        self.extra = 0
        self.chance = math.log(results["runs"][0]["num_classes"]) if results["runs"] else 1.0
        self.epochs = max((study_run.settings.epochs for study_run in study.runs), default=20)
        variants = list(dict.fromkeys(g["variant"] for g in results["groups"] if g["sweep"] is None))
        self.colour = {v: figures.PALETTE[i % len(figures.PALETTE)] for i, v in enumerate(variants)}
        self.ylim: dict[str, tuple[float, float]] = {}
        for part in {self.part(g["section"]) for g in results["groups"]}:
            runs = [results["runs"][i] for g in results["groups"] if self.part(g["section"]) == part for i in g["runs"]]
            self.ylim[part] = figures.section_ylim(runs, self.chance)

    @staticmethod
    def part(section: str) -> str:
        return section.split(".")[0]

    def next_extra(self) -> str:
        self.extra += 1
        return f"A{self.extra}"

    def group_runs(self, g: dict) -> list[dict]:
        return [self.r["runs"][i] for i in g["runs"]]

    # -- words for settings
    def describe_changes(self, g: dict) -> list:
        s = self.study
        base_variant = s.file.variants[g["variant"]].extends if g["variant"] in s.file.variants else None
        if base_variant is None:
            return [self.describe_base(g)]
        base = next((h for h in self.r["groups"] if h["variant"] == base_variant and h["lr"] == g["lr"]), None)
        where = f"§{base['section']}" if base else base_variant
        words = []
        for key, value in g["changes"].items():
            if key == "augment" and value:
                preset = AUGMENT_PRESETS[s.profile.augment]
                words.append(f"random transformations of every training image ({preset.describe()}), drawn anew each epoch")
            elif key == "normalise":
                words.append({"train": "per-channel normalisation with the mean and standard deviation of the training split",
                              "backbone": "the backbone's input normalisation",
                              "none": "no input normalisation"}[value])
            elif key == "dropout":
                words.append(f"dropout with p = {value:g} before the output layer")
            elif key == "freeze":
                words.append(f"{', '.join(value) if value else 'nothing'} frozen")
            elif key == "batch_size":
                words.append(f"batch size {value}")
            elif key == "pretrained":
                words.append("pretrained weights" if value else "random initialisation instead of pretrained weights")
            elif key == "momentum":
                words.append(f"SGD momentum {value:g}")
            elif key == "epochs":
                words.append(f"{value} epochs")
            else:
                words.append(f"{key} = {value}")
        lead = (f"The same as {where} ({base_variant}), with " + "; ".join(words) if words else
                f"The same as {where} ({base_variant})")
        return [self._with_params(g, [lead], ": ")]

    def _with_params(self, g: dict, sentence: list, joint: str) -> list:
        """The sentence, ending with how many of the model's parameters train (when a run is done)."""
        ri = g["runs"][0] if g["runs"] else None
        if ri is None or self.r["runs"][ri].get("trainable_params") is None:
            return sentence + ["."]
        return sentence + [joint, analysis.num(self.r, f"/runs/{ri}/trainable_params", "count"), " of ",
                           analysis.num(self.r, f"/runs/{ri}/total_params", "count"), " parameters train."]

    def describe_base(self, g: dict) -> list:
        st = g["settings"]
        pre = self.r["study"]["pretraining"]
        if st["arch"] == "scratch_cnn":
            text = ["The small CNN (three conv blocks and two linear layers) from random initialisation, trained on the "
                    + ("normalised" if st["normalise"] != "none" else "raw") + " training images"]
        else:
            width = f" with every channel width divided by {st['width_divisor']}" if st["width_divisor"] > 1 else ""
            origin = ("pretrained on ImageNet (torchvision's weights)" if pre.get("kind") == "imagenet" else
                      "pretrained by this study on digits 0–4 (see §8)") if st["pretrained"] else "from random initialisation"
            text = [f"VGG16 in torchvision's layout{width}, {origin}, with a new output layer for the target classes; "
                    f"{'nothing' if not st['freeze'] else ', '.join(st['freeze'])} frozen"]
        return self._with_params(g, text, "; ")

    def detail(self, g: dict, seeds: list[int]) -> str:
        st = g["settings"]
        opt = f"SGD (momentum {st['momentum']:g})" if st["optimizer"] == "sgd" else st["optimizer"]
        return f"Learning rate {g['lr']:g} · batch size {st['batch_size']} · {opt} · {st['epochs']} epochs · {_seeds_text(seeds)}."

    # -- figures
    def loss_fig(self, runs: list[dict], part: str, plateau: Optional[int] = None) -> str:
        payload = {"runs": [{k: r[k] for k in ("history", "status", "diverged_epoch", "metrics")} for r in runs],
                   "chance": self.chance, "ylim": list(self.ylim[part]), "epochs": self.epochs, "plateau": plateau}
        return figures.cached(self.cache, "loss", payload, figures.loss_figure)

    def group_block(self, gi: int) -> Block:
        g = self.r["groups"][gi]
        level = len(g["section"].split(".")) + 1
        block = Block(g["section"], g["heading"] or g["title"], min(level, 4), anchor=g["group"])
        block.intro = self.describe_changes(g)
        runs = self.group_runs(g)
        part = self.part(g["section"])
        labels = [str(f) for f in g["figures"]]
        if len(labels) > 1:   # the paper's one figure per seed
            for ri, label in zip(g["runs"], labels):
                run = self.r["runs"][ri]
                block.figures.append(Fig(label, f"{g['title']} {run['seed'] + 1}", self.detail(g, [run["seed"]]),
                                         self.loss_fig([run], part), analysis.run_observations(self.r, ri)))
            block.after = analysis.group_observations(self.r, gi)
        else:
            label = labels[0] if labels else self.next_extra()
            seeds = [r["seed"] for r in runs]
            if len(runs) == 1:
                obs = analysis.run_observations(self.r, g["runs"][0])
                svg = self.loss_fig(runs, part)
            else:
                obs = analysis.group_observations(self.r, gi)
                mean_val = figures.mean_band([r["history"] for r in runs], "val_loss")[1]
                svg = self.loss_fig(runs, part, analysis.plateau_epoch(mean_val, self.r["study"]["analysis"]["plateau_tol"])
                                    if mean_val else None)
            block.figures.append(Fig(label, g["title"], self.detail(g, seeds), svg, obs))
        target = block.after if block.after else block.figures[-1].observations
        for ci, other in ([(g["comparison"], g["compare_to"])] if g.get("comparison") is not None else []) \
                + list(zip(g["also_comparisons"], g["also_compare_to"])):
            base = analysis.group_by_name(self.r, other)
            target.append(analysis.comparison_sentence(self.r, ci, g["title"], base["title"], base["section"]))
        return block

    def overlay(self, part: str, groups: list[dict]) -> Optional[Fig]:
        # Only configurations at one learning rate share an overlay (the appendix mixes two).
        if len(groups) < 2 or len({g["lr"] for g in groups}) > 1:
            return None
        series = [{"label": g["title"], "color": self.colour.get(g["variant"], figures.PALETTE[0]),
                   "histories": [r["history"] for r in self.group_runs(g) if r["history"]]} for g in groups]
        svg = figures.cached(self.cache, "overlay", {"series": series, "chance": self.chance, "ylim": list(self.ylim[part]),
                                               "epochs": self.epochs}, figures.overlay_figure)
        lr = groups[0]["lr"]
        return Fig(self.next_extra(), f"Validation loss of every configuration in section {part}, mean over seeds",
                   f"Learning rate {lr:g}; bands span the seeds (min to max).", svg, [])

    # -- the figure sections (2, 3, 5, 6, appendix)
    def figure_parts(self) -> list[tuple[str, list[Block], Optional[Fig]]]:
        parts: dict[str, list[int]] = {}
        for gi, g in enumerate(self.r["groups"]):
            if g["sweep"] is None:
                parts.setdefault(self.part(g["section"]), []).append(gi)
        out = []
        headings = self.study.file.sections
        for part in sorted(parts, key=_section_key):
            gis = sorted(parts[part], key=lambda i: _section_key(self.r["groups"][i]["section"]))
            blocks: list[Block] = []
            emitted = set()
            for gi in gis:
                sec = self.r["groups"][gi]["section"]
                pieces = sec.split(".")
                for depth in range(2, len(pieces)):  # intermediate headings such as 3.6
                    prefix = ".".join(pieces[:depth])
                    if prefix in headings and prefix not in emitted:
                        blocks.append(Block(prefix, headings[prefix], min(depth + 1, 4), anchor=f"s{prefix}"))
                        emitted.add(prefix)
                blocks.append(self.group_block(gi))
            overlay = self.overlay(part, [self.r["groups"][i] for i in gis])
            out.append((part, blocks, overlay))
        return out


def _lr_rows(r: dict) -> list[dict]:
    rows = []
    for gi, g in enumerate(r["groups"]):
        for ci in g.get("lr_comparisons", []):
            c = r["comparisons"][ci]
            hi = analysis.group_by_name(r, c["b"])
            rows.append({"title": g["title"], "variant": g["variant"], "low": gi, "high": analysis.group_index(r, c["b"]),
                         "low_lr": g["lr"], "high_lr": hi["lr"], "comparison": ci, "verdict": c["verdict"]})
    return rows


def build_context(study: Study, results: dict, fig_cache: Optional[Path]) -> dict:
    b = Builder(study, results, fig_cache)
    parts = b.figure_parts()
    by_part = {p: (blocks, overlay) for p, blocks, overlay in parts}
    r = results
    ctx: dict[str, Any] = {"r": r, "parts": by_part, "part_order": [p for p, _, _ in parts],
                           "headings": study.file.sections, "lr_rows": _lr_rows(r)}
    ctx["lr_summary"] = r.get("learning_rates")
    ctx["note_part"] = next((p for p in ctx["part_order"] if any(
        g["settings"] and g["settings"]["pretrained"] and Builder.part(g["section"]) == p for g in r["groups"])), None)
    # Section 7: rankings and the sweep.
    ctx["rankings"] = _rankings(r)
    sweeps = []
    for si, sw in enumerate(r["sweeps"]):
        ref_label = ""
        if sw["reference"]:
            ref_group = analysis.group_by_name(r, sw["reference"]["group"])
            ref_label = f"{ref_group['title']} (lr {ref_group['lr']:g}), mean"
        svg = figures.cached(fig_cache, "sweep", {"points": sw["points"], "reference": sw["reference"]["best_val_loss"]
                       if sw["reference"] else None, "reference_label": ref_label, "chance": b.chance}, figures.sweep_figure)
        fig = Fig(b.next_extra(), f"{sw['title']}: best validation loss and accuracy against k",
                  f"Learning rate {sw['lr']:g} · batch size {sw['batch_size']} · one dot per seed, the line through the means"
                  + (f"; dashed: {ref_label}" if ref_label else "") + ".", svg, analysis.sweep_observations(r, si))
        sweeps.append({"sweep": sw, "fig": fig})
    ctx["sweeps"] = sweeps
    ctx["claims"] = [{"claim": c, "evidence": analysis.claim_evidence(r, ci)} for ci, c in enumerate(r["claims"])]
    _number_extra_figures(ctx)
    ctx["project"] = _project(study, r)
    return ctx


def _number_extra_figures(ctx: dict) -> None:
    """Label the figures that are not the paper's A1, A2, … in the order a reader meets them."""
    def figs(parts: list[str]) -> list[Fig]:
        out = []
        for p in parts:
            blocks, overlay = ctx["parts"][p]
            out += [f for b in blocks for f in b.figures] + ([overlay] if overlay else [])
        return out

    numeric = [p for p in ctx["part_order"] if p[0].isdigit()]
    before = [p for p in numeric if int(p) < 7]
    after = [p for p in ctx["part_order"] if p not in before]
    in_order = figs(before) + [s["fig"] for s in ctx["sweeps"]] + figs(after)
    extras = [f for f in in_order if f.label.startswith("A")]
    for i, f in enumerate(extras, 1):
        f.label = f"A{i}"


def _rankings(r: dict) -> list[dict]:
    """Freeze strategies and batch sizes at each learning rate, ranked by mean best validation loss."""
    out = []
    default_bs = r["study"]["defaults"]["batch_size"]
    for kind, pick in (("Freezing strategies", lambda g: g["settings"]["batch_size"] == default_bs),
                       ("Batch sizes", lambda g: not g["settings"]["freeze"] and g["settings"]["pretrained"])):
        for lr in sorted({g["lr"] for g in r["groups"] if g["sweep"] is None}, reverse=True):
            gis = [i for i, g in enumerate(r["groups"]) if g["sweep"] is None and g["lr"] == lr
                   and g["settings"]["arch"] == "vgg16" and pick(g)]
            if len(gis) < 2:
                continue
            ranked = sorted(gis, key=lambda i: (r["groups"][i]["metrics"]["best_val_loss"]["mean"] is None,
                                                r["groups"][i]["metrics"]["best_val_loss"]["mean"] or 0.0))
            out.append({"kind": kind, "lr": lr, "groups": ranked})
    return out


def _project(study: Study, r: dict) -> dict:
    envs = [run.get("env") or {} for run in r["runs"] if run.get("env")]
    versions = sorted({(e.get("python"), e.get("torch"), e.get("torchvision")) for e in envs})
    devices = sorted({e.get("device", "?") if e.get("device_name") in (None, "", e.get("device"))
                      else f"{e['device']} ({e['device_name']})" for e in envs})
    done = [i for i, run in enumerate(r["runs"]) if run.get("train_seconds") is not None]
    total = sum(r["runs"][i]["train_seconds"] for i in done)
    return {"versions": versions, "devices": devices, "n_done": len(done), "total_seconds": total,
            "n_runs": len(r["runs"]), "profile": study.profile_name}
