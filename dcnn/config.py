"""study.yaml → a validated, resolved study: every run as a frozen RunSpec, and its cache key.

Any problem with the file is a ``StudyError`` with one line that names the file, the key path and
the allowed values; the CLI prints it and exits with code 2.
"""
from __future__ import annotations

import ast
import difflib
import functools
import fnmatch
import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, Optional, Union

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, model_validator
from pydantic_core import PydanticCustomError
from typing_extensions import Annotated

from .analysis import METRICS
from .models import ARCHITECTURES, conv_freeze_spec, parse_freeze_spec

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # safe as a file-name component, never a path


class StudyError(Exception):
    """Bad input: printed as one line, exit code 2."""


# ---- the file's schema ----------------------------------------------------------------------------

def _number(v: Any) -> Any:
    # YAML 1.1 reads "2e-3" as a string; accept it as the number it obviously is.
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return v
    return v


Float = Annotated[float, BeforeValidator(_number)]
Metric = Literal[METRICS]  # type: ignore[valid-type]


class Strict(BaseModel):
    """Unknown keys are errors that list the allowed ones; types are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            allowed = list(cls.model_fields)
            for key in data:
                if key not in allowed:
                    close = difflib.get_close_matches(str(key), allowed, n=1)
                    hint = f"; did you mean '{close[0]}'?" if close else ""
                    raise PydanticCustomError(
                        "unknown_key", "unknown key '{key}' (allowed: {allowed}){hint}",
                        {"key": str(key), "allowed": ", ".join(allowed), "hint": hint})
        return data


class Settings(Strict):
    """What a variant may set; unset fields come from what it extends, then from ``defaults``."""

    model: Optional[Literal[ARCHITECTURES]] = None  # type: ignore[valid-type]
    pretrained: Optional[bool] = None
    normalise: Optional[Literal["none", "train", "backbone"]] = None
    augment: Optional[bool] = None
    dropout: Optional[Float] = None
    freeze: Optional[list[str]] = None
    batch_size: Optional[int] = None
    epochs: Optional[int] = None
    optimizer: Optional[Literal["sgd", "adam"]] = None
    momentum: Optional[Float] = None
    seeds: Optional[int] = None


SETTING_FIELDS = tuple(Settings.model_fields)


class Defaults(Strict):
    epochs: int = 20
    batch_size: int = 1
    optimizer: Literal["sgd", "adam"] = "sgd"
    momentum: Float = 0.0
    seeds: int = 1


class RunEntry(Strict):
    lr: Float
    section: str
    figure: Optional[Union[int, list[int]]] = None  # a list: one single-seed figure per seed
    seeds: Optional[int] = None


class Variant(Settings):
    title: str
    heading: Optional[str] = None
    extends: Optional[str] = None
    compare_to: Optional[str] = None          # default: what it extends
    also_compare_to: list[str] = []           # further variants to compare with, at the same lr
    runs: list[RunEntry]


class Sweep(Strict):
    extends: str
    title: str
    frozen_conv_layers: list[int]
    lr: Float
    batch_size: Optional[int] = None
    seeds: Optional[int] = None
    section: str
    reference: Optional[str] = None


class Check(Strict):
    """One claim's test, in a small vocabulary; exactly one of the kind keys is set."""

    lower: Optional[Metric] = None        # a's metric lower than b's
    higher: Optional[Metric] = None
    similar: Optional[Metric] = None      # no significant difference and means within the margin
    best: Optional[Metric] = None         # a lowest among a and ``among``
    worst: Optional[Metric] = None
    overfits: Optional[str] = None        # run reference
    never_learns: Optional[str] = None
    learns: Optional[str] = None
    still_improving: Optional[str] = None
    plateaus_by: Optional[str] = None     # with ``epoch``
    lr_beats: Optional[Metric] = None     # with ``better`` and ``worse``: for every variant
    a: Optional[str] = None
    b: Optional[str] = None
    among: Optional[list[str]] = None
    epoch: Optional[int] = None
    better: Optional[Float] = None
    worse: Optional[Float] = None

    @model_validator(mode="after")
    def _one_kind(self) -> "Check":
        kinds = [k for k in CLAIM_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise PydanticCustomError("claim_kind", "a check needs exactly one of: {kinds} (got {got})",
                                      {"kinds": ", ".join(CLAIM_KINDS), "got": ", ".join(kinds) or "none"})
        kind = kinds[0]
        needed = CLAIM_KINDS[kind]
        given = {f for f in ("a", "b", "among", "epoch", "better", "worse") if getattr(self, f) is not None}
        if given != set(needed):
            raise PydanticCustomError(
                "claim_params", "'{kind}' takes {needed} (got {given})",
                {"kind": kind, "needed": ", ".join(needed) or "no other key",
                 "given": ", ".join(sorted(given)) or "none"})
        return self

    @property
    def kind(self) -> str:
        return next(k for k in CLAIM_KINDS if getattr(self, k) is not None)


CLAIM_KINDS: dict[str, tuple[str, ...]] = {
    "lower": ("a", "b"), "higher": ("a", "b"), "similar": ("a", "b"),
    "best": ("a", "among"), "worst": ("a", "among"),
    "overfits": (), "never_learns": (), "learns": (), "still_improving": (),
    "plateaus_by": ("epoch",), "lr_beats": ("better", "worse"),
}


class Claim(Strict):
    section: str
    says: str
    check: Check


class Pretrain(Strict):
    epochs: int
    batch_size: int
    optimizer: Literal["sgd", "adam"] = "adam"
    lr: Float
    momentum: Float = 0.0
    seed: int = 0


class Profile(Strict):
    data: Literal["digits", "imagefolder"]
    image_size: int
    train_per_class: Optional[int] = None
    val_per_class: Optional[int] = None
    source_train_per_class: Optional[int] = None  # pretraining images per digit (default: all not held out)
    split_seed: int = 0
    vgg_width_divisor: int = 1
    augment: Literal["digits", "natural"] = "digits"
    pretrain: Optional[Pretrain] = None
    weights: Optional[Literal["IMAGENET1K_V1"]] = None
    # Speed options; the ones that change results are part of every run's cache key.
    bf16: bool = False                 # CUDA autocast to bfloat16 (changes results)
    channels_last: bool = False        # (changes results by float rounding)
    cuda_graphs: bool = True           # capture the whole training step where shapes are static
    cudnn_benchmark: bool = False      # cuDNN autotuning: pays off only for long runs of one shape
    workers_per_gpu: int = 1           # runner processes per GPU (more time-slice the GPU)
    ray_cpus_per_run: Float = 1.0      # --executor ray: each run's share of a node
    ray_gpus_per_run: Float = 0.0

    @model_validator(mode="after")
    def _complete(self) -> "Profile":
        if self.data == "digits":
            missing = [k for k in ("train_per_class", "val_per_class", "pretrain") if getattr(self, k) is None]
            if missing:
                raise PydanticCustomError("profile", "data: digits needs {missing}", {"missing": ", ".join(missing)})
        if self.data == "imagefolder" and self.weights is None:
            raise PydanticCustomError("profile", "data: imagefolder needs weights (allowed: IMAGENET1K_V1)", {})
        return self


class Analysis(Strict):
    plateau_tol: Float = 0.01
    alpha: Float = 0.05
    similar_margin: Float = 0.1


class StudyFile(Strict):
    title: str
    paper: Optional[str] = None
    defaults: Defaults = Defaults()
    analysis: Analysis = Analysis()
    profiles: dict[str, Profile]
    sections: dict[str, str] = {}
    variants: dict[str, Variant]
    sweeps: dict[str, Sweep] = {}
    claims: list[Claim] = []


# ---- resolved study ---------------------------------------------------------------------------

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


class _UniqueKeyLoader(yaml.SafeLoader):
    """yaml.safe_load that rejects duplicate keys instead of silently keeping the last one."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise StudyError(f"line {key_node.start_mark.line + 1}: duplicate key '{key}' "
                             f"(first at line {seen[key] + 1}); every key, variant name included, must be unique")
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


_TYPE_TAGS = {"int", "float", "str", "bool"}  # pydantic names union members in the location


def _format_loc(loc: tuple) -> str:
    """pydantic's error location as the user's key path (its own type tags left out)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith("function-") or "[" in part or part in _TYPE_TAGS:
            continue
        else:
            out += ("." if out else "") + part
    return out or "(top level)"


def _one_line(path: Path, err: ValidationError) -> str:
    e = err.errors(include_url=False)[0]
    msg = e["msg"]
    if e["type"] in ("missing",):
        msg = "missing required key"
    elif e["type"] not in ("unknown_key", "claim_kind", "claim_params", "profile", "value_error") \
            and "input" in e and not isinstance(e["input"], (dict, list)):
        msg = f"{msg} (got {e['input']!r})"
    msg = msg.replace("Value error, ", "")
    return f"{path}: {_format_loc(e['loc'])}: {msg}"


def load_study_file(path: Path | str) -> StudyFile:
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise StudyError(f"{path}: study file not found (pass --study FILE)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StudyError(f"{path}: cannot read the study file ({exc})") from None
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader: no tags that run code
    except StudyError as exc:
        raise StudyError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise StudyError(f"{path}: {where}not valid YAML ({problem})") from None
    if not isinstance(raw, dict):
        raise StudyError(f"{path}: (top level): expected a mapping with keys title, profiles, variants, ...")
    try:
        return StudyFile.model_validate(raw)
    except ValidationError as exc:
        raise StudyError(_one_line(path, exc)) from None


def _fmt_lr(lr: float) -> str:
    return f"{lr:g}"


def load_study(path: Path | str = "study.yaml", profile: str = "demo") -> Study:
    """Read, validate and resolve a study; raises StudyError with one line on any problem."""
    path = Path(path)
    f = load_study_file(path)
    where = str(path)

    def fail(loc: str, msg: str) -> StudyError:
        return StudyError(f"{where}: {loc}: {msg}")

    if profile not in f.profiles:
        raise fail("profiles", f"no profile '{profile}' (allowed: {', '.join(f.profiles)})")
    prof = f.profiles[profile]

    for name in list(f.variants) + list(f.sweeps):
        if not NAME_RE.match(str(name)):
            raise fail(f"variants.{name}", "a variant name must be lowercase letters, digits, '-' or '_' "
                                           "(at most 64, starting with a letter or digit)")
    clash = set(f.variants) & set(f.sweeps)
    if clash:
        raise fail(f"sweeps.{sorted(clash)[0]}", "a sweep cannot have the name of a variant")

    def check_ref(loc: str, name: Optional[str]) -> None:
        if name is not None and name not in f.variants:
            close = difflib.get_close_matches(name, list(f.variants), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f" (allowed: {', '.join(f.variants)})"
            raise fail(loc, f"unknown variant '{name}'{hint}")

    # Settings through the `extends` chain, then `defaults`.
    resolved: dict[str, dict[str, Any]] = {}

    def settings_of(name: str, chain: tuple[str, ...] = ()) -> dict[str, Any]:
        if name in resolved:
            return resolved[name]
        if name in chain:
            raise fail(f"variants.{name}.extends", f"circular extends: {' -> '.join(chain + (name,))}")
        v = f.variants[name]
        check_ref(f"variants.{name}.extends", v.extends)
        base = settings_of(v.extends, chain + (name,)) if v.extends else {
            "model": None, "pretrained": False, "normalise": "none", "augment": False, "dropout": 0.0,
            "freeze": [], **f.defaults.model_dump()}
        own = {k: getattr(v, k) for k in SETTING_FIELDS if getattr(v, k) is not None}
        resolved[name] = {**base, **own}
        return resolved[name]

    runs: list[RunSpec] = []
    groups: list[GroupSpec] = []
    figures_seen: dict[str, str] = {}

    def make_settings(loc: str, s: dict[str, Any], lr: float, seed: int, batch_size: int) -> RunSettings:
        if s["model"] is None:
            raise fail(f"{loc}.model", f"missing required key (allowed: {', '.join(ARCHITECTURES)})")
        for spec in s["freeze"]:
            try:
                parse_freeze_spec(spec, s["model"])
            except ValueError as exc:
                raise fail(f"{loc}.freeze", str(exc)) from None
        if s["pretrained"] and s["model"] != "vgg16":
            raise fail(f"{loc}.pretrained", "only vgg16 has pretrained weights (allowed: false for scratch_cnn)")
        if s["dropout"] and s["model"] != "scratch_cnn":
            raise fail(f"{loc}.dropout", "vgg16 keeps its own dropout of 0.5 (allowed: dropout with scratch_cnn)")
        if s["normalise"] == "backbone" and s["model"] != "vgg16":
            raise fail(f"{loc}.normalise", "'backbone' needs model vgg16 (allowed: none, train)")
        for key, value, lo, hi in (("dropout", s["dropout"], 0.0, 0.99), ("momentum", s["momentum"], 0.0, 0.999),
                                   ("lr", lr, 1e-12, 100.0)):
            if not lo <= value <= hi:
                raise fail(f"{loc}.{key}", f"{value} is out of range (allowed: {lo:g} to {hi:g})")
        for key, value in (("batch_size", batch_size), ("epochs", s["epochs"]), ("seeds", s["seeds"])):
            if value < 1:
                raise fail(f"{loc}.{key}", f"must be at least 1 (got {value})")
        return RunSettings(
            arch=s["model"], pretrained=bool(s["pretrained"]),
            width_divisor=prof.vgg_width_divisor if s["model"] == "vgg16" else 1,
            dropout=float(s["dropout"]), freeze=tuple(s["freeze"]), normalise=s["normalise"],
            augment=prof.augment if s["augment"] else None, batch_size=batch_size, epochs=s["epochs"],
            optimizer=s["optimizer"], momentum=float(s["momentum"]), lr=float(lr), seed=seed,
            bf16=prof.bf16, channels_last=prof.channels_last)

    for name, v in f.variants.items():
        s = settings_of(name)
        check_ref(f"variants.{name}.compare_to", v.compare_to)
        for other in v.also_compare_to:
            check_ref(f"variants.{name}.also_compare_to", other)
        compare = v.compare_to or v.extends
        if not v.runs:
            raise fail(f"variants.{name}.runs", "needs at least one {lr, section} entry")
        lrs = [e.lr for e in v.runs]
        if len(set(lrs)) != len(lrs):
            raise fail(f"variants.{name}.runs", "each learning rate may appear once")
        base_settings = settings_of(v.extends) if v.extends else None
        changes = tuple((k, s[k]) for k in SETTING_FIELDS
                        if base_settings is not None and s[k] != base_settings[k])
        for i, entry in enumerate(v.runs):
            loc = f"variants.{name}.runs[{i}]"
            figs = entry.figure if isinstance(entry.figure, list) else ([entry.figure] if entry.figure else [])
            n_seeds = entry.seeds or (len(figs) if len(figs) > 1 else s["seeds"])
            if len(figs) > 1 and len(figs) != n_seeds:
                raise fail(f"{loc}.figure", f"{len(figs)} figures need {len(figs)} seeds (got seeds: {n_seeds})")
            labels = tuple(str(x) for x in figs)
            for label in labels:
                if label in figures_seen:
                    raise fail(f"{loc}.figure", f"figure {label} is already used by {figures_seen[label]}")
                figures_seen[label] = name
            group = group_name(name, entry.lr)
            if compare is not None and entry.lr not in [e.lr for e in f.variants[compare].runs]:
                compare_group = None
            else:
                compare_group = group_name(compare, entry.lr) if compare else None
            also = tuple(group_name(o, entry.lr) for o in v.also_compare_to
                         if entry.lr in [e.lr for e in f.variants[o].runs])
            groups.append(GroupSpec(group, name, entry.lr, v.title, v.heading, entry.section, labels,
                                    tuple(range(n_seeds)), compare_group, changes, also))
            for seed in range(n_seeds):
                settings = make_settings(f"variants.{name}", s, entry.lr, seed, s["batch_size"])
                figure = labels[seed] if len(labels) > 1 else (labels[0] if labels else None)
                runs.append(RunSpec(name, entry.lr, seed, settings, v.title, entry.section, figure, compare))

    for name, sw in f.sweeps.items():
        check_ref(f"sweeps.{name}.extends", sw.extends)
        check_ref(f"sweeps.{name}.reference", sw.reference)
        s = dict(settings_of(sw.extends))
        if s["model"] != "vgg16":
            raise fail(f"sweeps.{name}.extends", "a freeze-depth sweep needs a vgg16 variant")
        n_seeds = sw.seeds or s["seeds"]
        batch_size = sw.batch_size or s["batch_size"]
        if len(set(sw.frozen_conv_layers)) != len(sw.frozen_conv_layers):
            raise fail(f"sweeps.{name}.frozen_conv_layers", "each depth may appear once")
        for k in sw.frozen_conv_layers:
            try:
                spec = conv_freeze_spec(k)
            except ValueError as exc:
                raise fail(f"sweeps.{name}.frozen_conv_layers", str(exc)) from None
            variant = f"{name}-k{k}"
            s_k = {**s, "freeze": [str(spec)] if spec else []}
            groups.append(GroupSpec(group_name(variant, sw.lr), variant, sw.lr, f"{sw.title} (k = {k})", None,
                                    sw.section, (), tuple(range(n_seeds)), None, (("frozen_conv_layers", k),)))
            for seed in range(n_seeds):
                settings = make_settings(f"sweeps.{name}", s_k, sw.lr, seed, batch_size)
                runs.append(RunSpec(variant, sw.lr, seed, settings, f"{sw.title} (k = {k})", sw.section, None,
                                    None, sweep=name, frozen_conv_layers=k))

    group_names = {g.name for g in groups}
    for i, claim in enumerate(f.claims):
        c = claim.check
        refs = [r for r in (c.a, c.b, getattr(c, c.kind) if c.kind in
                            ("overfits", "never_learns", "learns", "still_improving", "plateaus_by") else None)
                if r is not None] + list(c.among or [])
        for ref in refs:
            if ref not in group_names:
                close = difflib.get_close_matches(ref, sorted(group_names), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else " (write variant@lr, e.g. scratch@0.2)"
                raise fail(f"claims[{i}].check", f"unknown run '{ref}'{hint}")
    if prof.data == "digits" and any(r.settings.pretrained for r in runs) and prof.pretrain is None:
        raise fail(f"profiles.{profile}.pretrain", "pretrained variants need a pretrain block")
    return Study(path, f, profile, tuple(runs), tuple(groups))


# ---- cache keys -------------------------------------------------------------------------------

_CODE_FILES = ("data.py", "models.py", "train.py")


def _code_fingerprint(source: str) -> str:
    """The syntax tree without docstrings: editing a comment or a docstring retrains nothing."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree, annotate_fields=False, include_attributes=False)


@functools.lru_cache(maxsize=None)
def code_version() -> str:
    """A hash of the code that turns a config into numbers: any change to it means retraining."""
    h = hashlib.sha256()
    here = Path(__file__).parent
    for name in _CODE_FILES:
        p = here / name
        if p.exists():
            h.update(name.encode())
            h.update(_code_fingerprint(p.read_text()).encode())
    return h.hexdigest()[:16]


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_jsonable)


def _jsonable(o: Any) -> Any:
    if hasattr(o, "__dataclass_fields__"):
        return asdict(o)
    if isinstance(o, (tuple, set)):
        return list(o)
    raise TypeError(f"not serialisable: {type(o).__name__}")


def make_key(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()
