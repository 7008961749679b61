"""The LaTeX output (report/latex.py): it compiles with pdflatex, its numbers are the report's digits by
name, and its PDF has the figures, captions and verdicts of build/report.pdf."""
from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dcnn.report.latex import numbers_tex
from dcnn.report.tex import escape

pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
                              reason="pdflatex and pdftotext are installed by .ci/run")

pytestmark = pytest.mark.xdist_group("paper_shaped")   # the shared toy study of test_report.py


def compile_tex(folder: Path, name: str = "report.tex") -> Path:
    for _ in range(2):   # twice: the contents and the cross-references
        proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", name], cwd=folder,
                              capture_output=True, text=True, errors="replace", timeout=300)
        assert proc.returncode == 0, proc.stdout[-3000:]
    return folder / name.replace(".tex", ".pdf")


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def squeeze(text: str) -> str:
    """Text without what typesetting changes: spaces, line-end hyphens, dashes and quotes."""
    return re.sub(r"[\s\-‐­–—'’\"“”]", "", text)


def spans(report_html: str) -> dict[str, str]:
    return {ref: html.unescape(t) for ref, t in
            re.findall(r'<span class="n" data-ref="([^"]+)">(.*?)</span>', report_html)}


def test_escape_prints_every_special_character():
    assert escape("50 % & $x_1$ #2 {a} ~ ^ \\") == \
        r"50 \% \& \$x\_1\$ \#2 \{a\} \textasciitilde{} \textasciicircum{} \textbackslash{}"
    assert escape("ln 5 ≈ 1.609 − 0.1 ± 0.2") == r"ln 5 \ensuremath{\approx} 1.609 \textminus{} 0.1 \textpm{} 0.2"


def test_report_writes_latex_files(paper_shaped):
    _, build = paper_shaped
    latex = build / "latex"
    tex = (latex / "report.tex").read_text()
    for name in ("summary", "claims", "learning-rates"):
        assert (latex / "tables" / f"{name}.tex").exists()
        assert f"\\input{{tables/{name}}}" in tex
    body = (latex / "tables" / "summary.tex").read_text()
    assert "\\toprule" in body and "\\bottomrule" in body
    figures = list((latex / "figures").glob("figure-*.pdf"))
    html_figures = re.findall(r'<figure id="fig-([^"]+)">\s*<img', (build / "report.html").read_text())
    assert sorted(f.stem[len("figure-"):] for f in figures) == sorted(html_figures)
    assert all(f.read_bytes().startswith(b"%PDF") for f in figures)


@pdflatex
def test_latex_compiles_to_the_reports_figures_captions_and_verdicts(paper_shaped, tmp_path):
    _, build = paper_shaped
    folder = tmp_path / "latex"
    shutil.copytree(build / "latex", folder)
    ours, theirs = squeeze(pdf_text(compile_tex(folder))), squeeze(pdf_text(build / "report.pdf"))
    page = (build / "report.html").read_text()
    captions = re.findall(r"<figcaption><b>Figure ([^:]+):</b> (.*?)\. <span", page)
    assert len(captions) >= 27
    for label, caption in captions:
        text = squeeze(f"Figure {label}: " + html.unescape(re.sub("<[^>]+>", "", caption)))
        assert text in ours, f"figure {label}'s caption is not in the LaTeX PDF"
        assert text in theirs
    figures = lambda t: sorted(set(re.findall(r"Figure([A-Z]?\d+):", t)))  # noqa: E731
    assert figures(ours) == figures(theirs)
    verdicts = re.findall(r'<span class="verdict (supported|contradicted|inconclusive)">', page)
    for i, verdict in enumerate(verdicts, 1):
        assert f"Claim{i}({verdict})." in ours, f"claim {i} is not {verdict} in the LaTeX PDF"
        assert f"{i}{verdict.upper()}§" in theirs   # the HTML's verdict badge is set in capitals


@pdflatex
def test_every_number_by_name_prints_the_reports_digits(paper_shaped, tmp_path):
    _, build = paper_shaped
    shown = spans((build / "report.html").read_text())
    assert len(shown) > 300
    (tmp_path / "numbers.tex").write_text((build / "latex" / "numbers.tex").read_text())
    refs = sorted(shown)
    lines = [f"[{i}]\\dcnn{{{ref}}}[/]\\par" for i, ref in enumerate(refs)]
    (tmp_path / "all.tex").write_text("\\documentclass{article}\\usepackage[T1]{fontenc}\\usepackage{textcomp,lmodern}"
                                      "\\input{numbers}\\begin{document}\\raggedright\n" + "\n".join(lines)
                                      + "\n\\end{document}\n")
    text = pdf_text(compile_tex(tmp_path, "all.tex"))
    printed = dict(re.findall(r"\[(\d+)\](.*?)\[/\]", text))
    for i, ref in enumerate(refs):
        assert printed.get(str(i), "").replace("−", "-") == shown[ref], ref


def test_numbers_by_group_name_alias_the_pointer(paper_shaped):
    _, build = paper_shaped
    tex = (build / "latex" / "numbers.tex").read_text()
    defs = dict(re.findall(r"^\\dcnndef\{([^}]*)\}\{(.*)\}$", tex, flags=re.M))
    shown = spans((build / "report.html").read_text())
    assert defs["/groups/scratch@0.2/metrics/best_val_loss/mean"] == escape(shown["/groups/0/metrics/best_val_loss/mean"])
    assert "/runs/scratch@0.2/seed0/metrics/best_val_loss" in defs


@pdflatex
def test_an_unknown_name_is_a_latex_error(tmp_path):
    (tmp_path / "numbers.tex").write_text(numbers_tex({"/study/n_runs": "12"}))
    (tmp_path / "d.tex").write_text("\\documentclass{article}\\input{numbers}\\begin{document}\\dcnn{/study/n_runs} "
                                    "\\dcnn{/study/nope}\\end{document}\n")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "d.tex"], cwd=tmp_path,
                          capture_output=True, text=True, errors="replace", timeout=120)
    assert proc.returncode != 0 and "No number named /study/nope" in proc.stdout
