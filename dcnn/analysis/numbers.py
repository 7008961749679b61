"""Numbers that know where they come from: every number the report prints is a ``Num`` holding its
value and the JSON pointer into results.json it was read from."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

@dataclass(frozen=True)
class Num:
    """A number printed in the report, with the results.json pointer it was read from."""

    value: float | int
    ref: str            # JSON pointer into results.json, e.g. /runs/3/metrics/best_val_loss
    fmt: str = "loss"   # loss (3 decimals) | int | pct (1 decimal, percent) | p (p-value) | q | g (shortest) | s (seconds) | count (1,234)

    @property
    def text(self) -> str:
        return format_number(self.value, self.fmt)


FORMATS = {
    "loss": lambda v: f"{v:.3f}",
    "int": lambda v: str(int(v)),
    "count": lambda v: f"{int(v):,}",
    "pct": lambda v: f"{100 * v:.1f} %",
    "p": lambda v: "p < 0.001" if v < 0.001 else f"p = {v:.3f}",
    "q": lambda v: "q < 0.001" if v < 0.001 else f"q = {v:.3f}",   # a Benjamini–Hochberg q-value
    "g": lambda v: f"{v:g}",
    "s": lambda v: f"{v:.1f}",
    "d2": lambda v: f"{v:.2f}",
    "e3": lambda v: f"{v:.3g}",    # three significant digits, in scientific notation when large or small
}


def percent(share: float) -> str:
    """A threshold given as a share, as prose prints it: 0.9 → "90 %" (from its definition, never typed)."""
    return f"{100 * share:g} %"


def format_number(value: float | int, fmt: str) -> str:
    """``value`` as the report prints it; an unknown format is a bug in the caller, not a default."""
    try:
        return FORMATS[fmt](value)
    except KeyError:
        raise ValueError(f"unknown number format {fmt!r}; known: {', '.join(FORMATS)}") from None


Sentence = list  # of str and Num


def get(results: dict, ref: str) -> Any:
    """Resolve a JSON pointer (``/runs/3/metrics/best_val_loss``) in the results."""
    node: Any = results
    for token in ref.strip("/").split("/"):
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def num(results: dict, ref: str, fmt: str = "loss") -> Num:
    return Num(get(results, ref), ref, fmt)


def and_list(parts: list) -> list:
    """[a, b, c] → [a, ', ', b, ' and ', c] (parts may be Num or str)."""
    out: list = []
    for i, p in enumerate(parts):
        if i:
            out.append(" and " if i == len(parts) - 1 else ", ")
        out.append(p)
    return out
