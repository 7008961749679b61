"""The report's figures with their captions and sentences: one block per configuration (variant ×
learning rate), an overlay per part, a figure per sweep. Labels of figures the study does not
number are set later, in reading order (outline.py)."""
from __future__ import annotations

import base64
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from .. import analysis
from . import figures
from ..study.resolve import Study
from ..study.settings import SETTING_WORDS
from .words import describe, detail


@dataclass
class Fig:
    label: Optional[str]            # the study's figure number, or None until outline.py numbers it
    caption: str
    detail: str                     # settings in words
    svg: Optional[str] = field(repr=False)   # None: nothing to draw yet (the text says why)
    observations: list = field(default_factory=list)  # sentences
    anchor: str = ""                # the id of the configuration or sweep it shows (claims link to it)
    table: list = field(default_factory=list, repr=False)   # the numbers behind it (its CSV file)

    @property
    def src(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode()

    @property
    def csv(self) -> str:
        """Where its CSV file is written, relative to the report."""
        return f"csv/figure-{self.label}.csv"


@dataclass
class Block:
    """A numbered (sub)section: its heading, what it is, its figures and a closing paragraph."""

    number: str
    heading: str
    level: int
    anchor: str                                     # the heading's id: "s" + its number
    intro: list = field(default_factory=list)       # sentences
    figures: list = field(default_factory=list)
    after: list = field(default_factory=list)       # sentences
    kind: str = "block"
    group: str = ""                                 # the configuration (or sweep) it shows: the block's id
    comparisons: list = field(default_factory=list)  # (comparison index, sentence)
    data: Any = None                                # what a kind of its own shows besides (its template's)


def part_of(section: str) -> str:
    return section.split(".")[0]


def section_key(number: str) -> tuple:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in number.split("."))


class Builder:
    """Figures and their sentences, from results.json."""

    def __init__(self, study: Study, results: dict, fig_cache: Optional[Path], where_pretraining: str):
        self.study, self.r, self.cache, self.where = study, results, fig_cache, where_pretraining
        self.chance = math.log(results["runs"][0]["num_classes"]) if results["runs"] else 1.0
        self.epochs = max((run.settings.epochs for run in study.runs), default=20)
        self.ylim: dict[str, tuple[float, float]] = {}
        for part in {part_of(g["section"]) for g in results["groups"]}:
            runs = [results["runs"][i] for g in results["groups"] if part_of(g["section"]) == part for i in g["runs"]]
            self.ylim[part] = figures.section_ylim(runs, self.chance)

    def clip_note(self, runs: list[dict], part: str) -> str:
        """The caption's word that a loss above the section's shared axis is drawn at its top."""
        if not figures.clipped(runs, self.ylim[part][1]):
            return ""
        return " Losses above the axis (an early epoch) are drawn at its top, on the section's one scale; the CSV has them."

    def group_runs(self, g: dict) -> list[dict]:
        return [self.r["runs"][i] for i in g["runs"]]

    def loss_fig(self, runs: list[dict], part: str, plateau: Optional[int] = None) -> Optional[str]:
        """Loss per epoch; runs that diverged before finishing an epoch, loss per step; None when
        nothing has been trained yet."""
        if any(r["history"] for r in runs):
            payload = {"runs": [{k: r[k] for k in ("history", "status", "diverged_epoch", "metrics")} for r in runs],
                       "chance": self.chance, "ylim": list(self.ylim[part]), "epochs": self.epochs,
                       "plateau": plateau}
            return figures.cached(self.cache, "loss", payload, figures.loss_figure)
        stepped = [r for r in runs if (r.get("divergence") or {}).get("step_losses")]
        if stepped:
            payload = {"runs": [{"seed": r["seed"], "divergence": r["divergence"]} for r in stepped],
                       "chance": self.chance}
            return figures.cached(self.cache, "divergence", payload, figures.divergence_figure)
        return None

    def _figures(self, gi: int, block: Block) -> None:
        g = self.r["groups"][gi]
        runs, part = self.group_runs(g), part_of(g["section"])
        labels = [str(f) for f in g["figures"]]
        if len(labels) > 1:   # one figure per seed, as the paper's Figures 1-4
            # Seeds that all failed to learn are told once, after the figures, not once per figure.
            dead = all(not self.r["runs"][ri]["metrics"]["learned"] for ri in g["runs"])
            for ri, label in zip(g["runs"], labels):
                run = self.r["runs"][ri]
                block.figures.append(Fig(label, f"{g['title']} {run['seed'] + 1}", detail(g, [run["seed"]]) + self.clip_note([run], part),
                                         self.loss_fig([run], part), [] if dead else analysis.run_observations(self.r, ri),
                                         g["group"], figures.loss_table([run])))
            block.after = analysis.group_observations(self.r, gi)
            return
        if len(runs) == 1:
            obs, svg = analysis.run_observations(self.r, g["runs"][0]), self.loss_fig(runs, part)
        else:
            obs = analysis.group_observations(self.r, gi) + [
                analysis.variance_words(self.r, vi) for vi, v in enumerate(self.r.get("variance", []))
                if v["group"] == g["group"]]
            # The plateau drawn is the one the text gives: the median of the seeds' that learned.
            learned = sorted(r["metrics"]["plateau_epoch"] for r in runs
                             if r["metrics"]["learned"] and r["metrics"]["plateau_epoch"] is not None)
            svg = self.loss_fig(runs, part, statistics.median_low(learned) if learned else None)
        block.figures.append(Fig(labels[0] if labels else None, g["title"],
                                 detail(g, [r["seed"] for r in runs], self.r["study"]["pretraining"]) + self.clip_note(runs, part),
                                 svg, obs,
                                 g["group"],
                                 figures.loss_table(runs)))

    def group_block(self, gi: int) -> Block:
        g = self.r["groups"][gi]
        heading = g["heading"] or g["title"]
        if any(h["variant"] == g["variant"] and h["lr"] != g["lr"] and part_of(h["section"]) == part_of(g["section"])
               for h in self.r["groups"]):   # the same variant at two rates in one part: say which
            heading += f", learning rate {g['lr']:g}"
        block = Block(g["section"], heading, min(len(g["section"].split(".")) + 1, 4), f"s{g['section']}",
                      group=g["group"])
        v = self.study.file.variants.get(g["variant"])
        block.intro = [describe(self.r, g, v.extends if v else None, self.study.profile.augment, self.where)]
        self._figures(gi, block)
        pairs = ([(g["comparison"], g["compare_to"])] if g.get("comparison") is not None else []) \
            + list(zip(g["also_comparisons"], g["also_compare_to"]))
        for ci, other in pairs:
            base = analysis.group_by_name(self.r, other)
            block.comparisons.append((ci, analysis.comparison_sentence(self.r, ci, g["title"], base["title"],
                                                                       base["section"])))
        return block

    def overlay(self, part: str, groups: list[dict]) -> Optional[Fig]:
        # Only configurations at one learning rate share an overlay (an appendix may mix two).
        if len(groups) < 2 or len({g["lr"] for g in groups}) > 1:
            return None
        series = [{"label": g["title"], "histories": [r["history"] for r in self.group_runs(g) if r["history"]]} for g in groups]
        if sum(1 for s in series if s["histories"]) < 2:   # nothing to overlay: no empty axes
            return None
        table = [{"configuration": s["label"], "epoch": e, "mean_val_loss": m, "min": lo, "max": hi}
                 for s in series if s["histories"]
                 for e, m, lo, hi in zip(*figures.mean_band(s["histories"], "val_loss"))]
        svg = figures.cached(self.cache, "overlay", {"series": series, "chance": self.chance,
                                                     "ylim": list(self.ylim[part]), "epochs": self.epochs},
                             figures.overlay_figure)
        return Fig(None, f"Validation loss of every configuration in section {part}, mean over seeds",
                   f"Learning rate {groups[0]['lr']:g}; bands span the seeds (min to max); configurations "
                   "without a finished epoch are left out.", svg, [], f"overlay-{part}", table)

    def selection_block(self, number: str) -> Optional[Block]:
        """The figure of validation against test: where choosing the best epoch on validation flattered."""
        sel = self.r.get("selection")
        if not sel:
            return None
        points = [{"group": self.r["groups"][gi]["group"], "title": self.r["groups"][gi]["title"],
                   "best_val_loss": self.r["groups"][gi]["metrics"]["best_val_loss"]["mean"],
                   "test_loss_at_best": self.r["groups"][gi]["metrics"]["test_loss_at_best"]["mean"]}
                  for gi in sel["groups"]]
        svg = figures.cached(self.cache, "selection", {"points": [{k: p[k] for k in ("best_val_loss",
                                                                                      "test_loss_at_best")}
                                                                   for p in points]}, figures.selection_figure)
        fig = Fig(None, "Best validation loss against the test loss at the same epoch, one point per configuration",
                  "Means over seeds; the dashed line is where the two are equal. The test images played no part in "
                  "choosing the epoch.", svg, analysis.selection_words(self.r), "selection", points)
        return Block(number, "Validation against test: what choosing on validation flatters", 3, f"s{number}",
                     figures=[fig], kind="sweep", group="selection")

    def sweep_block(self, si: int) -> Block:
        sw = self.r["sweeps"][si]
        ref_label = ""
        if sw["reference"]:
            ref_group = analysis.group_by_name(self.r, sw["reference"]["group"])
            bs = sw["batch_size"] is not None and ref_group.get("batch_size") != sw["batch_size"]
            other = [f"lr {ref_group['lr']:g}"] + ([f"batch size {ref_group['batch_size']}"] if bs else [])
            ref_label = f"{ref_group['title']} ({', '.join(other)}), mean"
            if bs or (sw["lr"] is not None and ref_group["lr"] != sw["lr"]):
                ref_label += ", at other settings than the sweep's"
        drawn = any(p["best_val_loss"]["n"] or p["n_diverged"] for p in sw["points"])
        svg = figures.cached(self.cache, "sweep", {
            "points": sw["points"], "vary": sw["vary"], "chance": self.chance, "reference_label": ref_label,
            "reference": sw["reference"]["best_val_loss"] if sw["reference"] else None},
            figures.sweep_figure) if drawn else None
        table = [{sw["vary"]: p["value"], "seed": k, "best_val_loss": v, "val_acc_at_best": a}
                 for p in sw["points"] for k, (v, a) in enumerate(zip(p["best_val_loss"]["values"],
                                                                       p["val_acc_at_best"]["values"]))]
        fixed = [f"learning rate {sw['lr']:g}"] if sw["lr"] is not None else []
        fixed += [f"batch size {sw['batch_size']}"] if sw["batch_size"] is not None and sw["vary"] != "batch_size" else []
        what = SETTING_WORDS[sw["vary"]]
        detail = ((" · ".join(fixed) + " · ") if fixed else "") + "one dot per seed, the line through the means" \
            + (f"; dashed: {ref_label}" if ref_label else "") + "."
        fig = Fig(None, f"{sw['title']}: best validation loss and accuracy against the {what}", detail[0].upper()
                  + detail[1:], svg, analysis.sweep_observations(self.r, si), f"sweep-{sw['name']}", table)
        level = min(len(sw["section"].split(".")) + 1, 4)
        return Block(sw["section"], sw["title"], level, f"s{sw['section']}", figures=[fig], kind="sweep",
                     group=f"sweep-{sw['name']}")
