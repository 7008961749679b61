"""Model names, module layouts and freeze specs: validating a study needs these, not torch.

dcnn builds two models itself: ``scratch_cnn`` (a small CNN) and ``vgg16``, which keeps
torchvision's exact module layout at every width (``features``: 31 modules, ``classifier``: 7), so a
freeze spec such as ``features[0:15]`` means the same layers in the width/8 demo model as in the real
ImageNet model. Any other name is a torchvision classification model (``resnet18``,
``mobilenet_v3_small``, ...), checked against torchvision when a study names it.

A freeze spec addresses a model's own modules by path, optionally with a slice of a sequential
module: ``features[0:15]``, ``classifier[0:6]``, ``layer1``, ``layer4.1``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

# torchvision's configuration "D" (VGG16): conv output widths, "M" = 2x2 max-pool.
VGG16_CFG: tuple[int | str, ...] = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M",
                                    512, 512, 512, "M", 512, 512, 512, "M")
# The models dcnn builds: their top-level children in order, with the length of each sequential one
# (None: a module without children). The last module of `classifier` is the output layer.
LAYOUT: dict[str, dict[str, Optional[int]]] = {
    "scratch_cnn": {"features": 9, "avgpool": None, "classifier": 5},
    "vgg16": {"features": 31, "avgpool": None, "classifier": 7},
}
OWN_MODELS = tuple(LAYOUT)
HEAD = {"scratch_cnn": "classifier.4", "vgg16": "classifier.6"}   # the output layer's path
_FREEZE_RE = re.compile(r"^(?P<path>[A-Za-z_]\w*(?:\.\w+)*)(?:\[(?P<start>\d*):(?P<stop>\d*)\])?$")


class ModelError(Exception):
    """A model or weights problem the user can fix; one line."""


@dataclass(frozen=True)
class FreezeSpec:
    """A module path, optionally with a slice of its children: ``features[0:15]`` freezes
    features[0] … features[14]; ``layer4`` freezes all of layer4."""

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


def parse_path(text: str) -> FreezeSpec:
    """The syntax of a freeze spec, without knowing the model; raises ValueError."""
    m = _FREEZE_RE.match(text.strip())
    if not m:
        raise ValueError(f"bad freeze spec '{text}' (allowed: a module path, optionally with a slice: "
                         f"features[0:15], layer4, layer4.1)")
    start, stop = m.group("start"), m.group("stop")
    if start is None:
        return FreezeSpec(m.group("path"))
    return FreezeSpec(m.group("path"), int(start) if start else 0, int(stop) if stop else -1)


def _allowed(arch: str) -> str:
    return ", ".join(f"{b}[start:stop] with 0 <= start < stop <= {n}" for b, n in LAYOUT[arch].items() if n)


def parse_freeze_spec(text: str, arch: str) -> FreezeSpec:
    """Parse and bound-check a freeze spec for one of dcnn's own models (no torch); raises ValueError
    with the allowed forms. Torchvision models are checked by models.check_freeze_spec."""
    try:
        spec = parse_path(text)
    except ValueError:
        raise ValueError(f"bad freeze spec '{text}' (allowed: {_allowed(arch)})") from None
    top, *rest = spec.path.split(".")
    if top not in LAYOUT[arch]:
        raise ValueError(f"bad freeze spec '{text}': {arch} has no module '{top}' "
                         f"(its top-level modules: {', '.join(LAYOUT[arch])})")
    n = LAYOUT[arch][top]
    if spec.sliced:
        if rest or n is None:
            raise ValueError(f"bad freeze spec '{text}': only {', '.join(b for b, k in LAYOUT[arch].items() if k)} "
                             f"can be sliced (allowed: {_allowed(arch)})")
        stop = n if spec.stop == -1 else spec.stop
        if not 0 <= spec.start < stop <= n:
            raise ValueError(f"bad freeze spec '{text}': {top} has {n} modules (allowed: {_allowed(arch)})")
        spec = FreezeSpec(top, spec.start, stop)
    elif rest and (n is None or not rest[0].isdigit() or int(rest[0]) >= n or len(rest) > 1):
        raise ValueError(f"bad freeze spec '{text}': {arch} has no module '{spec.path}' (allowed: {_allowed(arch)})")
    head = HEAD[arch]
    if spec.covers(head):
        block, index = head.split(".")
        raise ValueError(f"bad freeze spec '{text}': {block}[{index}] is the new output layer, "
                         f"which always trains (freeze at most {block}[0:{index}])")
    return spec


def conv_freeze_spec(frozen_conv_layers: int) -> FreezeSpec | None:
    """VGG16 with its first k conv layers (and their ReLUs) frozen, for the freeze-depth sweep."""
    n_convs = sum(1 for c in VGG16_CFG if c != "M")
    if not 0 <= frozen_conv_layers <= n_convs:
        raise ValueError(f"frozen_conv_layers must be 0..{n_convs}, got {frozen_conv_layers}")
    if frozen_conv_layers == 0:
        return None
    index, seen = 0, 0
    for c in VGG16_CFG:
        if c == "M":
            index += 1
            continue
        index += 2  # conv + ReLU
        seen += 1
        if seen == frozen_conv_layers:
            return FreezeSpec("features", 0, index)
    raise AssertionError("unreachable")
