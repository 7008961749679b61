"""study.yaml → a resolved study: every run as a frozen ``RunSpec`` (its ``RunConfig``), every variant ×
learning rate as a ``GroupSpec``. Validation of the file itself is schema.py's; here the references
between its parts are checked (extends, compare_to, claims, figures, models and their freeze specs),
each failure one line. Nothing here imports torch (a torchvision model's freeze spec, and whether a
model takes the profile's image size, are checked on a meta-device build, which does).
"""
from __future__ import annotations

import difflib
import logging
import re
from pathlib import Path
from typing import Any, Optional

from pydantic import ValidationError

from ..registry.models import MODELS, get_model
from .schema import Profile, StudyError, StudyFile, Sweep, Variant
from .settings import INT_SETTINGS, SETTING_FIELDS, RunConfig, Training
from .spec import GroupSpec, RunSpec, Study, group_name
from .checks import check_settings
from .factors import resolve_factors
from .loader import load_study_file, one_line_error
from .claimchecks import check_analysis, check_claims

log = logging.getLogger("dcnn")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # safe as a file-name component, never a path
WHOLE = (*INT_SETTINGS, "frozen_conv_layers")          # sweepable values that must be whole numbers


class Inheritance:
    """A variant's settings: its own, then those of what it extends, then the study's defaults."""

    def __init__(self, where: str, f: StudyFile):
        self.where, self.f = where, f
        self.resolved: dict[str, dict[str, Any]] = {}

    def fail(self, loc: str, msg: str) -> StudyError:
        return StudyError(f"{self.where}: {loc}: {msg}")

    def check_ref(self, loc: str, name: Optional[str]) -> None:
        if name is not None and name not in self.f.variants:
            close = difflib.get_close_matches(name, list(self.f.variants), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f" (allowed: {', '.join(self.f.variants)})"
            raise self.fail(loc, f"unknown variant '{name}'{hint}")

    def settings(self, name: str, chain: tuple[str, ...] = ()) -> dict[str, Any]:
        if name in self.resolved:
            return self.resolved[name]
        if name in chain:
            raise self.fail(f"variants.{name}.extends", f"circular extends: {' -> '.join(chain + (name,))}")
        v = self.f.variants[name]
        self.check_ref(f"variants.{name}.extends", v.extends)
        base = self.settings(v.extends, chain + (name,)) if v.extends else {
            **Training().model_dump(), **self.f.defaults.model_dump(exclude_none=True)}
        self.resolved[name] = {**base, **v.settings.model_dump(exclude_none=True)}
        return self.resolved[name]


def run_config(s: dict[str, Any], lr: float, seed: int, profile: Profile, root: Optional[str] = None) -> RunConfig:
    """A run's configuration from its resolved settings and its profile (the data's part comes later).
    A user's own model also holds where it imports from and its source file's hash (in the key)."""
    spec = get_model(s["model"], root)
    user = {"model_root": root, "model_source": spec.source} if spec.kind == "user" else {}
    pool = {"vgg_pool": profile.vgg_pool} if spec.takes_width and profile.vgg_pool != 7 else {}
    return RunConfig(**s, lr=float(lr), seed=seed, width_divisor=profile.vgg_width_divisor if spec.takes_width else 1,
                     augment_preset=profile.augment if s["augment"] is True else None, bf16=profile.bf16,
                     channels_last=profile.channels_last, **user, **pool)


def validated(fail, loc: str, s: dict[str, Any]) -> dict[str, Any]:
    """Settings a sweep point changed, checked against their bounds (settings.Training) like any others."""
    try:
        return Training.model_validate(s, strict=False).model_dump()
    except ValidationError as exc:
        raise fail(loc, one_line_error(exc)) from None


class Resolver:
    """The steps of ``load_study``, each checking one kind of reference: variants, then sweeps, then
    the claims' runs and the analysis' cap."""

    def __init__(self, path: Path, f: StudyFile, profile: str, extra_seeds: Optional[dict[str, int]] = None):
        self.where, self.f, self.extra = str(path), f, extra_seeds or {}
        self.root = str(Path(path).resolve().parent)    # where a user's own model imports from
        if profile not in f.profiles:
            raise self.fail("profiles", f"no profile '{profile}' (allowed: {', '.join(f.profiles)})")
        self.prof: Profile = f.profiles[profile]
        self.inherit = Inheritance(self.where, f)
        self.figures_seen: dict[str, str] = {}
        self.runs: list[RunSpec] = []
        self.groups: list[GroupSpec] = []

    def fail(self, loc: str, msg: str) -> StudyError:
        return StudyError(f"{self.where}: {loc}: {msg}")

    def warn(self, loc: str, msg: str) -> None:
        log.warning("%s: %s: %s", self.where, loc, msg)

    def resolve(self) -> tuple[tuple[RunSpec, ...], tuple[GroupSpec, ...], tuple[dict, ...]]:
        self.check_names()
        for name, v in self.f.variants.items():
            self.add_variant(name, v)
        for name, sw in self.f.sweeps.items():
            self.add_sweep(name, sw)
        check_claims(self.fail, self.f, self.groups, self.prof, self.warn)
        check_analysis(self.fail, self.f, self.groups)
        factors = resolve_factors(self.fail, self.f, self.groups, self.runs)
        return tuple(self.runs), tuple(self.groups), factors

    def check_names(self) -> None:
        for name in list(self.f.variants) + list(self.f.sweeps):
            if not NAME_RE.match(str(name)):
                raise self.fail(f"variants.{name}", "a variant name must be lowercase letters, digits, '-' or '_' "
                                                    "(at most 64, starting with a letter or digit)")
        clash = set(self.f.variants) & set(self.f.sweeps)
        if clash:
            raise self.fail(f"sweeps.{sorted(clash)[0]}", "a sweep cannot have the name of a variant")

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

    def add_group(self, group: GroupSpec, settings: RunConfig, figure_of, **run: Any) -> None:
        """A group and one run per seed (the declared ones, or more where --decide added some)."""
        self.groups.append(group)
        for seed in group.seeds:
            self.runs.append(RunSpec(group.variant, group.lr, seed, settings.model_copy(update={"seed": seed}),
                                     figure=figure_of(seed), **run))

    def add_variant(self, name: str, v: Variant) -> None:
        s = self.inherit.settings(name)
        check_settings(self.fail, f"variants.{name}", s, self.prof, self.root)
        self.inherit.check_ref(f"variants.{name}.compare_to", v.compare_to)
        for other in v.also_compare_to:
            self.inherit.check_ref(f"variants.{name}.also_compare_to", other)
        if len({e.lr for e in v.runs}) != len(v.runs):
            raise self.fail(f"variants.{name}.runs", "each learning rate may appear once")
        base = self.inherit.settings(v.extends) if v.extends else None
        changes = tuple((k, s[k]) for k in SETTING_FIELDS if base is not None and s[k] != base[k])
        for i, entry in enumerate(v.runs):
            figs = entry.figure if isinstance(entry.figure, list) else []
            n_seeds = entry.seeds or (len(figs) if len(figs) > 1 else s["seeds"])
            labels = self.figure_labels(f"variants.{name}.runs[{i}]", name, entry.figure, n_seeds)
            compare, also = self.compare_groups(v, entry.lr)
            group = GroupSpec(group_name(name, entry.lr), name, entry.lr, v.title, v.heading, entry.section, labels,
                              tuple(range(self.seeds_of(group_name(name, entry.lr), n_seeds))), compare, changes,
                              also, n_seeds)
            figure_of = lambda seed: (labels[seed] if seed < len(labels) else None) if len(labels) > 1 else \
                (labels[0] if labels else None)  # noqa: E731
            self.add_group(group, run_config(s, entry.lr, 0, self.prof, self.root), figure_of, title=v.title,
                           section=entry.section, compare_to=v.compare_to or v.extends)

    def sweep_point(self, name: str, sw: Sweep, s: dict[str, Any], value: float) -> tuple[str, float, dict[str, Any]]:
        """(variant name, learning rate, settings) of one value of a sweep."""
        key, loc = sw.vary, f"sweeps.{name}.values"
        if key in WHOLE and value != int(value):
            raise self.fail(loc, f"{key} takes whole numbers (got {value:g})")
        if key == "lr":
            if not 0 < value <= 100:
                raise self.fail(loc, f"learning rate {value:g} is out of range (allowed: above 0, up to 100)")
            return name, value, dict(s)
        if key == "frozen_conv_layers":
            first_convs = get_model(s["model"]).first_convs
            try:
                spec = first_convs(int(value))
            except ValueError as exc:
                raise self.fail(loc, str(exc)) from None
            return f"{name}-k{int(value)}", sw.lr, {**s, "freeze": [spec] if spec else []}
        return f"{name}-{value:g}", sw.lr, validated(self.fail, loc, {**s, key: int(value) if key in INT_SETTINGS
                                                                      else value})

    def check_sweep(self, name: str, sw: Sweep, s: dict[str, Any]) -> None:
        self.inherit.check_ref(f"sweeps.{name}.extends", sw.extends)
        self.inherit.check_ref(f"sweeps.{name}.reference", sw.reference)
        if sw.vary == "frozen_conv_layers" and get_model(s["model"]).first_convs is None:
            takers = ", ".join(n for n, m in MODELS.items() if m.first_convs)
            raise self.fail(f"sweeps.{name}.extends", f"a frozen_conv_layers sweep needs a model that counts its "
                                                       f"conv layers ({takers})")
        if (sw.lr is None) != (sw.vary == "lr"):
            raise self.fail(f"sweeps.{name}.lr", "a sweep that does not vary lr needs one lr (and one that "
                                                 "varies it, none)")
        if not sw.values or len(set(sw.values)) != len(sw.values):
            raise self.fail(f"sweeps.{name}.values", "needs at least one value, each once")
        if sw.baseline is not None and sw.baseline not in sw.values:
            raise self.fail(f"sweeps.{name}.baseline", f"{sw.baseline:g} is not one of the values")

    def add_sweep(self, name: str, sw: Sweep) -> None:
        self.inherit.check_ref(f"sweeps.{name}.extends", sw.extends)
        base = dict(self.inherit.settings(sw.extends))
        self.check_sweep(name, sw, base)
        n_seeds = sw.seeds or base["seeds"]
        for value in sw.values:
            variant, lr, s = self.sweep_point(name, sw, base, value)
            s["batch_size"] = int(value) if sw.vary == "batch_size" else (sw.batch_size or s["batch_size"])
            check_settings(self.fail, f"sweeps.{name}", s, self.prof, self.root)
            value = int(value) if sw.vary in WHOLE else value
            title = f"{sw.title} ({sw.vary} = {value:g})"
            group = GroupSpec(group_name(variant, lr), variant, lr, title, None, sw.section, (),
                              tuple(range(self.seeds_of(group_name(variant, lr), n_seeds))), None,
                              ((sw.vary, value),), declared_seeds=n_seeds)
            self.add_group(group, run_config(s, lr, 0, self.prof, self.root), lambda seed: None, title=title,
                           section=sw.section, sweep=name, sweep_value=value)

    def seeds_of(self, group: str, declared: int) -> int:
        """The declared seeds, or more where ``dcnn run --decide`` added some (up to analysis.max_seeds)."""
        cap = self.f.analysis.max_seeds
        return max(declared, min(self.extra.get(group, 0), cap if cap is not None else declared))


def load_study(path: Path | str = "study.yaml", profile: str = "demo",
               extra_seeds: Optional[dict[str, int]] = None) -> Study:
    """Read, validate and resolve a study; raises StudyError with one line on any problem.
    ``extra_seeds`` ({group: seeds}) are the seeds ``dcnn run --decide`` added (build/seeds.json)."""
    path = Path(path)
    f = load_study_file(path)
    r = Resolver(path, f, profile, extra_seeds)
    return Study(path, f, profile, *r.resolve())


__all__ = ["GroupSpec", "RunSpec", "Study", "StudyError", "group_name", "load_study"]
