"""Building a run's model: the scratch CNN, VGG16 at any width, or any torchvision classification
model by name; its new output layer, its freezing, and torchvision's pretrained weights.

Layouts and freeze-spec syntax live in layout.py (no torch). torchvision is imported where a
torchvision model is built: importing it costs ~1.4 s, which the report and the cache checks do not
need to pay.
"""
from __future__ import annotations

import difflib
import functools
from pathlib import Path
from typing import Optional

import torch
from torch import nn

from .layout import HEAD, OWN_MODELS, VGG16_CFG, FreezeSpec, ModelError, parse_freeze_spec, parse_path

class ScratchCNN(nn.Module):
    """The small CNN trained from random initialisation (three conv blocks, two linear layers)."""

    def __init__(self, num_classes: int, dropout: float = 0.0):
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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.avgpool(self.features(x)))


def _vgg_init(module: nn.Module) -> None:
    # torchvision's VGG initialisation; PyTorch's default init leaves the narrow VGG stuck at chance.
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.zeros_(m.bias)


def vgg16(num_classes: int, width_divisor: int = 1) -> nn.Module:
    """torchvision's VGG16 with every channel width divided by ``width_divisor`` (1 = the real model)."""
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


@functools.lru_cache(maxsize=None)
def torchvision_models() -> tuple[str, ...]:
    """The names of torchvision's classification models (resnet18, mobilenet_v3_small, ...)."""
    import torchvision

    return tuple(torchvision.models.list_models(module=torchvision.models))


def check_model_name(name: str) -> None:
    """ValueError with the allowed names and a close match, unless ``name`` is a model dcnn can build."""
    if name in OWN_MODELS or name in torchvision_models():
        return
    close = difflib.get_close_matches(name, list(OWN_MODELS) + list(torchvision_models()), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise ValueError(f"unknown model '{name}' (allowed: {', '.join(OWN_MODELS)} or a torchvision classification "
                     f"model such as resnet18, mobilenet_v3_small, efficientnet_b0){hint}")


def _torchvision_model(arch: str, num_classes: int) -> nn.Module:
    import torchvision

    return torchvision.models.get_model(arch, weights=None, num_classes=num_classes)


def build_model(arch: str, num_classes: int, *, width_divisor: int = 1, dropout: float = 0.0) -> nn.Module:
    if arch == "scratch_cnn":
        return ScratchCNN(num_classes, dropout)
    if arch == "vgg16":
        return vgg16(num_classes, width_divisor)
    check_model_name(arch)
    return _torchvision_model(arch, num_classes)


def head_path(model: nn.Module, arch: str) -> str:
    """The path of the model's output layer: the last Linear (or 1x1 Conv2d, as in SqueezeNet) that
    produces the class scores."""
    if arch in HEAD:
        return HEAD[arch]
    last = None
    for name, m in model.named_modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)) and name:
            last = name
    if last is None:
        raise ModelError(f"{arch}: no output layer found (a Linear or Conv2d producing the class scores)")
    return last


def replace_head(model: nn.Module, num_classes: int, arch: str = "vgg16") -> None:
    """A new output layer sized to the target task; it always trains. VGG16 and the scratch CNN
    initialise it as torchvision's VGG does, any other model with PyTorch's default."""
    path = head_path(model, arch)
    parent_path, _, name = path.rpartition(".")
    parent = model.get_submodule(parent_path) if parent_path else model
    old = parent.get_submodule(name)
    if isinstance(old, nn.Conv2d):
        head: nn.Module = nn.Conv2d(old.in_channels, num_classes, old.kernel_size, old.stride, old.padding)
    else:
        head = nn.Linear(old.in_features, num_classes)
    if arch in OWN_MODELS:
        _vgg_init(head)
    setattr(parent, name, head.to(old.weight.device))


def check_freeze_spec(text: str, arch: str) -> FreezeSpec:
    """Parse and check a freeze spec against the model's own modules (built on the meta device, no
    weights); raises ValueError naming the model's top-level children when the path is unknown."""
    if arch in OWN_MODELS:
        return parse_freeze_spec(text, arch)
    spec = parse_path(text)
    with torch.device("meta"):
        model = build_model(arch, 1000)
    try:
        module = model.get_submodule(spec.path)
    except AttributeError:
        children = ", ".join(name for name, _ in model.named_children())
        raise ValueError(f"bad freeze spec '{text}': {arch} has no module '{spec.path}' "
                         f"(its top-level modules: {children})") from None
    if spec.sliced:
        n = len(list(module.children()))
        stop = n if spec.stop == -1 else spec.stop
        if not isinstance(module, (nn.Sequential, nn.ModuleList)) or not 0 <= spec.start < stop <= n:
            raise ValueError(f"bad freeze spec '{text}': {spec.path} is {type(module).__name__} with {n} children "
                             f"(allowed: a slice [start:stop] of a Sequential, 0 <= start < stop <= {n})")
        spec = FreezeSpec(spec.path, spec.start, stop)
    head = head_path(model, arch)
    if spec.covers(head):
        raise ValueError(f"bad freeze spec '{text}': it covers {head}, the new output layer, which always trains")
    return spec


def _frozen_modules(model: nn.Module, specs: tuple[FreezeSpec, ...]) -> list[nn.Module]:
    out: list[nn.Module] = []
    for spec in specs:
        module = model.get_submodule(spec.path)
        out += list(module)[spec.start:spec.stop] if spec.sliced else [module]
    return out


def freeze(model: nn.Module, specs: tuple[FreezeSpec, ...]) -> None:
    """Freeze the parameters of every module named by ``specs``; everything else trains."""
    for p in model.parameters():
        p.requires_grad_(True)
    for module in _frozen_modules(model, specs):
        for p in module.parameters():
            p.requires_grad_(False)


def frozen_batchnorms(model: nn.Module, specs: tuple[FreezeSpec, ...]) -> list[nn.Module]:
    """The BatchNorm layers inside frozen modules: their running statistics stay frozen too."""
    return [m for top in _frozen_modules(model, specs) for m in top.modules()
            if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def keep_frozen(batchnorms: list[nn.Module]) -> None:
    """After ``model.train()``: frozen BatchNorm layers keep using (and not updating) their statistics."""
    for m in batchnorms:
        m.eval()


def param_counts(model: nn.Module) -> tuple[int, int]:
    """(trainable, total) parameters."""
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, total


# ---- torchvision's pretrained weights ------------------------------------------------------------

def torchvision_weights(arch: str, name: Optional[str] = None):
    """The torchvision weights enum member: ``name`` (IMAGENET1K_V1, ...) or the model's DEFAULT."""
    import torchvision

    enum = torchvision.models.get_model_weights(arch)
    try:
        return enum[name or "DEFAULT"]
    except KeyError:
        raise ModelError(f"{arch} has no weights '{name}' (allowed: {', '.join(w.name for w in enum)})") from None


def weights_path(arch: str, name: Optional[str] = None) -> Path:
    """Where torchvision looks for the weights file before trying to download it."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(torchvision_weights(arch, name).url).name


def load_weights(arch: str, name: Optional[str] = None) -> dict[str, torch.Tensor]:
    """The pretrained state dict through torchvision; offline without the file: one line saying
    which file to put where."""
    weights = torchvision_weights(arch, name)
    try:
        return weights.get_state_dict(progress=False, check_hash=True, weights_only=True)
    except (OSError, RuntimeError) as exc:  # URLError is an OSError; a bad hash is a RuntimeError
        path = weights_path(arch, name)
        raise ModelError(
            f"{arch} pretrained weights unavailable ({type(exc).__name__}): put {path.name} "
            f"(from {weights.url}) at {path}, or set TORCH_HOME to a folder holding hub/checkpoints/{path.name}"
        ) from None
