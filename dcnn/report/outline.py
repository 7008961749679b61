"""The report's outline: its parts in reading order, their numbers, and what dcnn writes in them.

The study numbers its own sections (``sections:`` and each run's ``section``) and may place the
parts dcnn writes (``shows:``: introduction, learning_rates, rankings, claims, project, summary).
A part it does not place, and that the study has what it needs for, is numbered after the study's
own sections; the introduction, unless placed, opens the report unnumbered. Figures keep the
numbers the study gives them; the others continue in reading order, and only figures inside an
appendix (a part numbered with a letter) are numbered A1, A2, ...
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from .. import analysis
from ..study.resolve import Study
from .blocks import Block, Builder, Fig, part_of, section_key
from ..registry.parts import REPORT_PARTS, unplaced
from ..results.types import Results
from .parts import BUILDERS, Part, Piece, check_builders
from . import confusion  # noqa: F401  (registers the per_class part's builder)
from .pieces import APPENDIX_HEADINGS, rankings
from . import importance  # noqa: F401  (registers the builder of "What matters most")

check_builders()

GENERATED_HEADINGS = {name: p.heading for name, p in REPORT_PARTS.items()}   # (the study may name its own)


def _paragraphs(text: Optional[str]) -> list[str]:
    return [" ".join(p.split()) for p in (text or "").split("\n\n") if p.strip()]


class Outline:
    def __init__(self, study: Study, results: dict, fig_cache: Optional[Path]):
        self.study, self.r = study, results
        self.rankings = rankings(study, results)
        needed = {name: b.needed(self) for name, b in BUILDERS.items()}
        self.place = self.placements(needed)
        project = self.place.get("project")
        self.builder = Builder(study, results, fig_cache, f"§{project}.2")

    def own_numbers(self) -> list[str]:
        """Every top-level number the study itself uses: its sections, its runs' and sweeps' sections."""
        nums = {part_of(n) for n in self.study.file.sections}
        nums |= {part_of(g["section"]) for g in self.r["groups"]}
        return sorted(nums, key=section_key)

    def placements(self, needed: dict[str, bool]) -> dict[str, str]:
        """{generated kind: the number of the part it goes in ("" = unnumbered)}."""
        place: dict[str, str] = {}
        for number in self.study.file.sections:
            for kind in self.study.file.section(number).shows:
                place.setdefault(kind, number)
        ints = [int(n) for n in self.own_numbers() if n.isdigit()] + [0]
        nxt = max(ints) + 1
        for kind in unplaced("body"):
            if needed[kind] and kind not in place:
                place[kind], nxt = str(nxt), nxt + 1
        letters = [n for n in self.own_numbers() + list(place.values()) if n and not n[0].isdigit()]
        letter = chr(max((ord(n[0]) for n in letters), default=ord("A") - 1) + 1)
        for kind in unplaced("appendix"):
            if needed[kind] and kind not in place:
                place[kind], letter = letter, chr(ord(letter) + 1)
        for kind in unplaced("opening"):
            place.setdefault(kind, "")
        return {k: v for k, v in place.items() if needed.get(k, False)}

    def part(self, number: str) -> Part:
        sec = self.study.file.section(number) if number else None
        kinds = [k for k, n in self.place.items() if n == number]
        heading = sec.heading if sec else (GENERATED_HEADINGS[kinds[0]] if kinds else f"Section {number}")
        part = Part(number, heading, f"s{number}" if number else "intro", _paragraphs(sec.text if sec else None))
        for kind in kinds:
            if not BUILDERS[kind].items:
                part.pieces.append(Piece(kind, anchor=kind, data=BUILDERS[kind].build(self, number)))
        return part

    def items(self, part: Part) -> None:
        """The part's numbered items: headings, configurations, sweeps and rankings, in section order."""
        p, b = part.number, self.builder
        groups = sorted([gi for gi, g in enumerate(self.r["groups"]) if g["sweep"] is None and part_of(g["section"]) == p],
                        key=lambda gi: section_key(self.r["groups"][gi]["section"]))
        items: list = [b.group_block(gi) for gi in groups]
        items += [b.sweep_block(si) for si, sw in enumerate(self.r["sweeps"]) if part_of(sw["section"]) == p]
        taken = {i.number for i in items}
        for number in self.study.file.sections:   # declared subsection headings (3.6 over 3.6.1, ...)
            if part_of(number) == p and number != p and number not in taken:
                level = min(len(number.split(".")) + 1, 4)
                items.append(Block(number, self.study.file.section(number).heading, level, f"s{number}", kind="heading"))
                taken.add(number)
        free = (f"{p}.{k}" for k in range(1, 1000) if f"{p}.{k}" not in taken)
        for kind in [k for k, n in self.place.items() if n == p and BUILDERS[k].items]:
            items += BUILDERS[kind].build(self, p, free)
        part.items = sorted(items, key=lambda i: section_key(i.number))
        part.overlay = b.overlay(p, [self.r["groups"][gi] for gi in groups])

    def parts(self) -> list[Part]:
        numbers = set(self.own_numbers()) | set(self.place.values())
        out = []
        for number in sorted(numbers, key=lambda n: (1,) + section_key(n) if n else (0,)):
            part = self.part(number)
            if number:
                self.items(part)
            out.append(part)
        self.pretraining_note(out)
        number_figures(out)
        return out

    def pretraining_note(self, parts: list[Part]) -> None:
        """Where this study's own pretrained backbone first matters, say what it is and how good."""
        if self.r["study"]["pretraining"]["kind"] != "own":
            return
        pretrained = {g["group"] for g in self.r["groups"] if g["settings"] and g["settings"]["pretrained"]}
        for part in parts:
            if any(getattr(i, "group", None) in pretrained for i in part.items):
                part.pieces.insert(0, Piece("pretraining_note", data=self.r["study"]["pretraining"]))
                return


def all_figures(parts: list[Part]) -> list[Fig]:
    return [f for p in parts for f in figures_of(p)]


def figures_of(part: Part) -> list[Fig]:
    out = [f for i in part.items if isinstance(i, Block) for f in i.figures]
    return out + ([part.overlay] if part.overlay else [])


def number_figures(parts: list[Part]) -> None:
    """The study's figure numbers are kept; the others continue in reading order (A1, A2, ... inside
    an appendix A)."""
    declared = [int(f.label) for p in parts for f in figures_of(p) if f.label and f.label.isdigit()]
    nxt = max(declared, default=0) + 1
    for p in parts:
        k = 0
        for f in figures_of(p):
            if f.label is not None:
                continue
            if p.appendix:
                k += 1
                f.label = f"{p.number}{k}"
            else:
                f.label, nxt = str(nxt), nxt + 1


def cited_by(r: dict) -> dict[str, list[int]]:
    """{group: the indices of the claims that cite it}, so that a figure can link to its claims."""
    out: dict[str, list[int]] = {}
    for ci, c in enumerate(r["claims"]):
        for n in analysis.claim_groups(r, c["check"]):
            out.setdefault(n, []).append(ci)
    return out


def contents(parts: list[Part]) -> list[dict]:
    """The table of contents: every part and its subsections (two levels)."""
    out = []
    for p in parts:
        number = ("Appendix " + p.number) if p.appendix else p.number
        out.append({"level": 2, "number": number, "heading": p.heading, "anchor": p.anchor})
        out += [{"level": 3, "number": i.number, "heading": i.heading, "anchor": i.anchor}
                for i in p.items if i.level == 3]
        for piece in p.pieces:
            headings = {"project": PROJECT_HEADINGS, "reproducibility": APPENDIX_HEADINGS}.get(piece.kind, ())
            out += [{"level": 3, "number": f"{p.number}.{k}", "heading": h, "anchor": f"s{p.number}.{k}"}
                    for k, h in enumerate(headings, 1)]
    return out


PROJECT_HEADINGS = ("How to reproduce", "Data and weights", "Metrics", "Statistical methods",
                    "Software, device and time")


def claim_figures(results: dict, parts: list[Part]) -> list[list[str]]:
    """For each claim, the labels of the figures of the groups it rests on."""
    labels: dict[str, list[str]] = {}
    for f in all_figures(parts):
        labels.setdefault(f.anchor, []).append(f.label)
    return [[label for g in analysis.claim_groups(results, c["check"]) for label in labels.get(g, [])]
            for c in results["claims"]]


def build_context(study: Study, results: Results | dict, fig_cache: Optional[Path]) -> dict:
    """Everything the template shows, computed; the template only presents it. ``results`` are the
    typed results (a results.json's dict is read into them)."""
    results = results if isinstance(results, Results) else Results.model_validate(results)
    outline = Outline(study, results, fig_cache)
    parts = outline.parts()
    claims = [{"claim": c, "evidence": analysis.claim_evidence(results, ci)} for ci, c in enumerate(results["claims"])]
    return {"r": results, "parts": parts, "claims": claims, "cited_by": cited_by(results),
            "claim_figures": claim_figures(results, parts), "toc": contents(parts),
            "project_headings": PROJECT_HEADINGS,
            "thresholds": {"learned": analysis.percent(analysis.LEARNED_FRACTION), "rise": analysis.percent(analysis.RISE_TOL),
                           "collapse_share": analysis.percent(analysis.COLLAPSE_SHARE),
                           "collapse_range": analysis.format_number(analysis.COLLAPSE_RANGE, "e3")}}
