"""Runs → jobs: what each one trains, its cache key, its rough cost, and which are missing.

A job's cache key is a hash over everything that determines its numbers: the resolved training
configuration (its settings at their neutral value left out: settings.RunConfig.key_fields), the
data's fingerprint, the backbone it starts from and the version of the numerics (train.NUMERICS). The report side imports this module to find results; it never
imports the training code.
"""
from __future__ import annotations

import enum
import hashlib
import json
import math
from dataclasses import asdict, dataclass
from typing import Any, Optional

from ..study.resolve import RunSpec, Study
from ..data.cache import StudyData
from ..data.presets import IMAGENET_MEAN, IMAGENET_STD
from ..registry.models import get_model
from ..study.settings import RunConfig
from ..train import NUMERICS
from ..store.build import Store


class JobKind(str, enum.Enum):
    PRETRAIN = "pretrain"   # the demo's own "pretrained VGG16", trained on the source task
    RUN = "run"             # one run of the study: variant × learning rate × seed


@dataclass(frozen=True)
class Backbone:
    """Where a pretrained run's initial weights come from."""

    source: str             # "own": this study's pretraining job | "torchvision": the model's weights
    name: str               # the pretraining job's key, or the weights' name (IMAGENET1K_V1)
    arch: str = ""          # torchvision: the model
    file: str = ""          # torchvision: the file torchvision looks for in its hub cache

    def __str__(self) -> str:   # the form stored in results and cache keys
        return self.name if self.source == "own" else f"{self.source}:{self.arch}:{self.name}:{self.file}"


@dataclass
class Job:
    """One unit of training: the demo's pretraining, or one run (variant × lr × seed)."""

    kind: JobKind
    key: str
    label: str
    config: RunConfig               # what fit() receives; the key hashes it
    spec: Optional[RunSpec] = None
    backbone: Optional[Backbone] = None
    cost: float = 1.0               # a rough relative training cost, for ordering and the ETA
    cuda_graphs: bool = True        # execution details (same arithmetic), so not part of the key
    cudnn_benchmark: bool = False
    data: str = ""                  # the fingerprint of the data it trains on (part of the key)
    backbone_index: int = 0         # pretraining: which of the profile's backbones (its seed + index)

    @property
    def is_pretraining(self) -> bool:
        return self.kind is JobKind.PRETRAIN

    def needs(self, other: Optional["Job"]) -> bool:
        """True when this job starts from the weights that ``other`` (a pretraining job) trains."""
        return other is not None and self.backbone is not None and self.backbone.source == "own" \
            and self.backbone.name == other.key


# ---- cache keys -------------------------------------------------------------------------------

def code_version() -> str:
    """The version of the numerics (train.NUMERICS): part of every cache key."""
    return NUMERICS


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


# ---- jobs ---------------------------------------------------------------------------------------

def _normalisation(rule: str, data: StudyData, study: Study) -> tuple[Optional[tuple], Optional[tuple]]:
    if rule == "none":
        return None, None
    if rule == "train":
        return data.target.channel_stats()
    # backbone: what the pretraining saw (this study's source task, or ImageNet for torchvision's weights)
    if study.profile.backbone_source == "own" and data.source is not None:
        return data.source.channel_stats()
    return IMAGENET_MEAN, IMAGENET_STD


def _cost(cfg: RunConfig, n_train: int) -> float:
    """A rough relative training cost (to train the longest first): steps × the model's cost per step,
    less for a model with frozen layers."""
    steps = cfg.epochs * math.ceil(n_train / cfg.batch_size)
    return steps * get_model(cfg.model, cfg.model_root).step_cost(cfg.batch_size) * (0.7 if cfg.freeze else 1.0) + cfg.epochs * 0.5


def model_label(model: str, width_divisor: int = 1) -> str:
    """How progress lines and the report name a model: VGG16/8 is VGG16 with every width / 8."""
    return get_model(model).label(width_divisor)


def _arch(s: RunConfig) -> tuple:
    """What a backbone is pretrained for: the model, its width and its arguments."""
    return s.model, s.width_divisor, canonical_json(s.model_args), s.vgg_pool


def pretrain_jobs(study: Study, data: StudyData, runs: tuple[RunSpec, ...]) -> list[Job]:
    """This study's own pretraining on its source task: one job per model that a pretrained run uses."""
    p = study.profile.pretrain
    if p is None or data.source is None:
        return []
    mean, std = data.source.channel_stats()
    jobs = []
    archs = {_arch(r.settings): r.settings for r in runs if r.settings.pretrained}
    for (model, width, _, pool), s in archs.items():
        for k in range(p.seeds):
            cfg = RunConfig(model=model, normalise="train", num_classes=data.source.num_classes, lr=p.lr,
                            seed=p.seed + k, epochs=p.epochs, batch_size=p.batch_size, optimizer=p.optimizer,
                            momentum=p.momentum, width_divisor=width, mean=mean, std=std, model_args=s.model_args,
                            model_root=s.model_root, model_source=s.model_source, vgg_pool=pool)
            key = make_key({"pretrain": cfg.key_fields(), "data": data.source.fingerprint, "code": code_version()})
            which = f" (backbone {k + 1} of {p.seeds})" if p.seeds > 1 else ""
            jobs.append(Job(JobKind.PRETRAIN, key, f"pretraining {model_label(model, width)}{which} on "
                            f"{data.source.name}", cfg, cost=_cost(cfg, len(data.source.train)),
                            data=data.source.fingerprint, backbone_index=k))
    return jobs


def run_job(spec: RunSpec, study: Study, data: StudyData, backbone: Optional[Backbone]) -> Job:
    """A run's job: its configuration completed with what its data say (classes, normalisation)."""
    mean, std = _normalisation(spec.settings.normalise, data, study)
    cfg = spec.settings.model_copy(update={"num_classes": data.target.num_classes, "mean": mean, "std": std})
    bb = backbone if cfg.pretrained else None
    key = make_key({"config": cfg.key_fields(), "data": data.target.fingerprint, "backbone": str(bb) if bb else None,
                    "code": code_version()})
    return Job(JobKind.RUN, key, spec.label, cfg, spec, bb, _cost(cfg, len(data.target.train)),
               cuda_graphs=study.profile.cuda_graphs, cudnn_benchmark=study.profile.cudnn_benchmark,
               data=data.target.fingerprint)


def backbone_index(study: Study, spec: RunSpec) -> Optional[int]:
    """Which of the study's own backbones a run fine-tunes (seed mod their number); 0 for torchvision's
    one set of weights; None for a run from random initialisation."""
    if not spec.settings.pretrained:
        return None
    return spec.seed % study.profile.pretrain.seeds if study.profile.pretrain is not None else 0


def backbone_of(study: Study, spec: RunSpec, pretrains: list[Job]) -> Optional[Backbone]:
    """The weights a pretrained run starts from (None for a run from random initialisation)."""
    s = spec.settings
    if not s.pretrained:
        return None
    if study.profile.backbone_source == "own":
        k = backbone_index(study, spec)                  # the run with seed s fine-tunes backbone s mod K
        pre = next((j for j in pretrains if (_arch(j.config), j.backbone_index) == (_arch(s), k)), None)
        return Backbone("own", pre.key) if pre else None
    weights = get_model(s.model, s.model_root).weights        # the library's (resolve checked it has them)
    name, path = weights.resolve(s.model, study.profile.weights)
    return Backbone(weights.kind, name, s.model, path.name)


def plan(study: Study, data: StudyData, runs: tuple[RunSpec, ...]) -> tuple[list[Job], list[Job]]:
    """(this study's pretraining jobs, one job per run), in the study's order."""
    pretrains = pretrain_jobs(study, data, runs)
    return pretrains, [run_job(r, study, data, backbone_of(study, r, pretrains)) for r in runs]


def is_cached(store: Store, job: Job) -> bool:
    return (store.read_pretrain(job.key) if job.is_pretraining else store.read_result(job.key)) is not None


def cache_state(store: Store, job: Job) -> str:
    """cached | failed (its last attempt raised) | partial (a checkpoint to resume from) | missing."""
    if is_cached(store, job):
        return "cached"
    if store.read_failure(job.key) is not None:
        return "failed"
    if store.checkpoint(job.key, job.is_pretraining).path.exists():
        return "partial"
    return "missing"


# ---- why a job trains ---------------------------------------------------------------------------

def cached_runs(store: Store) -> dict[tuple, dict]:
    """The newest cached result of every (variant, lr, seed) in the build directory, whatever its key:
    what a run that is not cached under its current key was last trained with."""
    newest: dict[tuple, dict] = {}
    for path in store.root.glob("runs/*/result.json"):
        payload = store.read_payload(path)
        if payload is None or "variant" not in payload:
            continue
        ident = (payload["variant"], payload["lr"], payload["seed"])
        if ident not in newest or payload.get("finished_at", "") > newest[ident].get("finished_at", ""):
            newest[ident] = payload
    return newest


def _changed_settings(old: dict, new: dict) -> dict[str, list]:
    """{setting: [old, new]} for every setting that differs; one a key leaves out is at its neutral value."""
    from ..study.settings import NEUTRAL

    neutral = json.loads(canonical_json(NEUTRAL))
    at = lambda d, k: d[k] if k in d else neutral.get(k)  # noqa: E731
    return {k: [at(old, k), at(new, k)] for k in dict.fromkeys([*new, *old]) if at(old, k) != at(new, k)}


def why(store: Store, job: Job, previous: dict[tuple, dict]) -> dict[str, Any]:
    """Why ``job`` trains: never trained, or which part of its key changed since the cached result of
    the same variant, learning rate and seed (its settings, key by key; the data; the training code;
    the backbone). ``{"state": "cached"}`` when it does not train."""
    state = cache_state(store, job)
    if state == "cached":
        return {"state": state}
    out: dict[str, Any] = {"state": state}
    if state == "failed":
        out["error"] = (store.read_failure(job.key) or {}).get("error")
    old = previous.get((job.spec.variant, job.spec.lr, job.spec.seed)) if job.spec else None
    if old is None:
        out["why"] = "never trained"
        return out
    changes: dict[str, Any] = {}
    settings = _changed_settings(old.get("config", {}), json.loads(canonical_json(job.config.key_fields())))
    if settings:
        changes["settings"] = settings
    if old.get("data") is not None and old["data"] != job.data:
        changes["data"] = [old["data"][:12], job.data[:12]]
    if old.get("code_version") != code_version():
        changes["code"] = [old.get("code_version"), code_version()]
    backbone = str(job.backbone) if job.backbone else None
    if old.get("backbone") != backbone:
        changes["backbone"] = [(old.get("backbone") or "none")[:12], (backbone or "none")[:12]]
    out.update(why="changed" if changes else "unknown", changes=changes)
    return out


def why_text(reason: dict[str, Any]) -> str:
    """One line: "never trained", or "dropout 0.5 → 0.3; the training code (0a1b → 4e5f)"."""
    if reason["state"] == "cached":
        return "cached"
    if reason.get("why") == "never trained":
        text = "never trained"
    else:
        c = reason.get("changes", {})
        parts = [f"{k} {_short(a)} → {_short(b)}" + _words(k, b, c.get("settings", {}))
                 for k, (a, b) in c.get("settings", {}).items()]
        names = {"data": "the data", "code": "the training code", "backbone": "the backbone"}
        parts += [f"{names[k]} ({c[k][0]} → {c[k][1]})" for k in ("data", "code", "backbone") if k in c]
        text = "; ".join(parts) or "its key changed"
    if reason["state"] == "failed":
        text += f" (its last attempt failed: {reason.get('error')})"
    elif reason["state"] == "partial":
        text += " (resumes from its checkpoint)"
    return text


def _words(key: str, value: Any, changes: dict) -> str:
    """A recipe setting's new value in words, after it: " (cosine decay after 1 warmup epoch)"."""
    from ..study.words import PHRASES, setting_words

    if key not in PHRASES or value is None:
        return ""
    return f" ({setting_words(key, value, {k: b for k, (_, b) in changes.items()})})"


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "..."
