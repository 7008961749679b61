"""A configuration in words: which model it trains and how, and how it differs from the
configuration it builds on. Every number in these sentences points into results.json."""
from __future__ import annotations

from typing import Any

from .. import analysis
from ..data.presets import AUGMENT_PRESETS
from ..registry.models import get_model
from ..study.settings import SETTING_WORDS
from ..study.words import PHRASES, POLICY_WORDS, recipe_words, setting_words


def seeds_text(seeds: list[int]) -> str:
    if len(seeds) == 1:
        return f"seed {seeds[0]}"
    return f"{len(seeds)} seeds ({seeds[0]}–{seeds[-1]})"


def with_params(r: dict, g: dict, sentence: list, joint: str) -> list:
    """The sentence, ending with how many of the model's parameters train (when a run is done)."""
    ri = g["runs"][0] if g["runs"] else None
    if ri is None or r["runs"][ri].get("trainable_params") is None:
        return sentence + ["."]
    return sentence + [joint, analysis.num(r, f"/runs/{ri}/trainable_params", "count"), " of ",
                       analysis.num(r, f"/runs/{ri}/total_params", "count"), " parameters train."]


def _origin(st: dict, pretraining: dict, where: str) -> str:
    if not st["pretrained"]:
        return "from random initialisation"
    if pretraining["kind"] in ("torchvision", "timm"):
        b = next((b for b in pretraining["backbones"] if b["arch"] == st["model"]), None)
        return f"pretrained ({pretraining['kind']}'s {b['weights'] if b else ''} weights)"
    return f"pretrained by this study on {pretraining.get('source_task')} (see {where})"


def model_words(st: dict, pretraining: dict, where: str, batchnorm: bool) -> str:
    """"VGG16 in torchvision's layout with every channel width divided by 8, pretrained ..."."""
    noun = get_model(st["model"]).noun(st["width_divisor"])
    noun = noun[0].upper() + noun[1:]
    if st.get("vgg_pool"):
        noun += (f", its features averaged to {st['vgg_pool']}×{st['vgg_pool']} before the classifier "
                 "(torchvision's: 7×7)")
    frozen = (", ".join(st["freeze"]) if st["freeze"] else "nothing") + " frozen"
    frozen += " (their BatchNorm statistics stay frozen too)" if st["freeze"] and batchnorm else ""
    if not st["pretrained"]:
        images = "normalised" if st["normalise"] != "none" else "raw"
        return f"{noun}, from random initialisation, trained on the {images} training images" + (
            f"; {frozen}" if st["freeze"] else "")
    return f"{noun}, {_origin(st, pretraining, where)}, with a new output layer for the target classes; {frozen}"


def _change(key: str, value: Any, augment_preset: str, st: dict) -> str:
    if key == "augment" and value in POLICY_WORDS:
        return f"{POLICY_WORDS[value]} on every training image, drawn anew each epoch"
    if key == "augment":
        return (f"random transformations of every training image ({AUGMENT_PRESETS[augment_preset].describe()}), "
                "drawn anew each epoch") if value else "no random transformations"
    if key == "normalise":
        return {"train": "per-channel normalisation with the mean and standard deviation of the training split",
                "backbone": "the backbone's input normalisation", "none": "no input normalisation"}[value]
    if key == "dropout":
        return f"dropout with p = {value:g} before the output layer"
    if key == "freeze":
        return f"{', '.join(value) if value else 'nothing'} frozen"
    if key == "pretrained":
        return "pretrained weights" if value else "random initialisation instead of pretrained weights"
    if key == "momentum":
        return f"SGD momentum {value:g}"
    if key == "epochs":
        return f"{value} epochs"
    if key in PHRASES:
        return setting_words(key, value, st)
    return f"{SETTING_WORDS.get(key, key)} {value:g}" if isinstance(value, float) else \
        f"{SETTING_WORDS.get(key, key)} {value}"


def describe(r: dict, g: dict, base_variant: str | None, augment_preset: str, where: str) -> list:
    """The sentence under a configuration's heading: the model, or what differs from ``base_variant``
    (the variant it extends)."""
    batchnorm = any((r["runs"][i].get("frozen_batchnorms") or 0) > 0 for i in g["runs"])
    if base_variant is None:
        return with_params(r, g, [model_words(g["settings"], r["study"]["pretraining"], where, batchnorm)], "; ")
    base = next((h for h in r["groups"] if h["variant"] == base_variant and h["lr"] == g["lr"]), None)
    words = [_change(k, v, augment_preset, g["settings"] or {}) for k, v in g["changes"].items()]
    where_base = "§" + base["section"] if base else base_variant
    lead = f"The same as {where_base} ({base_variant})" + (", with " + "; ".join(words) if words else "")
    return with_params(r, g, [lead], ": ")


def varies(st: dict, pretraining: dict) -> str:
    """What differs from one seed of a configuration to the next (what its error bars capture), and
    what is the same for every seed."""
    own_backbones = pretraining["kind"] == "own" and pretraining.get("per_model", 1) > 1
    vary = [f"the backbone (one of {pretraining['per_model']})"] if st["pretrained"] and own_backbones else []
    vary += ["the new head's initialisation" if st["pretrained"] else "the initialisation",
             "the order of the training images"]
    vary += ["the random transformations"] if st["augment"] or st.get("random_erasing") else []
    vary += ["the images mixed"] if st.get("mixup") or st.get("cutmix") else []
    vary += ["the blocks dropped (stochastic depth)"] if st.get("drop_path") else []
    vary += ["dropout"] if st["dropout"] or get_model(st["model"]).own_dropout else []
    fixed = ["the split"] + (["the backbone"] if st["pretrained"] and not own_backbones else [])
    return (f"Seeds vary {', '.join(vary[:-1])} and {vary[-1]}; {' and '.join(fixed)} "
            f"{'are' if len(fixed) > 1 else 'is'} the same for every seed.")


def detail(g: dict, seeds: list[int], pretraining: dict | None = None) -> str:
    """A figure's settings line; with ``pretraining`` and several seeds, what its seeds vary."""
    st = g["settings"]
    nesterov = ", Nesterov" if st.get("nesterov") else ""
    opt = f"SGD (momentum {st['momentum']:g}{nesterov})" if st["optimizer"] == "sgd" else \
        {"adam": "Adam", "adamw": "AdamW"}.get(st["optimizer"], st["optimizer"])
    recipe = [w for w in recipe_words(st) if w not in ("SGD", "Adam", "AdamW", "Nesterov momentum")]
    line = " · ".join([f"Learning rate {g['lr']:g}", f"batch size {st['batch_size']}", opt, f"{st['epochs']} epochs",
                       *recipe, seeds_text(seeds)]) + "."
    return line + (" " + varies(st, pretraining) if pretraining is not None and len(seeds) > 1 else "")
