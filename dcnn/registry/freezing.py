"""Freeze specs: which of a model's modules keep their weights. One syntax and one check for every
model, against the model's own module tree (no torch for dcnn's own models, whose layout is
registered; a torchvision model is built on the meta device to read its tree).

A spec addresses a module by path, optionally with a slice of a sequential module's children:
``features[0:15]`` freezes features[0] … features[14]; ``layer4`` all of layer4; ``layer4.1`` one block.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from .models import ModelSpec
from .trees import ModuleTree, module_tree

_FREEZE_RE = re.compile(r"^(?P<path>[A-Za-z_]\w*(?:\.\w+)*)(?:\[(?P<start>\d*):(?P<stop>\d*)\])?$")


@dataclass(frozen=True)
class FreezeSpec:
    path: str
    start: Optional[int] = None
    stop: Optional[int] = None

    @property
    def sliced(self) -> bool:
        return self.start is not None

    def __str__(self) -> str:
        return f"{self.path}[{self.start}:{self.stop}]" if self.sliced else self.path

    def covers(self, path: str) -> bool:
        """True when the module at ``path`` (a dotted path) lies inside what this spec freezes."""
        if not self.sliced:
            return path == self.path or path.startswith(self.path + ".")
        rest = path[len(self.path) + 1:] if path.startswith(self.path + ".") else None
        if rest is None:
            return False
        index = rest.split(".")[0]
        return index.isdigit() and self.start <= int(index) < self.stop


def _parse(text: str, tree: ModuleTree) -> FreezeSpec:
    m = _FREEZE_RE.match(text.strip())
    if not m:
        sliceable = [f"{t}[start:stop] with 0 <= start < stop <= {tree.size(t)}" for t in tree.top if tree.size(t)]
        raise ValueError(f"bad freeze spec '{text}' (allowed: a module path, optionally with a slice: "
                         f"{', '.join(sliceable) or ', '.join(tree.top)})")
    start, stop = m.group("start"), m.group("stop")
    if start is None:
        return FreezeSpec(m.group("path"))
    return FreezeSpec(m.group("path"), int(start) if start else 0, int(stop) if stop else -1)


def check_freeze(text: str, spec: ModelSpec, tree: Optional[ModuleTree] = None) -> FreezeSpec:
    """Parse a freeze spec and check it against the model's modules; ValueError with one line naming
    what is allowed. The new output layer always trains, so a spec that covers it is an error."""
    tree = tree or module_tree(spec)
    fs = _parse(text, tree)
    try:
        n = tree.size(fs.path)
    except KeyError:
        raise ValueError(f"bad freeze spec '{text}': {tree.name} has no module '{fs.path}' "
                         f"(its top-level modules: {', '.join(tree.top)})") from None
    if fs.sliced:
        stop = n if fs.stop == -1 else fs.stop
        if n is None or not 0 <= fs.start < stop <= n:
            what = f"{fs.path} has {n} modules" if n is not None else f"{fs.path} cannot be sliced"
            raise ValueError(f"bad freeze spec '{text}': {what} (allowed: a slice [start:stop] of a sequential "
                             f"module, 0 <= start < stop <= its length)")
        fs = FreezeSpec(fs.path, fs.start, stop)
    if fs.covers(tree.head):
        parent, _, index = tree.head.rpartition(".")
        shown, hint = tree.head, ""
        if parent and index.isdigit():
            shown, hint = f"{parent}[{index}]", f" (freeze at most {parent}[0:{index}])"
        raise ValueError(f"bad freeze spec '{text}': it covers {shown}, the new output layer, which always "
                         f"trains{hint}")
    return fs


def named(fs: FreezeSpec) -> list[str]:
    """The module paths a spec names: each child of a slice, or the one module."""
    return [f"{fs.path}.{i}" for i in range(fs.start, fs.stop)] if fs.sliced else [fs.path]


def unfrozen_by(text: str, spec: ModelSpec, frozen: list[FreezeSpec], tree: Optional[ModuleTree] = None) -> FreezeSpec:
    """A gradual unfreezing's module spec, checked: a module of the model that ``frozen`` freezes; else
    a ValueError naming what is frozen."""
    fs = check_freeze(text, spec, tree)
    if not all(any(f.covers(p) for f in frozen) for p in named(fs)):
        shown = ", ".join(str(f) for f in frozen) or "nothing"
        raise ValueError(f"'{text}' is not frozen, so it cannot be unfrozen (freeze: {shown})")
    return fs
