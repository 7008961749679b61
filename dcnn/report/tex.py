"""LaTeX's small pieces for report/latex.py: text escaped for pdflatex (T1 fonts) and booktabs tables."""
from __future__ import annotations

import re

SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
           "^": r"\textasciicircum{}", "_": r"\_", "~": r"\textasciitilde{}", "%": r"\%",
           "−": r"\textminus{}", "±": r"\textpm{}", "≈": r"\ensuremath{\approx}", "×": r"\texttimes{}",
           "·": r"\textperiodcentered{}", "°": r"\textdegree{}", "§": r"\S{}", "–": "--", "—": "---",
           "…": r"\ldots{}", "≤": r"\ensuremath{\leq}", "≥": r"\ensuremath{\geq}", "→": r"\textrightarrow{}",
           "α": r"\ensuremath{\alpha}", "⁻": r"\textsuperscript{-}", "‐": "-", "\u00a0": "~"}
SPECIAL.update({d: rf"\textsuperscript{{{i}}}" for i, d in enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹")})
def escape(text: str) -> str:
    """Text as LaTeX prints it: its special characters and the non-ASCII ones the report uses."""
    out = []
    for ch in text:
        if ch in SPECIAL:
            out.append(SPECIAL[ch])
        elif ord(ch) < 128 or ord(ch) < 256 and ch.isprintable():
            out.append(ch)
        else:
            out.append("?")   # a character pdflatex's T1 fonts do not have
    return "".join(out)


def visible(tex: str) -> float:
    """About how wide ``tex`` prints, in characters (commands and braces left out; typewriter text is wider)."""
    tex = re.sub(r"\\dcnn\{[^}]*\}", "0.000 ", tex)
    mono = sum(len(m) for m in re.findall(r"\\texttt\{([^}]*)\}", tex))
    return len(re.sub(r"\\[A-Za-z]+|[{}]", "", tex)) + 0.5 * mono


def columns(rows: list, width: int) -> str:
    """Ragged-right paragraph columns sharing the line by the length of their longest cell (capped)."""
    longest = [5] * width
    for _, cells in rows:
        k = 0
        for span, text in cells:
            if span == 1 and k < width:
                longest[k] = max(longest[k], min(visible(text) + 1, 40))
            k += span
    free = 1.0 - 0.016 * width
    return "@{}" + "".join(f">{{\\raggedright\\arraybackslash}}p{{{free * n / sum(longest):.3f}\\linewidth}}"
                           for n in longest) + "@{}"


def booktabs(rows: list) -> str:
    """A longtable with booktabs rules; wide tables small and, past twelve columns, on a landscape page."""
    width = max((sum(span for span, _ in cells) for _, cells in rows), default=1)
    line = lambda cells: " & ".join(text if span == 1 else f"\\multicolumn{{{span}}}{{l}}{{{text}}}"  # noqa: E731
                                    for span, text in cells) + " \\\\"
    head = [line(c) for is_head, c in rows if is_head]
    body = [line(c) for is_head, c in rows if not is_head]
    size = "\\scriptsize\\setlength{\\tabcolsep}{3pt}" if width > 5 else "\\small\\setlength{\\tabcolsep}{3pt}"
    out = ["{" + size, f"\\begin{{longtable}}{{{columns(rows, width)}}}", "\\toprule", *head]
    out += ["\\midrule", "\\endhead"] if head else []
    out += [*body, "\\bottomrule", "\\end{longtable}}"]
    text = "\n".join(out) + "\n"
    return f"\\begin{{landscape}}\n{text}\\end{{landscape}}\n" if width > 12 else text


def claims_table(results: dict) -> str:
    """Every claim, its verdict and its section: a booktabs table of its own."""
    rows = [(True, [(1, "claim"), (1, "verdict"), (1, "section"), (1, "statement")])]
    rows += [(False, [(1, str(i)), (1, c["verdict"]), (1, escape(f"§{c['section']}")),
                      (1, escape(c["says"]))])
             for i, c in enumerate(results["claims"], 1)]
    return booktabs(rows)
