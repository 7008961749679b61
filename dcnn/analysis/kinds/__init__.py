"""Claim kinds: the registry (base.py) and one module per family of kinds, each registering its
entries when imported — every module of this package is imported here, so a new kind is one new
file (see not_worse.py)."""
import importlib
import pkgutil

from .base import CLAIM_KINDS, MARGIN_KEYS, PARAM_TYPES, ClaimKind, claim_kind, kind_of, register

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _module != "base":
        importlib.import_module(f"{__name__}.{_module}")

__all__ = ["CLAIM_KINDS", "MARGIN_KEYS", "PARAM_TYPES", "ClaimKind", "claim_kind", "kind_of", "register"]
