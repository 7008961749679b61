"""A run's model, made from its registered ModelSpec (registry/models.py): built, given a new output
layer, frozen as its freeze specs say (frozen BatchNorm layers keep their statistics, whatever mode
the model is put in), and torchvision's pretrained weights.

torchvision is imported where a torchvision model is built: importing it costs ~1.4 s, which the
report and the cache checks do not need to pay.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import torch
from torch import nn

from ..registry.architectures import vgg_init
from ..registry.freezing import FreezeSpec, check_freeze
from ..registry.models import ModelError, ModelSpec, get_model, head_path


def build_model(name: str, num_classes: int, *, width_divisor: int = 1, dropout: float = 0.0) -> nn.Module:
    spec = get_model(name)
    return spec.build(num_classes, width_divisor=width_divisor if spec.takes_width else 1,
                      dropout=dropout if spec.takes_dropout else 0.0)


def replace_head(model: nn.Module, num_classes: int, spec: ModelSpec) -> None:
    """A new output layer sized to the target task; it always trains. A model with torchvision's VGG
    initialisation (vgg16, the scratch CNN) initialises it so, any other with PyTorch's default."""
    path = head_path(model, spec)
    parent_path, _, name = path.rpartition(".")
    parent = model.get_submodule(parent_path) if parent_path else model
    old = parent.get_submodule(name)
    if isinstance(old, nn.Conv2d):
        head: nn.Module = nn.Conv2d(old.in_channels, num_classes, old.kernel_size, old.stride, old.padding)
    else:
        head = nn.Linear(old.in_features, num_classes)
    if spec.vgg_init:
        vgg_init(head)
    setattr(parent, name, head.to(old.weight.device))


def freeze_specs(texts, model: str) -> tuple[FreezeSpec, ...]:
    spec = get_model(model)
    return tuple(check_freeze(t, spec) for t in texts)


def _frozen_modules(model: nn.Module, specs: tuple[FreezeSpec, ...]) -> list[nn.Module]:
    out: list[nn.Module] = []
    for spec in specs:
        module = model.get_submodule(spec.path)
        out += list(module)[spec.start:spec.stop] if spec.sliced else [module]
    return out


def frozen_batchnorms(model: nn.Module, specs: tuple[FreezeSpec, ...]) -> list[nn.Module]:
    """The BatchNorm layers inside frozen modules."""
    return [m for top in _frozen_modules(model, specs) for m in top.modules()
            if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def freeze(model: nn.Module, specs: tuple[FreezeSpec, ...]) -> list[nn.Module]:
    """Freeze the parameters of every module named by ``specs`` (everything else trains); the
    BatchNorm layers among them use and keep their running statistics before every forward pass, in
    whatever mode the model was put. Returns those BatchNorm layers."""
    for p in model.parameters():
        p.requires_grad_(True)
    for module in _frozen_modules(model, specs):
        for p in module.parameters():
            p.requires_grad_(False)
    batchnorms = frozen_batchnorms(model, specs)
    if batchnorms:
        model.register_forward_pre_hook(lambda module, args: [m.eval() for m in batchnorms] and None)
    return batchnorms


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
