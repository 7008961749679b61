"""The architectures' module layouts and freeze specs: pure data and parsing, no torch.

VGG16 keeps torchvision's exact module layout at every width (``features``: 31 modules,
``classifier``: 7), so a freeze spec such as ``features[0:15]`` means the same layers in the
width/8 demo model as in the real ImageNet model. Validating a study needs this, not torch.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# torchvision's configuration "D" (VGG16): conv output widths, "M" = 2x2 max-pool.
VGG16_CFG: tuple[int | str, ...] = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M",
                                    512, 512, 512, "M", 512, 512, 512, "M")
# len(features), len(classifier) of each architecture; index -1 of classifier is the output layer.
LAYOUT: dict[str, dict[str, int]] = {
    "vgg16": {"features": 31, "classifier": 7},
    "scratch_cnn": {"features": 9, "classifier": 5},
}
ARCHITECTURES = tuple(LAYOUT)
_FREEZE_RE = re.compile(r"^(features|classifier)\[(\d*):(\d*)\]$")


class ModelError(Exception):
    """A model or weights problem the user can fix; one line."""


@dataclass(frozen=True)
class FreezeSpec:
    """A slice of a top-level ``nn.Sequential``: ``features[0:15]`` freezes features[0] … features[14]."""

    block: str
    start: int
    stop: int

    def __str__(self) -> str:
        return f"{self.block}[{self.start}:{self.stop}]"


def parse_freeze_spec(text: str, arch: str) -> FreezeSpec:
    """Parse and bound-check ``block[start:stop]`` for ``arch``; raises ValueError with the allowed forms."""
    m = _FREEZE_RE.match(text.strip())
    lengths = LAYOUT[arch]
    allowed = ", ".join(f"{b}[start:stop] with 0 <= start < stop <= {n}" for b, n in lengths.items())
    if not m:
        raise ValueError(f"bad freeze spec '{text}' (allowed: {allowed})")
    block, start, stop = m.group(1), m.group(2), m.group(3)
    n = lengths[block]
    start_i = int(start) if start else 0
    stop_i = int(stop) if stop else n
    if not 0 <= start_i < stop_i <= n:
        raise ValueError(f"bad freeze spec '{text}': {block} has {n} modules (allowed: {allowed})")
    if block == "classifier" and stop_i == n:
        raise ValueError(f"bad freeze spec '{text}': {block}[{n - 1}] is the new output layer, "
                         f"which always trains (freeze at most {block}[0:{n - 1}])")
    return FreezeSpec(block, start_i, stop_i)


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
