"""The presets a study names: augmentation (digits, natural) and ImageNet's input statistics.

Pure data (no torch), so that validating a study or writing its report does not import torch;
data.py applies them.
"""
from __future__ import annotations

from dataclasses import dataclass

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Augment:
    """Random affine transformations of each training image, drawn anew every epoch."""

    degrees: float = 10.0        # rotation, ±
    translate: float = 0.1       # shift, ± this fraction of the image side
    scale: tuple[float, float] = (0.9, 1.1)
    hflip: bool = False          # mirroring changes a digit's meaning, so only for natural images

    def describe(self) -> str:
        parts = [f"rotation ±{self.degrees:g}°", f"shift ±{self.translate * 100:g} %",
                 f"scale {self.scale[0]:g}–{self.scale[1]:g}"]
        if self.hflip:
            parts.append("horizontal flip")
        return ", ".join(parts)


AUGMENT_PRESETS = {"digits": Augment(), "natural": Augment(hflip=True)}
