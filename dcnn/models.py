"""The two model families of the study, their freezing and the new output layer (layouts and
freeze specs: layout.py), and the ImageNet weights of the paper profile."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .layout import ARCHITECTURES, VGG16_CFG, FreezeSpec, ModelError

# torchvision is imported where a VGG16 is built: importing it costs ~1.4 s, which the report and
# the cache checks do not need to pay.

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


def build_model(arch: str, num_classes: int, *, width_divisor: int = 1, dropout: float = 0.0) -> nn.Module:
    if arch == "scratch_cnn":
        return ScratchCNN(num_classes, dropout)
    if arch == "vgg16":
        return vgg16(num_classes, width_divisor)
    raise ModelError(f"unknown architecture '{arch}' (allowed: {', '.join(ARCHITECTURES)})")


def replace_head(model: nn.Module, num_classes: int) -> None:
    """A new output layer sized to the target task, initialised as torchvision does; it always trains."""
    old = model.classifier[-1]
    head = nn.Linear(old.in_features, num_classes)
    _vgg_init(head)
    model.classifier[-1] = head.to(old.weight.device)


def freeze(model: nn.Module, specs: tuple[FreezeSpec, ...]) -> None:
    """Freeze the parameters of every module named by ``specs``; everything else trains."""
    for p in model.parameters():
        p.requires_grad_(True)
    for spec in specs:
        block = getattr(model, spec.block)
        for module in list(block)[spec.start:spec.stop]:
            for p in module.parameters():
                p.requires_grad_(False)


def param_counts(model: nn.Module) -> tuple[int, int]:
    """(trainable, total) parameters."""
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, total


# ---- ImageNet weights (the paper profile) -------------------------------------------------------

def _imagenet_weights(name: str):
    from torchvision.models import VGG16_Weights

    return VGG16_Weights[name]


def imagenet_weights_path(name: str = "IMAGENET1K_V1") -> Path:
    """Where torchvision looks for the weights file before trying to download it."""
    url = _imagenet_weights(name).url
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(url).name


def load_imagenet_vgg16(name: str = "IMAGENET1K_V1") -> dict[str, torch.Tensor]:
    """The ImageNet state dict through torchvision; offline without the file: one line saying where to put it."""
    weights = _imagenet_weights(name)
    try:
        return weights.get_state_dict(progress=False, check_hash=True, weights_only=True)
    except (OSError, RuntimeError) as exc:  # URLError is an OSError; a bad hash is a RuntimeError
        path = imagenet_weights_path(name)
        raise ModelError(
            f"VGG16 ImageNet weights unavailable ({type(exc).__name__}): put {path.name} "
            f"(from {weights.url}) at {path}, or set TORCH_HOME to a folder holding hub/checkpoints/{path.name}"
        ) from None
