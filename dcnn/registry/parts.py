"""The parts dcnn writes in a report, each one registered ``ReportPart``: the name a study's section
places it by (``shows: [learning_rates]``), its heading where the study gives it none, and where it
goes when the study does not place it. How each part is built is the report's (report/parts.py,
keyed by the same name; a part's HTML is templates/parts/<name>.html.j2)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReportPart:
    name: str
    heading: str            # its heading in a part of its own
    where: str              # unplaced: "opening" (first, unnumbered), "body" (after the study's sections), "appendix"
    order: float            # among the unplaced ones of its kind
    description: str


REPORT_PARTS: dict[str, ReportPart] = {}


def register_part(part: ReportPart) -> ReportPart:
    REPORT_PARTS[part.name] = part
    return part


def unplaced(where: str) -> list[str]:
    """The parts that go ``where`` when the study does not place them, in order."""
    return [p.name for p in sorted(REPORT_PARTS.values(), key=lambda p: p.order) if p.where == where]


for _part in (
    ReportPart("abstract", "Summary", "opening", -1, "what was found, the claims' tally and what this profile "
               "substitutes, generated; and a glossary of the report's terms"),
    ReportPart("introduction", "Introduction", "opening", 0, "the task, the data and the method, for any study"),
    ReportPart("learning_rates", "Learning rates compared", "body", 1, "each variant at its lower rate against its higher"),
    ReportPart("rankings", "Variants ranked", "body", 2, "the variants that differ in one setting, ranked"),
    ReportPart("selection", "Validation and test", "body", 3, "what choosing the best epoch on validation flatters"),
    ReportPart("per_class", "Which classes are confused", "body", 4, "per configuration, its test confusion "
               "summed over seeds and its most confused pair"),
    ReportPart("claims", "Claims checked", "body", 5, "every claim of the study, judged"),
    ReportPart("discussion", "Discussion", "body", 5.5, "the study's findings against the original's statements"),
    ReportPart("project", "Project information", "body", 6, "how to reproduce, data, metrics, methods, time"),
    ReportPart("summary", "Summary of every run", "body", 7, "a table of every run"),
    ReportPart("reproducibility", "Reproducibility", "appendix", 0, "machines, versions, compute, checklist"),
):
    register_part(_part)
register_part(ReportPart("factors", "What matters most", "body", 3,      # (after selection, before claims)
                         "each factor's share of the variance, with its interval and the seed-noise floor"))
