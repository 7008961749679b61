"""A variant's resolved settings checked against its model and against each other, before anything
trains: the model exists (dcnn's, torchvision's, timm's or the user's own, importable), the module
paths it is asked to freeze, scale or unfreeze are its own, and the recipe's settings make sense
together. Each problem is one line naming the key (``fail`` makes it a StudyError, exit 2)."""
from __future__ import annotations

from typing import Any, Optional

from ..errors import ModelError
from ..registry.freezing import check_freeze, unfrozen_by
from ..registry.models import MODELS, ModelSpec, get_model, too_small
from ..registry.trees import module_tree
from .schema import Profile


def model_of(fail, loc: str, s: dict[str, Any], root: Optional[str]) -> ModelSpec:
    if s["model"] is None:
        raise fail(f"{loc}.model", f"missing required key (allowed: {', '.join(MODELS)}, a torchvision "
                                   "classification model, timm/<name> or \"package.module:Class\")")
    try:
        return get_model(s["model"], root)
    except (ValueError, ModelError) as exc:
        raise fail(f"{loc}.model", str(exc)) from None


def _paths(fail, loc: str, s: dict[str, Any], spec: ModelSpec) -> None:
    """freeze, lr_scale and unfreeze name modules of the model; unfreeze frees only what is frozen."""
    needs_tree = s["freeze"] or s["lr_scale"] or s["unfreeze"] or spec.kind == "user"   # (a user's: built once here)
    try:
        tree = module_tree(spec, s["model_args"]) if needs_tree else None
    except ModelError as exc:
        raise fail(f"{loc}.model", str(exc)) from None
    frozen = []
    for text in s["freeze"]:
        try:
            frozen.append(check_freeze(text, spec, tree))
        except ValueError as exc:
            raise fail(f"{loc}.freeze", str(exc)) from None
    for path in s["lr_scale"]:
        try:
            tree.check_path(path, "lr_scale")
        except ValueError as exc:
            raise fail(f"{loc}.lr_scale", str(exc).split(": ", 1)[1]) from None
    for epoch, texts in s["unfreeze"].items():
        if not 2 <= int(epoch) <= s["epochs"]:
            raise fail(f"{loc}.unfreeze", f"epoch {epoch} is outside 2..{s['epochs']} (a module trainable from "
                                          "epoch 1 on is simply not frozen)")
        for text in texts:
            try:
                unfrozen_by(text, spec, frozen, tree)
            except ValueError as exc:
                raise fail(f"{loc}.unfreeze", str(exc)) from None


def _recipe(fail, loc: str, s: dict[str, Any]) -> None:
    """The training recipe's settings against each other."""
    for mix in ("mixup", "cutmix"):
        if s[mix] and s["batch_size"] < 2:
            raise fail(f"{loc}.{mix}", f"{mix} mixes the images of a batch: it needs batch_size 2 or more (got 1)")
    if s["warmup_epochs"] >= s["epochs"]:
        raise fail(f"{loc}.warmup_epochs", f"{s['warmup_epochs']:g} warmup epochs leave none of the {s['epochs']} "
                                           f"epochs at the full rate (allowed: below {s['epochs']})")
    if (s["schedule"] == "step") != bool(s["step_epochs"]):
        raise fail(f"{loc}.step_epochs", "schedule: step needs step_epochs, and step_epochs need schedule: step")
    late = [e for e in s["step_epochs"] if not 1 <= e < s["epochs"]]
    if late:
        raise fail(f"{loc}.step_epochs", f"epoch {late[0]} is past the run's epochs (allowed: 1 to {s['epochs'] - 1}, "
                                         f"the epochs after which the rate drops)")
    if s["min_lr"] and s["schedule"] != "cosine":
        raise fail(f"{loc}.min_lr", f"min_lr is cosine's floor (got it with schedule: {s['schedule']})")
    if s["nesterov"] and (s["optimizer"] != "sgd" or not s["momentum"]):
        raise fail(f"{loc}.nesterov", "Nesterov momentum needs optimizer: sgd with momentum above 0")


def check_settings(fail, loc: str, s: dict[str, Any], profile: Profile, root: Optional[str] = None) -> None:
    """The model exists, the modules named are its own, and what it is asked fits it."""
    spec = model_of(fail, loc, s, root)
    _paths(fail, loc, s, spec)
    if s["pretrained"] and profile.backbone_source == "library":
        rule = spec.weights_rule(profile) or (None if spec.weights else f"{s['model']} has no pretrained weights of "
                                              "its library (allowed: false, or a pretrain block in the profile)")
        if rule:
            raise fail(f"{loc}.pretrained", rule)
    width = profile.vgg_width_divisor if spec.takes_width else 1
    size = s["image_size"] or profile.image_size
    least = too_small(s["model"], size, width) if spec.kind in ("dcnn", "torchvision") else None
    if least is not None:
        allowed = f"at least {least}" if least else "none up to 4096"
        where = "image_size" if s["image_size"] else "profile's image_size"
        raise fail(f"{loc}.model", f"{spec.label(width)} cannot take images of {size}×{size} pixels ({where}; "
                                   f"allowed: {allowed})")
    if s["optimizer"] != "sgd" and s["momentum"]:
        raise fail(f"{loc}.momentum", f"{s['momentum']:g} is for optimizer sgd; {s['optimizer']} keeps its own "
                                      "moment estimates (remove momentum, or use optimizer: sgd)")
    if s["dropout"] and not spec.takes_dropout:
        takers = ", ".join(n for n, m in MODELS.items() if m.takes_dropout)
        raise fail(f"{loc}.dropout", f"{s['model']} keeps its own dropout (allowed: dropout with {takers})")
    if s["drop_path"] is not None and spec.drop_path_arg is None:
        raise fail(f"{loc}.drop_path", f"{s['model']} has no stochastic depth (allowed: a model that has one: "
                                       "torchvision's efficientnet_*, convnext_*, swin_*, or a timm model with drop_path_rate)")
    if s["model_args"] and spec.kind != "user":
        raise fail(f"{loc}.model_args", "model_args are for your own model (model: \"package.module:Class\")")
    _recipe(fail, loc, s)
