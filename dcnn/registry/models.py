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

# torchvision's configuration "D" (VGG16): conv output widths, "M" = 2x2 max-pool.
VGG16_CFG: tuple[int | str, ...] = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M",
                                    512, 512, 512, "M", 512, 512, 512, "M")


@dataclass(frozen=True)
class ModelSpec:
    """Everything dcnn asks of a model."""

    name: str
    build: Callable[..., Any]                 # (num_classes, *, width_divisor, dropout) → nn.Module
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


def get_model(name: str) -> ModelSpec:
    """The registered model, or a torchvision classification model through the adapter; an unknown
    name is a ValueError listing the allowed ones with the closest match."""
    if name in MODELS:
        return MODELS[name]
    if name in torchvision_models():
        return torchvision_spec(name)
    close = difflib.get_close_matches(name, list_models(), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise ValueError(f"unknown model '{name}' (allowed: {', '.join(MODELS)} or a torchvision classification "
                     f"model such as resnet18, mobilenet_v3_small, efficientnet_b0){hint}")


# ---- torchvision: every classification model through one adapter -----------------------------------

def _torchvision_build(name: str, num_classes: int, **_: Any):
    import torchvision

    return torchvision.models.get_model(name, weights=None, num_classes=num_classes)


@functools.lru_cache(maxsize=None)
def torchvision_spec(name: str) -> ModelSpec:
    return ModelSpec(name, functools.partial(_torchvision_build, name), noun=lambda w: f"torchvision's {name}",
                     label=lambda w: name, own=False)


# ---- dcnn's own models ------------------------------------------------------------------------------

def _vgg_init(module) -> None:
    # torchvision's VGG initialisation; PyTorch's default init leaves the narrow VGG stuck at chance.
    from torch import nn

    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.zeros_(m.bias)


def _scratch_cnn(num_classes: int, *, dropout: float = 0.0, **_: Any):
    """The small CNN trained from random initialisation (three conv blocks, two linear layers)."""
    from torch import nn

    class ScratchCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
                nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
                nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            )
            # A fixed 4x4 map makes the classifier independent of the input size (32 or 224).
            self.avgpool = nn.AdaptiveAvgPool2d((4, 4))
            self.classifier = nn.Sequential(
                nn.Flatten(), nn.Linear(64 * 4 * 4, 128), nn.ReLU(inplace=True),
                nn.Dropout(dropout) if dropout > 0 else nn.Identity(),  # keeps the layout fixed
                nn.Linear(128, num_classes),
            )

        def forward(self, x):
            return self.classifier(self.avgpool(self.features(x)))

    return ScratchCNN()


register_model(ModelSpec(
    "scratch_cnn", _scratch_cnn, noun=lambda w: "the small CNN (three conv blocks and two linear layers)",
    label=lambda w: "the scratch CNN", layout={"features": 9, "avgpool": None, "classifier": 5},
    head="classifier.4", step_cost=lambda batch_size: 0.25, takes_dropout=True, vgg_init=True,
    weights_rule=lambda profile: "scratch_cnn has no torchvision weights (allowed: false, or a pretrain block in "
                                 "the profile to pretrain it on a source task)"))


def _vgg16(num_classes: int, *, width_divisor: int = 1, **_: Any):
    """torchvision's VGG16 with every channel width divided by ``width_divisor`` (1 = the real model)."""
    import torch
    from torch import nn
    from torchvision.models.vgg import VGG, make_layers

    cfg = [c if c == "M" else c // width_divisor for c in VGG16_CFG]
    last, hidden = 512 // width_divisor, 4096 // width_divisor
    # Built on the meta device (torchvision's constructor would allocate and initialise its own
    # 120M-parameter classifier first), then materialised once and initialised as torchvision does.
    with torch.device("meta"):
        model = VGG(make_layers(cfg, batch_norm=False), num_classes=num_classes, init_weights=False)
        model.classifier = nn.Sequential(
            nn.Linear(last * 7 * 7, hidden), nn.ReLU(True), nn.Dropout(0.5),
            nn.Linear(hidden, hidden), nn.ReLU(True), nn.Dropout(0.5),
            nn.Linear(hidden, num_classes),
        )
    if torch.empty(0).device.type != "meta":  # unless the caller only wants shapes
        model.to_empty(device=torch.empty(0).device)
        _vgg_init(model)
    return model


def vgg16_first_convs(k: int) -> Optional[str]:
    """VGG16 with its first k conv layers (and their ReLUs) frozen, for a freeze-depth sweep."""
    n_convs = sum(1 for c in VGG16_CFG if c != "M")
    if not 0 <= k <= n_convs:
        raise ValueError(f"frozen_conv_layers must be 0..{n_convs}, got {k}")
    index, seen = 0, 0
    for c in VGG16_CFG:
        if seen == k:
            break
        index += 1 if c == "M" else 2    # a pool, or a conv and its ReLU
        seen += c != "M"
    return f"features[0:{index}]" if k else None


def _vgg16_weights_rule(profile: Any) -> Optional[str]:
    if profile.vgg_width_divisor != 1:
        return "torchvision's VGG16 weights need vgg_width_divisor: 1 (or a pretrain block in the profile)"
    return None


register_model(ModelSpec(
    "vgg16", _vgg16, label=lambda w: "VGG16" + (f"/{w}" if w > 1 else ""),
    noun=lambda w: "VGG16 in torchvision's layout" + (f" with every channel width divided by {w}" if w > 1 else ""),
    layout={"features": 31, "avgpool": None, "classifier": 7}, head="classifier.6",
    step_cost=lambda batch_size: 1.0 + 0.02 * batch_size, takes_width=True, vgg_init=True, own_dropout=True,
    weights_rule=_vgg16_weights_rule, first_convs=vgg16_first_convs))


def _mlp(num_classes: int, *, dropout: float = 0.0, **_: Any):
    """A multilayer perceptron baseline: the image average-pooled to 8x8, two hidden layers."""
    from torch import nn

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.avgpool = nn.AdaptiveAvgPool2d((8, 8))     # any input size (32 or 224) → 3x8x8 values
            self.features = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 256), nn.ReLU(inplace=True),
                                          nn.Linear(256, 128), nn.ReLU(inplace=True))
            self.classifier = nn.Sequential(nn.Dropout(dropout) if dropout > 0 else nn.Identity(),
                                            nn.Linear(128, num_classes))

        def forward(self, x):
            return self.classifier(self.features(self.avgpool(x)))

    return MLP()


register_model(ModelSpec(
    "mlp", _mlp, noun=lambda w: "a multilayer perceptron (the image pooled to 8×8, hidden layers of 256 and 128)",
    label=lambda w: "the MLP", layout={"avgpool": None, "features": 5, "classifier": 2}, head="classifier.1",
    step_cost=lambda batch_size: 0.1, takes_dropout=True,
    weights_rule=lambda profile: "mlp has no torchvision weights (allowed: false, or a pretrain block in the profile "
                                 "to pretrain it on a source task)"))
