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

from .layout import ARCHITECTURES, conv_freeze_spec, parse_freeze_spec
from .schema import SETTING_FIELDS, Profile, StudyError, StudyFile, Sweep, Variant, load_study_file

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
    variant: str            # for sweep runs: "<sweep>-k<k>"
    lr: float
    seed: int
    settings: RunSettings
    title: str
    section: str
    figure: Optional[str]   # the paper's figure number for single-seed figures and groups, else None
    compare_to: Optional[str] = None
    sweep: Optional[str] = None
    frozen_conv_layers: Optional[int] = None

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

    def __init__(self, path: Path, f: StudyFile, profile: str):
        self.where, self.f = str(path), f
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

    def check_settings(self, loc: str, s: dict[str, Any], lr: float, batch_size: int) -> None:
        if s["model"] is None:
            raise self.fail(f"{loc}.model", f"missing required key (allowed: {', '.join(ARCHITECTURES)})")
        for spec in s["freeze"]:
            try:
                parse_freeze_spec(spec, s["model"])
            except ValueError as exc:
                raise self.fail(f"{loc}.freeze", str(exc)) from None
        if s["pretrained"] and s["model"] != "vgg16":
            raise self.fail(f"{loc}.pretrained", "only vgg16 has pretrained weights (allowed: false for scratch_cnn)")
        if s["dropout"] and s["model"] != "scratch_cnn":
            raise self.fail(f"{loc}.dropout", "vgg16 keeps its own dropout of 0.5 (allowed: dropout with scratch_cnn)")
        if s["normalise"] == "backbone" and s["model"] != "vgg16":
            raise self.fail(f"{loc}.normalise", "'backbone' needs model vgg16 (allowed: none, train)")
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
            self.groups.append(GroupSpec(group_name(name, entry.lr), name, entry.lr, v.title, v.heading,
                                         entry.section, labels, tuple(range(n_seeds)), compare, changes, also))
            for seed in range(n_seeds):
                settings = self.run_settings(f"variants.{name}", s, entry.lr, seed, s["batch_size"])
                figure = labels[seed] if len(labels) > 1 else (labels[0] if labels else None)
                self.runs.append(RunSpec(name, entry.lr, seed, settings, v.title, entry.section, figure,
                                         v.compare_to or v.extends))

    def add_sweep(self, name: str, sw: Sweep) -> None:
        self.check_ref(f"sweeps.{name}.extends", sw.extends)
        self.check_ref(f"sweeps.{name}.reference", sw.reference)
        s = dict(self.settings_of(sw.extends))
        if s["model"] != "vgg16":
            raise self.fail(f"sweeps.{name}.extends", "a freeze-depth sweep needs a vgg16 variant")
        n_seeds = sw.seeds or s["seeds"]
        batch_size = sw.batch_size or s["batch_size"]
        if len(set(sw.frozen_conv_layers)) != len(sw.frozen_conv_layers):
            raise self.fail(f"sweeps.{name}.frozen_conv_layers", "each depth may appear once")
        for k in sw.frozen_conv_layers:
            try:
                spec = conv_freeze_spec(k)
            except ValueError as exc:
                raise self.fail(f"sweeps.{name}.frozen_conv_layers", str(exc)) from None
            variant, title = f"{name}-k{k}", f"{sw.title} (k = {k})"
            s_k = {**s, "freeze": [str(spec)] if spec else []}
            self.groups.append(GroupSpec(group_name(variant, sw.lr), variant, sw.lr, title, None, sw.section, (),
                                         tuple(range(n_seeds)), None, (("frozen_conv_layers", k),)))
            for seed in range(n_seeds):
                settings = self.run_settings(f"sweeps.{name}", s_k, sw.lr, seed, batch_size)
                self.runs.append(RunSpec(variant, sw.lr, seed, settings, title, sw.section, None, None,
                                         sweep=name, frozen_conv_layers=k))

    def check_claims(self) -> None:
        names = {g.name for g in self.groups}
        for i, claim in enumerate(self.f.claims):
            for ref in claim.check.groups:
                if ref not in names:
                    close = difflib.get_close_matches(ref, sorted(names), n=1)
                    hint = f"; did you mean '{close[0]}'?" if close else " (write variant@lr, e.g. scratch@0.2)"
                    raise self.fail(f"claims[{i}].check", f"unknown run '{ref}'{hint}")

    def check_pretraining(self, profile: str) -> None:
        if self.prof.data == "digits" and any(r.settings.pretrained for r in self.runs) and self.prof.pretrain is None:
            raise self.fail(f"profiles.{profile}.pretrain", "pretrained variants need a pretrain block")


def load_study(path: Path | str = "study.yaml", profile: str = "demo") -> Study:
    """Read, validate and resolve a study; raises StudyError with one line on any problem."""
    path = Path(path)
    f = load_study_file(path)
    r = _Resolver(path, f, profile)
    r.check_names()
    for name, v in f.variants.items():
        r.add_variant(name, v)
    for name, sw in f.sweeps.items():
        r.add_sweep(name, sw)
    r.check_claims()
    r.check_pretraining(profile)
    return Study(path, f, profile, tuple(r.runs), tuple(r.groups))
