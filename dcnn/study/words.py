"""A run's training recipe in words — "cosine decay after 1 warmup epoch", "label smoothing 0.1",
"mixup α = 0.2", "RandAugment", "EMA of weights, decay 0.999" — for the report, its methods paragraph
and appendix, and ``dcnn list --why``. One phrase per setting away from its neutral value, from the
settings alone (no torch)."""
from __future__ import annotations

from typing import Any, Callable

from .settings import NEUTRAL

POLICY_WORDS = {"randaugment": "RandAugment", "trivialaugment": "TrivialAugment", "autoaugment": "AutoAugment"}


def _epochs(n: float) -> str:
    return f"{n:g} warmup epoch{'s' if n != 1 else ''}"


def schedule_words(s: dict[str, Any]) -> str:
    """The learning rate over time: "cosine decay after 1 warmup epoch", "step decay ×0.1 after epochs 10, 15"."""
    kind, warm = s.get("schedule", "constant"), s.get("warmup_epochs", 0.0) or 0.0
    if kind == "cosine":
        floor = f" to {s['min_lr']:g}" if s.get("min_lr") else ""
        text = f"cosine decay{floor}"
    elif kind == "step":
        at = ", ".join(str(e) for e in s.get("step_epochs", []))
        text = f"step decay ×{s.get('step_gamma', 0.1):g} after epoch{'s' if len(s.get('step_epochs', [])) != 1 else ''} {at}"
    elif kind == "onecycle":
        text = "one-cycle schedule"
    else:
        text = "constant rate"
    return f"{text} after {_epochs(warm)}" if warm else text


def _mixing(s: dict[str, Any]) -> str:
    parts = ([f"mixup α = {s['mixup']:g}"] if s.get("mixup") else []) + \
        ([f"CutMix α = {s['cutmix']:g}"] if s.get("cutmix") else [])
    return " or ".join(parts) + (" (one of the two per batch)" if len(parts) == 2 else "")


def _unfreeze(plan: dict) -> str:
    steps = [f"{', '.join(paths)} at epoch {epoch}" for epoch, paths in sorted(plan.items(), key=lambda kv: int(kv[0]))]
    return "gradual unfreezing: " + "; ".join(steps)


# setting → its phrase, where it is away from its neutral value (several settings may share one phrase).
PHRASES: dict[str, Callable[[dict[str, Any]], str]] = {
    "optimizer": lambda s: {"adamw": "AdamW", "adam": "Adam", "sgd": "SGD"}[s["optimizer"]],
    "nesterov": lambda s: "Nesterov momentum",
    "schedule": schedule_words,
    "warmup_epochs": schedule_words,
    "lr_scale": lambda s: "discriminative rates: " + ", ".join(f"{p} at {f:g}× the rate" for p, f in s["lr_scale"].items()),
    "layer_decay": lambda s: f"layer-wise rate decay {s['layer_decay']:g} per layer from the head",
    "unfreeze": lambda s: _unfreeze(s["unfreeze"]),
    "label_smoothing": lambda s: f"label smoothing {s['label_smoothing']:g}",
    "mixup": _mixing,
    "cutmix": _mixing,
    "augment": lambda s: POLICY_WORDS.get(s["augment"], "augmentation") if s["augment"] else "no augmentation",
    "random_erasing": lambda s: f"random erasing p = {s['random_erasing']:g}",
    "clip_grad": lambda s: f"gradient clipping at norm {s['clip_grad']:g}",
    "ema": lambda s: f"EMA of weights, decay {s['ema']:g} (validation and test use the averaged weights)",
    "drop_path": lambda s: f"stochastic depth {s['drop_path']:g}" if s["drop_path"] else "no stochastic depth",
    "early_stop": lambda s: f"early stopping after {s['early_stop']} epoch{'s' if s['early_stop'] != 1 else ''} "
                            "without improvement",
    "image_size": lambda s: f"{s['image_size']}×{s['image_size']} images",
    "model_args": lambda s: "model arguments " + ", ".join(f"{k}={v}" for k, v in s["model_args"].items()),
}
# Shown only away from these (dcnn's own defaults rather than the settings' neutral values).
_SHOWN_UNLESS = {"optimizer": ("sgd",)}


def recipe_words(s: dict[str, Any]) -> list[str]:
    """The phrases of every recipe setting of ``s`` (a run's or a group's settings) away from its
    neutral value, each once, in the settings' order."""
    out: list[str] = []
    for key, phrase in PHRASES.items():
        if key not in s:
            continue
        neutral = _SHOWN_UNLESS.get(key, (NEUTRAL.get(key, ...),))
        if s[key] in neutral or (key == "augment" and s[key] is True):
            continue
        text = phrase(s)
        if text not in out:
            out.append(text)
    return out


def setting_words(key: str, value: Any, s: dict[str, Any]) -> str:
    """One setting at ``value`` in words, given the rest of its run's settings ``s`` (the phrase above, or
    "key value")."""
    if key in PHRASES and value not in (NEUTRAL.get(key, ...),):
        return PHRASES[key]({**s, key: value})
    return f"{key} {value}"
