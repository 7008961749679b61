"""Pretrained weights a model's library ships: torchvision's (by their enum name, downloaded into the
torch hub cache when there is a network) and timm's (a local file only: dcnn never downloads them).
Each is a ``LibraryWeights`` a model's registered entry carries. Importing this module loads no torch.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from ..errors import ModelError as WeightsError   # (pretrained weights that cannot be had: which file to put where)


@dataclass(frozen=True)
class LibraryWeights:
    kind: str                                                  # torchvision | timm: the backbone's source
    resolve: Callable[[str, Optional[str]], tuple[str, Path]]  # (model, the profile's weights) → (their name, their file)
    load: Callable[[str, str], dict]                           # (model, name) → the state dict, or WeightsError


def hub_dir() -> Path:
    import torch

    return Path(torch.hub.get_dir())


# ---- torchvision ---------------------------------------------------------------------------------

def torchvision_enum(arch: str, name: Optional[str] = None) -> Any:
    """The torchvision weights enum member: ``name`` (IMAGENET1K_V1, ...) or the model's DEFAULT."""
    import torchvision

    enum = torchvision.models.get_model_weights(arch)
    try:
        return enum[name or "DEFAULT"]
    except KeyError:
        raise WeightsError(f"{arch} has no weights '{name}' (allowed: {', '.join(w.name for w in enum)})") from None


def _torchvision_resolve(arch: str, name: Optional[str]) -> tuple[str, Path]:
    w = torchvision_enum(arch, name)
    return w.name, hub_dir() / "checkpoints" / Path(w.url).name


def _torchvision_load(arch: str, name: str) -> dict:
    weights = torchvision_enum(arch, name)
    try:
        return weights.get_state_dict(progress=False, check_hash=True, weights_only=True)
    except (OSError, RuntimeError) as exc:  # URLError is an OSError; a bad hash is a RuntimeError
        path = _torchvision_resolve(arch, name)[1]
        raise WeightsError(
            f"{arch} pretrained weights unavailable ({type(exc).__name__}): put {path.name} "
            f"(from {weights.url}) at {path}, or set TORCH_HOME to a folder holding hub/checkpoints/{path.name}"
        ) from None


TORCHVISION = LibraryWeights("torchvision", _torchvision_resolve, _torchvision_load)


# ---- timm: a local file, never the network ------------------------------------------------------------

def _timm_resolve(model: str, name: Optional[str]) -> tuple[str, Path]:
    """timm/<arch>'s weights file: <torch hub>/checkpoints/timm/<arch>.safetensors (or .pth beside it)."""
    arch = model.split("/", 1)[-1]
    folder = hub_dir() / "checkpoints" / "timm"
    for suffix in (".safetensors", ".pth", ".bin"):
        if (folder / f"{arch}{suffix}").exists():
            return name or "local", folder / f"{arch}{suffix}"
    return name or "local", folder / f"{arch}.safetensors"


def _timm_load(model: str, name: str) -> dict:
    import timm

    arch = model.split("/", 1)[-1]
    path = _timm_resolve(model, name)[1]
    if not path.exists():
        raise WeightsError(f"timm/{arch} pretrained weights: no file {path} (dcnn never downloads timm's weights; "
                           f"put the model's weights there as .safetensors or .pth, or set TORCH_HOME)")
    model = timm.create_model(arch, pretrained=True, pretrained_cfg_overlay={"file": str(path)})
    return {k: v.detach() for k, v in model.state_dict().items()}


TIMM = LibraryWeights("timm", _timm_resolve, _timm_load)
