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
    fmt: str = "loss"   # loss (3 decimals) | int | pct (1 decimal, percent) | p (p-value) | g (shortest) | s (seconds) | count (1,234)

    @property
    def text(self) -> str:
        return format_number(self.value, self.fmt)


def format_number(value: float | int, fmt: str) -> str:
    if fmt == "int":
        return str(int(value))
    if fmt == "count":
        return f"{int(value):,}"
    if fmt == "pct":
        return f"{100 * value:.1f} %"
    if fmt == "p":
        return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"
    if fmt == "g":
        return f"{value:g}"
    if fmt == "s":
        return f"{value:.1f}"
    if fmt == "d2":
        return f"{value:.2f}"
    if fmt == "e3":   # three significant digits, in scientific notation when large or small
        return f"{value:.3g}"
    return f"{value:.3f}"


Sentence = list  # of str and Num


def get(results: dict, ref: str) -> Any:
    """Resolve a JSON pointer (``/runs/3/metrics/best_val_loss``) in the results."""
    node: Any = results
    for token in ref.strip("/").split("/"):
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def num(results: dict, ref: str, fmt: str = "loss") -> Num:
    return Num(get(results, ref), ref, fmt)
