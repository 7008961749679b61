"""The report as LaTeX, for the paper its user writes: ``build/latex/`` with ``report.tex`` (compiles
with pdflatex from Debian's TeX Live), ``numbers.tex`` (every number of the report by its data-ref),
``tables/*.tex`` (booktabs tables to ``\\input``) and ``figures/*.pdf`` (vector).

No prose is written twice: the LaTeX is translated from the report's own HTML, element by element
(headings, paragraphs, tables, figures, claims), and every number becomes ``\\dcnn{<data-ref>}``, so
the digits are those of the HTML by construction.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Optional

from ..store.build import atomic_write
from .tex import booktabs, claims_table, escape

VOID = {"img", "input", "br", "meta", "link", "hr"}
SKIPPED = {"nav", "style", "script", "title", "head"}
LEVELS = {"h2": "section", "h3": "subsection", "h4": "subsubsection"}
NAME = re.compile(r"^[A-Za-z0-9_.@+-]+$")
PREAMBLE = r"""\documentclass[10pt,a4paper]{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage{lmodern,textcomp,graphicx,booktabs,longtable,pdflscape,array}
\usepackage[margin=2cm]{geometry}
\usepackage[hidelinks]{hyperref}
\setlength{\parindent}{0pt}\setlength{\parskip}{0.5em}
\input{numbers}
"""


def label(anchor: str) -> str:
    return "a:" + re.sub(r"[^A-Za-z0-9.:-]", "-", anchor)


@dataclass
class El:
    tag: str
    attrs: dict
    parts: list = field(default_factory=list)    # LaTeX of the children, in order
    rows: list = field(default_factory=list)     # a table's rows: (is_head, [cells])
    cells: list = field(default_factory=list)    # a row's cells: (colspan, text)

    @property
    def cls(self) -> set:
        return set((self.attrs.get("class") or "").split())

    @property
    def text(self) -> str:
        return "".join(self.parts)


class Converter(HTMLParser):
    """The report's HTML → LaTeX body, its tables (name → LaTeX) and its figures (label → PDF)."""

    def __init__(self, figure_pdfs: dict[str, Optional[Path]]):
        super().__init__(convert_charrefs=True)
        self.figure_pdfs, self.stack = figure_pdfs, [El("root", {})]
        self.tables: dict[str, str] = {}
        self.figures: dict[str, Path] = {}
        self.title = self.subtitle = ""
        self.section = ""
        self.skip = 0
        self.claims_shown = False   # the claims table goes before the first claim
        self.verdicts: list[str] = []

    # -- parsing -------------------------------------------------------------------------------
    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in VOID:
            if tag == "img" and not self.skip:
                self.image()
            return
        el = El(tag, attrs)
        hidden = tag in SKIPPED or {"noprint", "csv", "toc", "latex-own"} & el.cls or tag == "p" and "says" in el.cls
        el.attrs["_skip"] = bool(hidden or self.skip)
        self.skip += el.attrs["_skip"]
        self.stack.append(el)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        while len(self.stack) > 1:
            el = self.stack.pop()
            if el.attrs.get("_skip"):
                self.skip -= 1
            else:
                self.finish(el)
            if el.tag == tag:
                return

    def handle_data(self, data):
        if self.skip:
            return
        top = self.stack[-1]
        top.parts.append(data if top.tag == "pre" else escape(re.sub(r"\s+", " ", data)))

    # -- elements ------------------------------------------------------------------------------
    def emit(self, text: str) -> None:
        parent = self.stack[-1]
        if parent.tag in ("td", "th"):
            text = text.replace("\n\n", " ")
        parent.parts.append(text)

    def image(self) -> None:
        fig = next((e for e in reversed(self.stack) if e.tag == "figure"), None)
        name = (fig.attrs.get("id") or "")[len("fig-"):] if fig else ""
        pdf = self.figure_pdfs.get(name)
        if pdf is not None and pdf.exists():
            file = f"figures/figure-{name}.pdf"
            self.figures[file] = pdf
            self.emit(f"\n\\begin{{center}}\\includegraphics[width=0.92\\linewidth]{{{file}}}\\end{{center}}\n")

    def finish(self, el: El) -> None:
        t, text, cls = el.tag, el.text, el.cls
        anchor = el.attrs.get("id")
        if t == "h1":
            self.title = text
        elif t == "p" and "sub" in cls:
            self.subtitle = text
        elif t in LEVELS or t == "h5":
            self.section = re.sub(r"[^0-9A-Za-z]+", "-", text.split(" ")[0])
            kind = LEVELS.get(t, "paragraph")
            lab = f"\\label{{{label(anchor)}}}" if anchor else ""
            plain = re.sub(r"\\hyperref\[[^]]*\]", "", text)
            self.emit(f"\n\\{kind}*{{{text}}}{lab}\\addcontentsline{{toc}}{{{kind}}}{{{plain}}}\n")
        elif t == "p" or t == "figcaption":
            self.emit(f"\n{text.strip()}\n\n" if text.strip() else "")
        elif t == "pre":
            self.emit(f"\n\\begin{{verbatim}}\n{text.rstrip()}\n\\end{{verbatim}}\n")
        elif t in ("b", "strong"):
            self.emit(f"\\textbf{{{text}}}")
        elif t in ("i", "em"):
            self.emit(f"\\emph{{{text}}}")
        elif t == "code":
            self.emit(f"\\texttt{{{text}}}")
        elif t == "a":
            href = el.attrs.get("href") or ""
            self.emit(f"\\hyperref[{label(href[1:])}]{{{text}}}" if href.startswith("#") else text)
        elif t == "span" and "n" in cls:
            self.emit(f"\\dcnn{{{el.attrs['data-ref']}}}")
        elif t == "span" and "verdict" in cls:
            self.emit(f"\\textbf{{{text}}}")
        elif t == "ul":
            self.emit(f"\n\\begin{{itemize}}\n{text}\\end{{itemize}}\n")
        elif t == "li":
            self.emit(f"\\item {text.strip()}\n")
        elif t in ("td", "th"):
            self.stack[-1].cells.append((int(el.attrs.get("colspan") or 1), text.strip()))
        elif t == "tr":
            table = next(e for e in reversed(self.stack) if e.tag == "table")
            table.rows.append((any(e.tag == "thead" for e in self.stack), el.cells))
        elif t == "table":
            self.table(el)
        elif t == "div" and "claim" in cls:
            self.claim(el)
        elif t == "figure":
            self.emit(f"\n\\phantomsection\\label{{{label(anchor)}}}{text}\n" if anchor else text)
        else:
            lab = f"\\phantomsection\\label{{{label(anchor)}}}" if anchor and t in ("div", "section") else ""
            self.emit(lab + text)

    def table(self, el: El) -> None:
        cls = el.cls
        name = el.attrs.get("id") or next((c for c in ("lr", "rank", "compute", "ranges", "sizes") if c in cls), "table")
        name = {"lr": "learning-rates", "rank": f"ranking-{self.section}"}.get(name, name)
        while name in self.tables:
            name += "-x"
        self.tables[name] = booktabs(el.rows)
        self.emit(f"\n\\input{{tables/{name}}}\n")

    def claim(self, el: El) -> None:
        if not self.claims_shown:
            self.claims_shown = True
            self.emit("\n\\input{tables/claims}\n")
        number = (el.attrs.get("id") or "claim-0").split("-")[-1]
        verdict = self.verdicts[int(number) - 1] if 0 < int(number) <= len(self.verdicts) else ""
        self.emit(f"\n\\phantomsection\\label{{{label(el.attrs.get('id', ''))}}}\\textbf{{Claim {number} ({verdict}).}} "
                  f"{el.text.strip()}\n\n")


def number_names(html: str, results: dict) -> dict[str, str]:
    """{name: text} of every number the report prints: by its data-ref, and for a group's or run's
    number also by the group's name (``/groups/<variant>@<lr>/...``, ``/runs/<variant>@<lr>/seed<s>/...``)."""
    from html import unescape

    out: dict[str, str] = {}
    for ref, text in re.findall(r'<span class="n" data-ref="([^"]+)">(.*?)</span>', html):
        text = unescape(text)
        out[ref] = text
        parts = ref.strip("/").split("/")
        if parts[0] in ("groups", "runs") and len(parts) > 1 and parts[1].isdigit():
            item = results[parts[0]][int(parts[1])]
            name = item["group"] + ("" if parts[0] == "groups" else f"/seed{item['seed']}")
            if NAME.match(item["group"]):
                out["/" + "/".join([parts[0], name, *parts[2:]])] = text
        elif parts[0] == "factors" and len(parts) > 1 and parts[1].isdigit():
            out.update({alias: text for alias in [factor_name(results, parts)] if alias})
    return out


def factor_name(results: dict, parts: list[str]) -> Optional[str]:
    """An analysis' number by its name, an effect's by the effect's (an interaction a:b):
    ``/factors/rate-and-freezing/effects/lr/share``."""
    f = results["factors"][int(parts[1])]
    rest = parts[2:]
    if rest[:1] == ["effects"] and len(rest) > 1 and rest[1].isdigit():
        rest = ["effects", f["effects"][int(rest[1])]["effect"].replace("×", ":"), *rest[2:]]
    alias = "/" + "/".join(["factors", f["name"], *rest])
    return alias if all(NAME.match(p.replace(":", "")) for p in alias.strip("/").split("/")) else None


def numbers_tex(names: dict[str, str]) -> str:
    lines = ["% Every number of the dcnn report, by the data-ref it has in report.html (a JSON pointer into",
             "% results.json); a group's and a run's numbers also by the group's name. Use: \\dcnn{<name>}.",
             "\\providecommand{\\dcnn}[1]{\\ifcsname dcnn@\\detokenize{#1}\\endcsname"
             "\\csname dcnn@\\detokenize{#1}\\endcsname\\else"
             "\\PackageError{dcnn}{No number named \\detokenize{#1}}{The names are in numbers.tex}\\fi}",
             "\\providecommand{\\dcnndef}[2]{\\expandafter\\def\\csname dcnn@\\detokenize{#1}\\endcsname{#2}}"]
    lines += [f"\\dcnndef{{{name}}}{{{escape(text)}}}" for name, text in names.items()]
    return "\n".join(lines) + "\n"


def document(conv: Converter, body: str) -> str:
    return (PREAMBLE + f"\\title{{{conv.title}}}\n\\author{{}}\n\\date{{}}\n\\begin{{document}}\n\\maketitle\n"
            f"{{\\centering\\small {conv.subtitle}\\par}}\n\\tableofcontents\n" + body + "\n\\end{document}\n")


def write_latex(html: str, results: dict, figure_pdfs: dict[str, Optional[Path]], out: Path) -> list[Path]:
    """``out``/report.tex, numbers.tex, tables/*.tex and figures/*.pdf; returns the paths written."""
    conv = Converter(figure_pdfs)
    conv.verdicts = [c["verdict"] for c in results["claims"]]
    conv.feed(html)
    conv.close()
    body = conv.stack[0].text
    files = {out / "report.tex": document(conv, body),
             out / "numbers.tex": numbers_tex(number_names(html, results))}
    tables = dict(conv.tables, **({"claims": claims_table(results)} if results["claims"] else {}))
    files.update({out / "tables" / f"{name}.tex": tex for name, tex in tables.items()})
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        atomic_write(path, text.encode(), fsync=False)
    for file, pdf in conv.figures.items():
        target = out / file
        if not target.exists() or target.stat().st_size != pdf.stat().st_size or target.read_bytes() != pdf.read_bytes():
            shutil.copyfile(pdf, target)
    return list(files) + [out / f for f in conv.figures]
