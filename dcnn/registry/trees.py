"""A model's module tree — its top-level modules, its output layer, every module path and for each the
children a slice may address — which freeze specs, discriminative rates and gradual unfreezing are
checked against: from the registered layout of dcnn's own models (no torch), or read from the model
built on the meta device (no memory, no weights)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from ..errors import ModelError
from .models import ModelSpec


@dataclass(frozen=True)
class ModuleTree:
    """A model's top-level modules, its output layer, and for any path the number of children a slice
    may address (None: not sliceable; KeyError: no such module)."""

    name: str
    top: tuple[str, ...]
    head: str
    size: Callable[[str], Optional[int]]
    paths: tuple[str, ...] = ()        # every module's dotted path (for naming the close ones)

    def check_path(self, path: str, what: str) -> None:
        """A module path the study names (``what``: the key naming it) exists, or a ValueError naming
        the close ones."""
        try:
            self.size(path)
        except KeyError:
            import difflib

            close = difflib.get_close_matches(path, self.paths, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else f" (its top-level modules: {', '.join(self.top)})"
            raise ValueError(f"{what}: {self.name} has no module '{path}'{hint}") from None


def own_tree(spec: ModelSpec) -> ModuleTree:
    """The tree of one of dcnn's own models, from its registered layout (no torch)."""
    layout = spec.layout

    def size(path: str) -> Optional[int]:
        top, *rest = path.split(".")
        n = layout[top]                                    # KeyError: no such module
        if rest and (n is None or len(rest) > 1 or not rest[0].isdigit() or int(rest[0]) >= n):
            raise KeyError(path)
        return None if rest else n
    paths = [top for top in layout] + [f"{top}.{i}" for top, n in layout.items() if n for i in range(n)]
    return ModuleTree(spec.name, tuple(layout), spec.head, size, tuple(paths))


def last_layer(model: Any, name: str) -> str:
    """The path of the output layer of a model without a registered one: the last Linear (or 1x1
    Conv2d, as in SqueezeNet) that produces the class scores."""
    from torch import nn

    last = None
    for path, m in model.named_modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)) and path:
            last = path
    if last is None:
        raise ModelError(f"{name}: no output layer found (a Linear or Conv2d producing the class scores)")
    return last


def head_path(model: Any, spec: ModelSpec) -> str:
    return spec.head or last_layer(model, spec.name)


def meta_tree(spec: ModelSpec, model_args: Optional[dict] = None) -> ModuleTree:
    """A model's module tree, read from the model built on the meta device (no memory, no weights)."""
    import torch
    from torch import nn

    with torch.device("meta"):
        model = spec.build(1000, **(model_args or {}))

    def size(path: str) -> Optional[int]:
        try:
            module = model.get_submodule(path)
        except AttributeError:
            raise KeyError(path) from None
        return len(module) if isinstance(module, (nn.Sequential, nn.ModuleList)) else None
    return ModuleTree(spec.name, tuple(n for n, _ in model.named_children()), head_path(model, spec), size,
                      tuple(p for p, _ in model.named_modules() if p))


def module_tree(spec: ModelSpec, model_args: Optional[dict] = None) -> ModuleTree:
    """dcnn's own models from their layout; any other built on the meta device (torch)."""
    return own_tree(spec) if spec.own else meta_tree(spec, model_args)
