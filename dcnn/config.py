"""study.yaml → a resolved study: every run as a frozen ``RunSpec``, every variant × learning rate
as a ``GroupSpec``. Validation of the file itself is schema.py's; here the references between its
parts are checked (extends, compare_to, claims, figures). Nothing here imports torch.
"""
from __future__ import annotations

import difflib
import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from .layout import OWN_MODELS, conv_freeze_spec, parse_freeze_spec
from .schema import INT_SETTINGS, SETTING_FIELDS, Profile, StudyError, StudyFile, Sweep, Variant, load_study_file

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # safe as a file-name component, never a path
# What a variant starts from before its own settings and those of what it extends.
BASE_SETTINGS: dict[str, Any] = {"model": None, "pretrained": False, "normalise": "none", "augment": False,
                                 "dropout": 0.0, "freeze": []}
# Accepted ranges (inclusive) of the numeric settings.
RANGES = {"dropout": (0.0, 0.99), "momentum": (0.0, 0.999), "lr": (1e-12, 100.0)}


@dataclass(frozen=True)
class RunSettings:
    """Everything from the study that determines a run's numbers (the data adds the rest)."""

    arch: str
    pretrained: bool
    width_divisor: int
    dropout: float
    freeze: tuple[str, ...]
    normalise: str          # none | train | backbone
    augment: Optional[str]  # preset name or None
    batch_size: int
    epochs: int
    optimizer: str
    momentum: float
    lr: float
    seed: int
    bf16: bool = False
    channels_last: bool = False


@dataclass(frozen=True)
class RunSpec:
    variant: str            # for sweep runs: the sweep's name, with the value unless it varies lr
    lr: float
    seed: int
    settings: RunSettings
    title: str
    section: str
    figure: Optional[str]   # the paper's figure number for single-seed figures and groups, else None
    compare_to: Optional[str] = None
    sweep: Optional[str] = None
    sweep_value: Optional[float] = None     # the value of the setting the sweep varies

    @property
    def group(self) -> str:
        """variant@lr: the runs that differ only by seed."""
        return group_name(self.variant, self.lr)

    @property
    def label(self) -> str:
        return f"{self.variant} lr={self.lr:g} seed={self.seed}"


def group_name(variant: str, lr: float) -> str:
    return f"{variant}@{lr:g}"


@dataclass(frozen=True)
class GroupSpec:
    """variant × learning rate: one section of the report, one figure (or one per seed)."""

    name: str
    variant: str
    lr: float
    title: str
    heading: Optional[str]
    section: str
    figures: tuple[str, ...]          # one label for the group, or one per seed
    seeds: tuple[int, ...]
    compare_to: Optional[str]         # a group name
    changes: tuple[tuple[str, Any], ...]  # settings that differ from what it extends
    also_compare_to: tuple[str, ...] = ()  # group names
    declared_seeds: int = 0           # the seeds the study declares (dcnn run --decide may add more)


@dataclass(frozen=True)
class Study:
    path: Path
    file: StudyFile
    profile_name: str
    runs: tuple[RunSpec, ...]
    groups: tuple[GroupSpec, ...]

    @property
    def profile(self) -> Profile:
        return self.file.profiles[self.profile_name]

    @property
    def variant_names(self) -> tuple[str, ...]:
        return tuple(self.file.variants) + tuple(self.file.sweeps)

    def group(self, name: str) -> GroupSpec:
        return next(g for g in self.groups if g.name == name)

    def select(self, patterns: list[str]) -> tuple[RunSpec, ...]:
        """Runs whose variant (or sweep) matches any name or glob; an unknown name suggests close ones."""
        if not patterns:
            return self.runs
        chosen: list[RunSpec] = []
        for pat in patterns:
            hits = [r for r in self.runs if fnmatch.fnmatchcase(r.variant, pat)
                    or (r.sweep is not None and fnmatch.fnmatchcase(r.sweep, pat))]
            if not hits:
                names = list(self.variant_names)
                close = difflib.get_close_matches(pat, names, n=3, cutoff=0.5)
                hint = f"; did you mean {', '.join(close)}?" if close else f" (variants: {', '.join(names)})"
                raise StudyError(f"{self.path}: no variant matches '{pat}'{hint}")
            chosen.extend(r for r in hits if r not in chosen)
        return tuple(chosen)


class _Resolver:
    """The steps of ``load_study``: each checks one kind of reference and fails with one line."""

    def __init__(self, path: Path, f: StudyFile, profile: str, extra_seeds: Optional[dict[str, int]] = None):
        self.where, self.f, self.extra = str(path), f, extra_seeds or {}
        if profile not in f.profiles:
            raise self.fail("profiles", f"no profile '{profile}' (allowed: {', '.join(f.profiles)})")
        self.prof: Profile = f.profiles[profile]
        self.resolved: dict[str, dict[str, Any]] = {}
        self.figures_seen: dict[str, str] = {}
        self.runs: list[RunSpec] = []
        self.groups: list[GroupSpec] = []

    def fail(self, loc: str, msg: str) -> StudyError:
        return StudyError(f"{self.where}: {loc}: {msg}")

    def check_names(self) -> None:
        for name in list(self.f.variants) + list(self.f.sweeps):
            if not NAME_RE.match(str(name)):
                raise self.fail(f"variants.{name}", "a variant name must be lowercase letters, digits, '-' or '_' "
                                                    "(at most 64, starting with a letter or digit)")
        clash = set(self.f.variants) & set(self.f.sweeps)
        if clash:
            raise self.fail(f"sweeps.{sorted(clash)[0]}", "a sweep cannot have the name of a variant")

    def check_ref(self, loc: str, name: Optional[str]) -> None:
        if name is not None and name not in self.f.variants:
            close = difflib.get_close_matches(name, list(self.f.variants), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f" (allowed: {', '.join(self.f.variants)})"
            raise self.fail(loc, f"unknown variant '{name}'{hint}")

    def settings_of(self, name: str, chain: tuple[str, ...] = ()) -> dict[str, Any]:
        """A variant's settings through its ``extends`` chain, then ``defaults``."""
        if name in self.resolved:
            return self.resolved[name]
        if name in chain:
            raise self.fail(f"variants.{name}.extends", f"circular extends: {' -> '.join(chain + (name,))}")
        v = self.f.variants[name]
        self.check_ref(f"variants.{name}.extends", v.extends)
        base = self.settings_of(v.extends, chain + (name,)) if v.extends else {
            **BASE_SETTINGS, **self.f.defaults.model_dump()}
        own = {k: getattr(v, k) for k in SETTING_FIELDS if getattr(v, k) is not None}
        self.resolved[name] = {**base, **own}
        return self.resolved[name]

    def check_model(self, loc: str, s: dict[str, Any]) -> None:
        """The model exists and its freeze specs name its own modules (a torchvision model is built on
        the meta device for that, which imports torch; dcnn's own models need no torch)."""
        if s["model"] is None:
            raise self.fail(f"{loc}.model", f"missing required key (allowed: {', '.join(OWN_MODELS)} or a "
                                            f"torchvision classification model)")
        check_freeze = parse_freeze_spec
        if s["model"] not in OWN_MODELS:
            from .models import check_freeze_spec, check_model_name

            try:
                check_model_name(s["model"])
            except ValueError as exc:
                raise self.fail(f"{loc}.model", str(exc)) from None
            check_freeze = check_freeze_spec
        for spec in s["freeze"]:
            try:
                check_freeze(spec, s["model"])
            except ValueError as exc:
                raise self.fail(f"{loc}.freeze", str(exc)) from None

    def check_pretrained(self, loc: str, s: dict[str, Any]) -> None:
        """Pretrained weights exist: this study's own pretraining, or torchvision's for the model."""
        if not s["pretrained"] or self.prof.backbone_source == "own":
            return
        if s["model"] == "scratch_cnn":
            raise self.fail(f"{loc}.pretrained", "scratch_cnn has no torchvision weights (allowed: false, or a "
                                                 "pretrain block in the profile to pretrain it on a source task)")
        if s["model"] == "vgg16" and self.prof.vgg_width_divisor != 1:
            raise self.fail(f"{loc}.pretrained", "torchvision's VGG16 weights need vgg_width_divisor: 1 (or a "
                                                 "pretrain block in the profile)")

    def check_settings(self, loc: str, s: dict[str, Any], lr: float, batch_size: int) -> None:
        self.check_model(loc, s)
        self.check_pretrained(loc, s)
        if s["dropout"] and s["model"] != "scratch_cnn":
            raise self.fail(f"{loc}.dropout", f"{s['model']} keeps its own dropout (allowed: dropout with scratch_cnn)")
        for key, value in (("dropout", s["dropout"]), ("momentum", s["momentum"]), ("lr", lr)):
            lo, hi = RANGES[key]
            if not lo <= value <= hi:
                raise self.fail(f"{loc}.{key}", f"{value} is out of range (allowed: {lo:g} to {hi:g})")
        for key, value in (("batch_size", batch_size), ("epochs", s["epochs"]), ("seeds", s["seeds"])):
            if value < 1:
                raise self.fail(f"{loc}.{key}", f"must be at least 1 (got {value})")

    def run_settings(self, loc: str, s: dict[str, Any], lr: float, seed: int, batch_size: int) -> RunSettings:
        self.check_settings(loc, s, lr, batch_size)
        prof = self.prof
        return RunSettings(
            arch=s["model"], pretrained=bool(s["pretrained"]),
            width_divisor=prof.vgg_width_divisor if s["model"] == "vgg16" else 1,
            dropout=float(s["dropout"]), freeze=tuple(s["freeze"]), normalise=s["normalise"],
            augment=prof.augment if s["augment"] else None, batch_size=batch_size, epochs=s["epochs"],
            optimizer=s["optimizer"], momentum=float(s["momentum"]), lr=float(lr), seed=seed,
            bf16=prof.bf16, channels_last=prof.channels_last)

    def figure_labels(self, loc: str, name: str, figure: Any, n_seeds: int) -> tuple[str, ...]:
        figs = figure if isinstance(figure, list) else ([figure] if figure else [])
        if len(figs) > 1 and len(figs) != n_seeds:
            raise self.fail(f"{loc}.figure", f"{len(figs)} figures need {len(figs)} seeds (got seeds: {n_seeds})")
        labels = tuple(str(x) for x in figs)
        for label in labels:
            if label in self.figures_seen:
                raise self.fail(f"{loc}.figure", f"figure {label} is already used by {self.figures_seen[label]}")
            self.figures_seen[label] = name
        return labels

    def compare_groups(self, v: Variant, lr: float) -> tuple[Optional[str], tuple[str, ...]]:
        """The group a variant's group is compared with (what it extends, or compare_to), and the others."""
        compare = v.compare_to or v.extends
        lrs_of = lambda name: [e.lr for e in self.f.variants[name].runs]  # noqa: E731
        main = group_name(compare, lr) if compare is not None and lr in lrs_of(compare) else None
        return main, tuple(group_name(o, lr) for o in v.also_compare_to if lr in lrs_of(o))

    def add_variant(self, name: str, v: Variant) -> None:
        s = self.settings_of(name)
        self.check_ref(f"variants.{name}.compare_to", v.compare_to)
        for other in v.also_compare_to:
            self.check_ref(f"variants.{name}.also_compare_to", other)
        if not v.runs:
            raise self.fail(f"variants.{name}.runs", "needs at least one {lr, section} entry")
        lrs = [e.lr for e in v.runs]
        if len(set(lrs)) != len(lrs):
            raise self.fail(f"variants.{name}.runs", "each learning rate may appear once")
        base = self.settings_of(v.extends) if v.extends else None
        changes = tuple((k, s[k]) for k in SETTING_FIELDS if base is not None and s[k] != base[k])
        for i, entry in enumerate(v.runs):
            loc = f"variants.{name}.runs[{i}]"
            figs = entry.figure if isinstance(entry.figure, list) else []
            n_seeds = entry.seeds or (len(figs) if len(figs) > 1 else s["seeds"])
            labels = self.figure_labels(loc, name, entry.figure, n_seeds)
            compare, also = self.compare_groups(v, entry.lr)
            total = self.seeds_of(group_name(name, entry.lr), n_seeds)
            self.groups.append(GroupSpec(group_name(name, entry.lr), name, entry.lr, v.title, v.heading,
                                         entry.section, labels, tuple(range(total)), compare, changes, also, n_seeds))
            for seed in range(total):
                settings = self.run_settings(f"variants.{name}", s, entry.lr, seed, s["batch_size"])
                figure = (labels[seed] if seed < len(labels) else None) if len(labels) > 1 else \
                    (labels[0] if labels else None)
                self.runs.append(RunSpec(name, entry.lr, seed, settings, v.title, entry.section, figure,
                                         v.compare_to or v.extends))

    def sweep_point(self, name: str, sw: Sweep, s: dict[str, Any], value: float) -> tuple[str, float, dict[str, Any]]:
        """(variant name, learning rate, settings) of one value of a sweep."""
        key = sw.vary
        if key in INT_SETTINGS and value != int(value):
            raise self.fail(f"sweeps.{name}.values", f"{key} takes whole numbers (got {value:g})")
        if key == "lr":
            return name, value, s
        lr = sw.lr
        if key == "frozen_conv_layers":
            try:
                spec = conv_freeze_spec(int(value))
            except ValueError as exc:
                raise self.fail(f"sweeps.{name}.values", str(exc)) from None
            return f"{name}-k{int(value)}", lr, {**s, "freeze": [str(spec)] if spec else []}
        return f"{name}-{value:g}", lr, {**s, key: int(value) if key in INT_SETTINGS else value}

    def add_sweep(self, name: str, sw: Sweep) -> None:
        self.check_ref(f"sweeps.{name}.extends", sw.extends)
        self.check_ref(f"sweeps.{name}.reference", sw.reference)
        s = dict(self.settings_of(sw.extends))
        if sw.vary == "frozen_conv_layers" and s["model"] != "vgg16":
            raise self.fail(f"sweeps.{name}.extends", "a frozen_conv_layers sweep needs a vgg16 variant")
        if (sw.lr is None) != (sw.vary == "lr"):
            raise self.fail(f"sweeps.{name}.lr", "a sweep that does not vary lr needs one lr (and one that "
                                                 "varies it, none)")
        if not sw.values or len(set(sw.values)) != len(sw.values):
            raise self.fail(f"sweeps.{name}.values", "needs at least one value, each once")
        if sw.baseline is not None and sw.baseline not in sw.values:
            raise self.fail(f"sweeps.{name}.baseline", f"{sw.baseline:g} is not one of the values")
        n_seeds = sw.seeds or s["seeds"]
        batch_size = sw.batch_size or s["batch_size"]
        for value in sw.values:
            variant, lr, s_v = self.sweep_point(name, sw, s, value)
            if sw.vary == "batch_size":
                batch_size = int(value)
            title = f"{sw.title} ({sw.vary} = {value:g})"
            value = int(value) if sw.vary in INT_SETTINGS else value
            total = self.seeds_of(group_name(variant, lr), n_seeds)
            self.groups.append(GroupSpec(group_name(variant, lr), variant, lr, title, None, sw.section, (),
                                         tuple(range(total)), None, ((sw.vary, value),), declared_seeds=n_seeds))
            for seed in range(total):
                settings = self.run_settings(f"sweeps.{name}", s_v, lr, seed, batch_size)
                self.runs.append(RunSpec(variant, lr, seed, settings, title, sw.section, None, None,
                                         sweep=name, sweep_value=value))

    def seeds_of(self, group: str, declared: int) -> int:
        """The declared seeds, or more where ``dcnn run --decide`` added some (up to analysis.max_seeds)."""
        cap = self.f.analysis.max_seeds
        return max(declared, min(self.extra.get(group, 0), cap if cap is not None else declared))

    def check_analysis(self) -> None:
        cap = self.f.analysis.max_seeds
        most = max(self.groups, key=lambda g: g.declared_seeds, default=None)
        if cap is not None and most is not None and cap < most.declared_seeds:
            raise self.fail("analysis.max_seeds", f"{cap} is fewer than the {most.declared_seeds} seeds {most.name} "
                                                  "declares (allowed: at least the most seeds any group declares)")

    def check_claims(self) -> None:
        names = {g.name for g in self.groups}
        for i, claim in enumerate(self.f.claims):
            for ref in claim.check.groups:
                if ref not in names:
                    close = difflib.get_close_matches(ref, sorted(names), n=1)
                    hint = f"; did you mean '{close[0]}'?" if close else " (write variant@lr, e.g. scratch@0.2)"
                    raise self.fail(f"claims[{i}].check", f"unknown run '{ref}'{hint}")


def load_study(path: Path | str = "study.yaml", profile: str = "demo",
               extra_seeds: Optional[dict[str, int]] = None) -> Study:
    """Read, validate and resolve a study; raises StudyError with one line on any problem.
    ``extra_seeds`` ({group: seeds}) are the seeds ``dcnn run --decide`` added (build/seeds.json)."""
    path = Path(path)
    f = load_study_file(path)
    r = _Resolver(path, f, profile, extra_seeds)
    r.check_names()
    for name, v in f.variants.items():
        r.add_variant(name, v)
    for name, sw in f.sweeps.items():
        r.add_sweep(name, sw)
    r.check_claims()
    r.check_analysis()
    return Study(path, f, profile, tuple(r.runs), tuple(r.groups))
