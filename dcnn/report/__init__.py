"""results → figures + sentences → HTML (Jinja2) → PDF (WeasyPrint). Renders from the cache only.

One module-level Jinja environment with its filters and tests registered once; the template
receives the context of outline.py (parts, blocks and pieces) and computes nothing. Render functions return strings;
files are written only in ``write_report``.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from pathlib import Path
from typing import Optional

import jinja2

from .. import analysis
from ..store import faults
from ..study.resolve import Study
from ..store.build import atomic_write
from ..analysis.vocabulary import verdict_words
from .latex import write_latex
from .outline import all_figures, build_context

log = logging.getLogger("dcnn")
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"   # package data (pyproject.toml)


ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                         trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
ENV.tests["num"] = lambda x: isinstance(x, analysis.Num)      # a number that points into results.json
ENV.filters["fmt"] = analysis.format_number                   # value | fmt("g")
ENV.filters["num"] = analysis.num                             # results | num(ref, fmt): a Num
ENV.filters["at"] = analysis.get                              # results | at(ref): the value at a pointer
ENV.filters["pm"] = analysis.pm                               # results | pm(ref, fmt): mean ± std
ENV.filters["verdict_words"] = verdict_words                  # verdict | verdict_words(a, b)
ENV.filters["setting"] = lambda v: setting_value(v)          # a setting's value in a table


def setting_value(v) -> str:
    """A setting's value as a table cell: yes/no, none, 0.001, [features[0:15]], {features: 0.1}."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if v is None or (isinstance(v, (list, tuple, dict)) and not v):
        return "none"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(setting_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {setting_value(x)}" for k, x in v.items()) + "}"
    return analysis.format_number(v, "g") if isinstance(v, (int, float)) else str(v)


def render(context: dict) -> str:
    """The report's HTML from its context (outline.build_context)."""
    css = (TEMPLATES / "report.css").read_text()
    script = (TEMPLATES / "report.js").read_text()
    return ENV.get_template("report.html.j2").render(css=css, script=script, **context)


def render_html(study: Study, results: dict, fig_cache: Optional[Path] = None) -> str:
    """The whole report as one self-contained HTML string (figures embedded, nothing from the network)."""
    return render(build_context(study, results, fig_cache))


def csv_text(rows: list[dict]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()


def render_pdf(html: str) -> bytes:
    # WeasyPrint logs every font-subsetting fallback as a warning; they are not ours to act on.
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    from weasyprint import HTML

    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf()


def write_report(study: Study, build: Path, data_dir=None, pdf: bool = True, live: str = "") -> list[Path]:
    """results.json, tables/, report.html, latex/ and (unless ``pdf`` is False) report.pdf under ``build``;
    returns the paths (of latex/, its report.tex). ``live``: a script report.html also carries (--watch)."""
    from ..results.collect import collect
    from ..results.tables import write_tables

    build = Path(build)
    results = collect(study, build, data_dir=data_dir)
    missing = [r for r in results["runs"] if r["status"] in ("missing", "failed")]
    for r in missing[:20]:
        log.warning("%s lr=%g seed=%d: %s", r["variant"], r["lr"], r["seed"],
                    "not run yet" if r["status"] == "missing" else f"failed ({r['error']})")
    if len(missing) > 20:
        log.warning("... and %d more runs not run yet or failed", len(missing) - 20)
    paths = [build / "results.json", build / "report.html"]
    faults.hit("report.write")
    context = build_context(study, results, build / "figures")     # (the figures drawn first: the largest files)
    atomic_write(paths[0], json.dumps(results.model_dump(mode="json"), indent=1, allow_nan=False).encode())
    write_tables(build, results, lambda path, data: atomic_write(path, data, fsync=False))
    html = render(context)
    atomic_write(paths[1], (html.replace("</body>", live + "\n</body>") if live else html).encode())
    for fig in all_figures(context["parts"]):   # the numbers behind every figure, linked from the HTML
        if fig.table:
            atomic_write(build / fig.csv, csv_text(fig.table).encode(), fsync=False)
    pdfs = {f.label: getattr(f.svg, "pdf", None) for f in all_figures(context["parts"])}
    latex = write_latex(html, results, pdfs, build / "latex")[0]
    if pdf:
        paths.append(build / "report.pdf")
        # The PDF is a pure function of the HTML: an unchanged report is not typeset again.
        source = build / ".report.pdf.source"
        digest = hashlib.sha256(html.encode()).hexdigest()
        if not (paths[2].exists() and source.exists() and source.read_text() == digest):
            atomic_write(paths[2], render_pdf(html))
            atomic_write(source, digest.encode())
    return paths + [latex]
