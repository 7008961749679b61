"""A run's model, made from its registered ModelSpec (registry/models.py): built, given a new output
layer, frozen as its freeze specs say (frozen BatchNorm layers keep their statistics, whatever mode
the model is put in) and unfrozen again as gradual unfreezing says.

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
from ..registry.models import ModelSpec, get_model
from ..registry.trees import head_path
from ..registry.weights import TORCHVISION
from ..study.settings import RunConfig

__all__ = ["build_for_fit", "build_model", "freeze", "freeze_specs", "frozen_modules", "head_path", "param_counts",
           "replace_head", "unfreeze"]


def build_model(name: str, num_classes: int, *, width_divisor: int = 1, dropout: float = 0.0,
                drop_path: Optional[float] = None, model_args: Optional[dict] = None,
                root: Optional[str] = None, vgg_pool: Optional[int] = None) -> nn.Module:
    spec = get_model(name, root)
    pool = {"pool": vgg_pool} if vgg_pool is not None and spec.takes_width else {}
    return spec.build(num_classes, width_divisor=width_divisor if spec.takes_width else 1,
                      dropout=dropout if spec.takes_dropout else 0.0, drop_path=drop_path, **pool, **(model_args or {}))


def _build(cfg: RunConfig, num_classes: int) -> nn.Module:
    return build_model(cfg.model, num_classes, width_divisor=cfg.width_divisor, dropout=cfg.dropout,
                       drop_path=cfg.drop_path, model_args=cfg.model_args, root=cfg.model_root, vgg_pool=cfg.vgg_pool)


def build_for_fit(cfg: RunConfig, init_state: dict | None) -> nn.Module:
    """The model at epoch 0: seeded init, optional pretrained weights, new head, freezing."""
    spec = get_model(cfg.model, cfg.model_root)
    if init_state is None:
        torch.manual_seed(cfg.seed)
        model = _build(cfg, cfg.num_classes)
    else:
        # Pretrained weights replace every initial value: build on the meta device (no init work,
        # ~2 s saved for the full VGG16) and take copies of the weights.
        with torch.device("meta"):
            head = spec.head or head_path(_build(cfg, 1000), spec)
            n_out = int(init_state[f"{head}.weight"].shape[0])
            model = _build(cfg, n_out)
        model.load_state_dict({k: v.detach().clone() for k, v in init_state.items()}, assign=True)
        torch.manual_seed(cfg.seed)
        replace_head(model, cfg.num_classes, spec)
    model.frozen_batchnorms = len(freeze(model, freeze_specs(cfg.freeze, cfg.model, cfg.model_root)))
    return model


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


def freeze_specs(texts, model: str, root: Optional[str] = None) -> tuple[FreezeSpec, ...]:
    spec = get_model(model, root)
    return tuple(check_freeze(t, spec) for t in texts)


def frozen_modules(model: nn.Module, specs: tuple[FreezeSpec, ...]) -> list[nn.Module]:
    out: list[nn.Module] = []
    for spec in specs:
        module = model.get_submodule(spec.path)
        out += list(module)[spec.start:spec.stop] if spec.sliced else [module]
    return out


def frozen_batchnorms(model: nn.Module, specs: tuple[FreezeSpec, ...]) -> list[nn.Module]:
    """The BatchNorm layers inside frozen modules."""
    return [m for top in frozen_modules(model, specs) for m in top.modules()
            if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def freeze(model: nn.Module, specs: tuple[FreezeSpec, ...]) -> list[nn.Module]:
    """Freeze the parameters of every module named by ``specs`` (everything else trains); the
    BatchNorm layers among them use and keep their running statistics before every forward pass, in
    whatever mode the model was put. Returns those BatchNorm layers."""
    for p in model.parameters():
        p.requires_grad_(True)
    for module in frozen_modules(model, specs):
        for p in module.parameters():
            p.requires_grad_(False)
    batchnorms = frozen_batchnorms(model, specs)
    model.held_batchnorms = batchnorms     # (unfreeze lets go of those it frees)
    if batchnorms:
        model.register_forward_pre_hook(lambda module, args: [m.eval() for m in model.held_batchnorms] and None)
    return batchnorms


def unfreeze(model: nn.Module, specs: tuple[FreezeSpec, ...]) -> bool:
    """Make the modules ``specs`` name trainable again, their BatchNorm layers back in the model's mode;
    True when anything was still frozen."""
    changed = False
    for module in frozen_modules(model, specs):
        for p in module.parameters():
            changed |= not p.requires_grad
            p.requires_grad_(True)
        freed = {id(m) for m in module.modules()}
        model.held_batchnorms = [m for m in getattr(model, "held_batchnorms", []) if id(m) not in freed]
    return changed


def param_counts(model: nn.Module) -> tuple[int, int]:
    """(trainable, total) parameters."""
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, total


# ---- torchvision's pretrained weights (registry/weights.py), by their enum name ----------------------

def weights_path(arch: str, name: Optional[str] = None) -> Path:
    """Where torchvision looks for ``arch``'s weights file before trying to download it."""
    return TORCHVISION.resolve(arch, name)[1]


def load_weights(arch: str, name: Optional[str] = None) -> dict[str, torch.Tensor]:
    """The pretrained state dict through torchvision; offline without the file, one line saying which
    file to put where (a ModelError)."""
    return TORCHVISION.load(arch, TORCHVISION.resolve(arch, name)[0])
