"""The models a study may name, each one registered ``ModelSpec``: how to build it, where its output
layer is, the module layout its freeze specs address, what it is called, what one training step
costs and the rules it brings — in the manner of timm's ``register_model`` and torchvision's
``get_model`` / ``list_models``.

dcnn's own models (``scratch_cnn``, ``vgg16`` at any width, ``mlp``) are registered below; every
torchvision classification model is reached through one adapter (``torchvision_spec``). Importing
this module loads no torch: builders import it when they build.

    >>> get_model("vgg16").label(8)
    'VGG16/8'
"""
from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass
from typing import Any, Callable, Optional

from ..errors import ModelError
from . import architectures
from .weights import TORCHVISION, LibraryWeights

__all__ = ["MODELS", "ModelError", "ModelSpec", "get_model", "register_model", "register_family"]


@dataclass(frozen=True)
class ModelSpec:
    """Everything dcnn asks of a model."""

    name: str
    build: Callable[..., Any]                 # (num_classes, *, width_divisor, dropout, drop_path, **model_args) → nn.Module
    noun: Callable[[int], str]                # width_divisor → how the report names it
    label: Callable[[int], str]               # width_divisor → how progress lines name it ("VGG16/8")
    layout: Optional[dict[str, Optional[int]]] = None   # top-level children (length of each sequential one);
    head: Optional[str] = None                # None: read both from a model built on the meta device
    step_cost: Callable[[int], float] = lambda batch_size: 1.0   # one optimizer step, relative
    takes_dropout: bool = False               # a dropout setting applies to it
    own_dropout: bool = False                 # it has dropout layers of its own (drawn anew each seed)
    takes_width: bool = False                 # the profile's width divisor applies to it
    vgg_init: bool = False                    # its new head is initialised as torchvision's VGG does
    weights_rule: Callable[[Any], Optional[str]] = lambda profile: None   # why torchvision's weights cannot serve
    first_convs: Optional[Callable[[int], Optional[str]]] = None         # k → the freeze spec of its first k convs
    own: bool = True                          # built by dcnn (its layout known without torch)
    weights: Optional[LibraryWeights] = None  # the pretrained weights its library ships (torchvision's, timm's)
    drop_path_arg: Optional[str] = None       # its builder's stochastic-depth argument (None: it has none)
    source: Optional[str] = None              # a user's module: the SHA-256 of its file, which its runs' keys hold
    kind: str = "dcnn"                        # dcnn | torchvision | timm | user: where it comes from
    min_image_size: Optional[int] = None      # the smallest images it takes (None: found on the meta device)


MODELS: dict[str, ModelSpec] = {}


def register_model(spec: ModelSpec) -> ModelSpec:
    MODELS[spec.name] = spec
    return spec


@functools.lru_cache(maxsize=None)
def torchvision_models() -> tuple[str, ...]:
    """The names of torchvision's classification models (resnet18, mobilenet_v3_small, ...)."""
    import torchvision

    return tuple(torchvision.models.list_models(module=torchvision.models))


def list_models() -> list[str]:
    return list(MODELS) + list(torchvision_models())


@dataclass(frozen=True)
class ModelFamily:
    """Models reached through one adapter, by the shape of their name (``timm/<name>``,
    ``package.module:Class``): adapters.py registers them."""

    name: str
    matches: Callable[[str], bool]
    spec: Callable[[str, Optional[str]], ModelSpec]   # (name, the folder a user's module imports from) → its entry


FAMILIES: list[ModelFamily] = []


def register_family(family: ModelFamily) -> ModelFamily:
    FAMILIES.append(family)
    return family


def get_model(name: str, root: Optional[str] = None) -> ModelSpec:
    """The registered model, a model of a family (timm's, a user's module, found from ``root`` or the
    Python path), or a torchvision classification model through the adapter; an unknown name is a
    ValueError listing the allowed ones with the closest match (a family's problem: a ModelError)."""
    if name in MODELS:
        return MODELS[name]
    for family in FAMILIES:
        if family.matches(name):
            return family.spec(name, root)
    if name in torchvision_models():
        return torchvision_spec(name)
    close = difflib.get_close_matches(name, list_models(), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise ValueError(f"unknown model '{name}' (allowed: {', '.join(MODELS)}, a torchvision classification "
                     f"model such as resnet18, timm/<name> or your own \"package.module:Class\"){hint}")


# ---- torchvision: every classification model through one adapter -----------------------------------

@functools.lru_cache(maxsize=None)
def torchvision_spec(name: str) -> ModelSpec:
    arg = "stochastic_depth_prob" if architectures.torchvision_takes(name, "stochastic_depth_prob") else None
    return ModelSpec(name, functools.partial(architectures.torchvision_model, name), noun=lambda w: f"torchvision's {name}",
                     label=lambda w: name, own=False, weights=TORCHVISION, drop_path_arg=arg, kind="torchvision")


# ---- dcnn's own models (their numerics: architectures.py) -----------------------------------------

register_model(ModelSpec(
    "scratch_cnn", architectures.scratch_cnn, noun=lambda w: "the small CNN (three conv blocks and two linear layers)",
    label=lambda w: "the scratch CNN", layout={"features": 9, "avgpool": None, "classifier": 5},
    head="classifier.4", step_cost=lambda batch_size: 0.25, takes_dropout=True, vgg_init=True, min_image_size=8,
    weights_rule=lambda profile: "scratch_cnn has no torchvision weights (allowed: false, or a pretrain block in "
                                 "the profile to pretrain it on a source task)"))


def _vgg16_weights_rule(profile: Any) -> Optional[str]:
    if profile.vgg_width_divisor != 1 or profile.vgg_pool != 7:
        return "torchvision's VGG16 weights need vgg_width_divisor: 1 and vgg_pool: 7 (or a pretrain block in the profile)"
    return None


register_model(ModelSpec(
    "vgg16", architectures.vgg16, label=lambda w: "VGG16" + (f"/{w}" if w > 1 else ""),
    noun=lambda w: "VGG16 in torchvision's layout" + (f" with every channel width divided by {w}" if w > 1 else ""),
    layout={"features": 31, "avgpool": None, "classifier": 7}, head="classifier.6",
    step_cost=lambda batch_size: 1.0 + 0.02 * batch_size, takes_width=True, vgg_init=True, own_dropout=True,
    weights_rule=_vgg16_weights_rule, first_convs=architectures.vgg16_first_convs, weights=TORCHVISION,
    min_image_size=32))


register_model(ModelSpec(
    "mlp", architectures.mlp, noun=lambda w: "a multilayer perceptron (the image pooled to 8×8, hidden layers of 256 and 128)",
    label=lambda w: "the MLP", layout={"avgpool": None, "features": 5, "classifier": 2}, head="classifier.1",
    step_cost=lambda batch_size: 0.1, takes_dropout=True, min_image_size=1,
    weights_rule=lambda profile: "mlp has no torchvision weights (allowed: false, or a pretrain block in the profile "
                                 "to pretrain it on a source task)"))


# ---- the images a model can take ----------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _meta_model(name: str, width_divisor: int) -> Any:
    import torch

    spec = get_model(name)
    with torch.device("meta"):
        model = spec.build(10, width_divisor=width_divisor if spec.takes_width else 1, dropout=0.0)
    return model.eval()


def takes_images(name: str, size: int, width_divisor: int = 1) -> bool:
    """True when the model computes an output for size×size images (a forward pass on the meta device:
    shapes only, no memory, no weights)."""
    import torch

    try:
        with torch.no_grad():
            _meta_model(name, width_divisor)(torch.empty(2, 3, size, size, device="meta"))
    except (RuntimeError, ValueError):
        return False
    return True


def too_small(name: str, size: int, width_divisor: int = 1) -> Optional[int]:
    """None when the model takes size×size images, else the smallest size it takes (0: none up to 4096).
    dcnn's own models say it (no torch: three max-pools need 8 pixels, VGG16's five 32); any other is
    tried on the meta device."""
    spec = get_model(name)
    if spec.min_image_size is not None:
        return spec.min_image_size if size < spec.min_image_size else None
    return None if takes_images(name, size, width_divisor) else (smallest_images(name, width_divisor) or 0)


def smallest_images(name: str, width_divisor: int = 1, largest: int = 4096) -> Optional[int]:
    """The smallest image size the model takes (VGG16's five 2×2 max-pools: 32), None beyond ``largest``."""
    high = 1
    while not takes_images(name, high, width_divisor):
        high *= 2
        if high > largest:
            return None
    low = high // 2                      # it fails at low (or low is 0), takes high: bisect
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if takes_images(name, mid, width_divisor) else (mid, high)
    return high
