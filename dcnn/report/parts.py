"""How each registered report part (registry/parts.py) is built: whether the study has what it needs,
and what it writes — a ``Piece`` before the part's numbered items, or numbered items among them. The
builders register themselves here by the part's name (pieces.py); a part's HTML is
templates/parts/<name>.html.j2 (items: templates/items/<kind>.html.j2)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ..registry.parts import REPORT_PARTS


@dataclass
class Piece:
    """Something dcnn writes in a part: a table, paragraphs, subsections (its builder fills ``data``)."""

    kind: str
    number: str = ""
    heading: str = ""
    level: int = 3
    anchor: str = ""
    data: Any = None


WIDE_ITEMS = ("sweep", "ranking", "per_class")   # items that span both columns in print


@dataclass
class Part:
    number: str                 # "4", "A" (an appendix), "" (unnumbered)
    heading: str
    anchor: str
    text: list[str] = field(default_factory=list)   # the study's own paragraphs
    pieces: list = field(default_factory=list)      # what dcnn writes before the numbered items
    items: list = field(default_factory=list)       # Blocks and numbered Pieces, in section order
    overlay: Optional[Any] = None

    @property
    def flows(self) -> list[tuple[bool, list]]:
        """The items in runs: (wide, items). In print the narrow ones flow down two columns, the wide
        ones (sweeps, rankings, tables per class) span the page between them."""
        out: list[tuple[bool, list]] = []
        for i in self.items:
            wide = getattr(i, "kind", "") in WIDE_ITEMS
            if out and not wide and not out[-1][0]:
                out[-1][1].append(i)
            else:
                out.append((wide, [i]))
        return out

    @property
    def appendix(self) -> bool:
        return bool(self.number) and not self.number[0].isdigit()


@dataclass(frozen=True)
class PartBuilder:
    name: str
    needed: Callable[[Any], bool]          # (outline) → the study has what the part needs
    build: Callable[..., Any]              # piece: (outline, number) → its data; items: (outline, number, free) → items
    items: bool = False                    # it writes numbered items (rankings, selection) rather than a piece


BUILDERS: dict[str, PartBuilder] = {}


def builds(name: str, needed: Callable[[Any], bool] = lambda o: True, items: bool = False):
    """Register the decorated function as the builder of the report part ``name``."""
    if name not in REPORT_PARTS:
        raise RuntimeError(f"no report part '{name}' is registered (registry/parts.py)")

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        BUILDERS[name] = PartBuilder(name, needed, fn, items)
        return fn
    return register


def check_builders() -> None:
    """Every registered part has exactly one builder (called once the builders are imported)."""
    missing = sorted(set(REPORT_PARTS) - set(BUILDERS))
    if missing:
        raise RuntimeError(f"report parts without a builder: {', '.join(missing)}")
