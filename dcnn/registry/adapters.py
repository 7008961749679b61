"""Models beyond dcnn's own and torchvision's, each family reached through one adapter:

    timm/<name>               any timm model (the optional extra dcnn[timm]); ``pretrained`` reads a local
                              weights file (weights.py), never the network
    package.module:Class      the user's own nn.Module, built as Class(num_classes=C, **model_args) and
                              imported from the study file's folder or the Python path; its source
                              file is part of its runs' cache key

Both are ModelSpecs like any other: freezing, discriminative rates, gradual unfreezing and parameter
counts address their module paths (read from the model built on the meta device).
"""
from __future__ import annotations

import functools
import hashlib
import importlib
import inspect
import sys
from pathlib import Path
from typing import Any, Optional

from ..errors import ModelError
from .models import ModelFamily, ModelSpec, register_family
from .weights import TIMM


# ---- timm ---------------------------------------------------------------------------------------------

def require_timm() -> Any:
    try:
        import timm
    except ImportError:
        raise ModelError("model timm/...: needs timm, an optional extra: pip install 'dcnn[timm]'") from None
    return timm


def _timm_build(arch: str, num_classes: int, *, drop_path: Optional[float] = None, **_: Any):
    timm = require_timm()
    extra = {"drop_path_rate": drop_path} if drop_path is not None else {}
    return timm.create_model(arch, pretrained=False, num_classes=num_classes, **extra)


@functools.lru_cache(maxsize=None)
def _timm_takes_drop_path(arch: str) -> bool:
    import torch

    try:
        with torch.device("meta"):
            _timm_build(arch, 2, drop_path=0.1)
    except TypeError:
        return False
    return True


@functools.lru_cache(maxsize=None)
def timm_spec(name: str, root: Optional[str] = None) -> ModelSpec:
    arch = name.split("/", 1)[1]
    timm = require_timm()
    if not timm.is_model(arch):
        import difflib

        close = difflib.get_close_matches(arch, timm.list_models(), n=1)
        hint = f"; did you mean 'timm/{close[0]}'?" if close else ""
        raise ModelError(f"unknown timm model '{arch}' (allowed: a name of timm.list_models()){hint}")
    return ModelSpec(name, functools.partial(_timm_build, arch), noun=lambda w: f"timm's {arch}",
                     label=lambda w: f"timm/{arch}", own=False, weights=TIMM, kind="timm",
                     drop_path_arg="drop_path_rate" if _timm_takes_drop_path(arch) else None)


register_family(ModelFamily("timm", lambda name: name.startswith("timm/"), timm_spec))


# ---- the user's own nn.Module --------------------------------------------------------------------------

def import_class(name: str, root: Optional[str]) -> Any:
    """``package.module:Class``, imported from ``root`` (the study file's folder) or the Python path."""
    module_name, _, cls_name = name.partition(":")
    if root is not None and root not in sys.path:
        sys.path.insert(0, root)
    _forget_if_elsewhere(module_name, root)
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001  (an ImportError, or the module's own error at import)
        where = f" (looked in {root} and the Python path)" if root else ""
        raise ModelError(f"model '{name}': cannot import {module_name}{where}: {type(exc).__name__}: {exc}") from None
    cls = getattr(module, cls_name, None)
    if cls is None or not callable(cls):
        found = sorted(n for n, v in vars(module).items() if inspect.isclass(v) and not n.startswith("_"))
        raise ModelError(f"model '{name}': {module_name} has no class {cls_name} (it has: {', '.join(found) or 'none'})")
    return cls


def _forget_if_elsewhere(module_name: str, root: Optional[str]) -> None:
    """A module of that name imported before from another folder than ``root`` (another study's, in a
    long-lived process) is forgotten, so that this study's own is imported."""
    loaded = sys.modules.get(module_name)
    local = root is not None and (Path(root) / (module_name.replace(".", "/") + ".py")).exists()
    if loaded is not None and local and not str(getattr(loaded, "__file__", "")).startswith(str(Path(root)) + "/"):
        top = module_name.split(".")[0]
        for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
            del sys.modules[name]


def source_hash(cls: Any) -> str:
    """The SHA-256 of the file that defines ``cls``: editing it retrains its runs, and only theirs."""
    try:
        path = Path(inspect.getsourcefile(cls) or "")
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except (OSError, TypeError):
        return "unknown"


def _user_build(name: str, root: Optional[str], num_classes: int, *, width_divisor: int = 1, dropout: float = 0.0,
                drop_path: Optional[float] = None, **model_args):
    from torch import nn

    cls = import_class(name, root)
    try:
        model = cls(num_classes=num_classes, **model_args)
    except TypeError as exc:
        raise ModelError(f"model '{name}': {cls.__name__}(num_classes={num_classes}, **model_args) failed: {exc}") from None
    if not isinstance(model, nn.Module):
        raise ModelError(f"model '{name}': {cls.__name__}(...) made a {type(model).__name__}, not a torch nn.Module")
    return model


@functools.lru_cache(maxsize=None)
def user_spec(name: str, root: Optional[str] = None) -> ModelSpec:
    if name.count(":") != 1 or not all(name.partition(":")[::2]):
        raise ModelError(f"model '{name}': write your own model as \"package.module:Class\"")
    cls = import_class(name, root)
    return ModelSpec(name, functools.partial(_user_build, name, root), noun=lambda w: f"{cls.__name__} ({name})",
                     label=lambda w: cls.__name__, own=False, kind="user", source=source_hash(cls))


register_family(ModelFamily("user", lambda name: ":" in name, user_spec))
