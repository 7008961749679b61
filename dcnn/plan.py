"""Runs → jobs: what each one trains, its cache key, its rough cost, and which are missing.

A job's cache key is a hash over everything that determines its numbers: the resolved training
configuration, the data's fingerprint, the backbone it starts from and the version of the code that
turns a configuration into numbers. The report side imports this module to find results; it never
imports the training code.
"""
from __future__ import annotations

import ast
import enum
import functools
import hashlib
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional

from .config import RunSpec, Study
from .presets import AUGMENT_PRESETS, IMAGENET_MEAN, IMAGENET_STD
from .datacache import StudyData
from .store import Store
from .fit_config import FitConfig


class JobKind(str, enum.Enum):
    PRETRAIN = "pretrain"   # the demo's own "pretrained VGG16", trained on the source task
    RUN = "run"             # one run of the study: variant × learning rate × seed


@dataclass(frozen=True)
class Backbone:
    """Where a pretrained run's initial weights come from."""

    source: str             # "own": this study's pretraining job | "imagenet": torchvision's weights
    name: str               # the pretraining job's key, or the weights' name (IMAGENET1K_V1)
    file: str = ""          # imagenet: the file torchvision looks for in its hub cache

    def __str__(self) -> str:   # the form stored in results and cache keys
        return self.name if self.source == "own" else f"imagenet:{self.name}:{self.file}"


@dataclass
class Job:
    """One unit of training: the demo's pretraining, or one run (variant × lr × seed)."""

    kind: JobKind
    key: str
    label: str
    fit: FitConfig
    spec: Optional[RunSpec] = None
    backbone: Optional[Backbone] = None
    cost: float = 1.0               # a rough relative training cost, for ordering and the ETA
    cuda_graphs: bool = True        # execution details (same arithmetic), so not part of the key
    cudnn_benchmark: bool = False

    @property
    def is_pretraining(self) -> bool:
        return self.kind is JobKind.PRETRAIN

    def needs(self, other: Optional["Job"]) -> bool:
        """True when this job starts from the weights that ``other`` (a pretraining job) trains."""
        return other is not None and self.backbone is not None and self.backbone.source == "own" \
            and self.backbone.name == other.key


# ---- cache keys -------------------------------------------------------------------------------

# The code that turns a configuration into numbers: any change to it means retraining.
CODE_FILES = ("data.py", "layout.py", "models.py", "train.py", "fit_config.py")


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
    """A hash of CODE_FILES' syntax trees."""
    h = hashlib.sha256()
    here = Path(__file__).parent
    for name in CODE_FILES:
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


# ---- jobs ---------------------------------------------------------------------------------------

def _normalisation(rule: str, data: StudyData, study: Study) -> tuple[Optional[tuple], Optional[tuple]]:
    if rule == "none":
        return None, None
    if rule == "train":
        return data.target.channel_stats()
    if study.profile.data == "digits":  # backbone: what our own pretraining saw
        return data.source.channel_stats()
    return IMAGENET_MEAN, IMAGENET_STD


def _cost(fit: FitConfig, n_train: int) -> float:
    steps = fit.epochs * math.ceil(n_train / fit.batch_size)
    per_step = 0.25 if fit.arch == "scratch_cnn" else 1.0 + 0.02 * fit.batch_size
    frozen = sum(1 for f in fit.freeze if f.startswith("features"))
    return steps * per_step * (0.7 if frozen else 1.0) + fit.epochs * 0.5


def pretrain_job(study: Study, data: StudyData) -> Optional[Job]:
    p = study.profile.pretrain
    if study.profile.data != "digits" or p is None or data.source is None:
        return None
    mean, std = data.source.channel_stats()
    fit = FitConfig(arch="vgg16", num_classes=data.source.num_classes, lr=p.lr, seed=p.seed, epochs=p.epochs,
                    batch_size=p.batch_size, optimizer=p.optimizer, momentum=p.momentum,
                    width_divisor=study.profile.vgg_width_divisor, mean=mean, std=std)
    key = make_key({"pretrain": asdict(fit), "data": data.source.fingerprint, "code": code_version()})
    return Job(JobKind.PRETRAIN, key, f"pretraining VGG16/{fit.width_divisor} on {data.source.name}", fit,
               cost=_cost(fit, len(data.source.train)))


def run_job(spec: RunSpec, study: Study, data: StudyData, backbone: Optional[Backbone]) -> Job:
    s = spec.settings
    mean, std = _normalisation(s.normalise, data, study)
    fit = FitConfig(arch=s.arch, num_classes=data.target.num_classes, lr=s.lr, seed=s.seed, epochs=s.epochs,
                    batch_size=s.batch_size, optimizer=s.optimizer, momentum=s.momentum,
                    width_divisor=s.width_divisor, dropout=s.dropout, freeze=s.freeze,
                    augment=AUGMENT_PRESETS[s.augment] if s.augment else None, mean=mean, std=std,
                    bf16=s.bf16, channels_last=s.channels_last)
    bb = backbone if s.pretrained else None
    key = make_key({"fit": asdict(fit), "data": data.target.fingerprint, "backbone": str(bb) if bb else None,
                    "code": code_version()})
    return Job(JobKind.RUN, key, spec.label, fit, spec, bb, _cost(fit, len(data.target.train)),
               cuda_graphs=study.profile.cuda_graphs, cudnn_benchmark=study.profile.cudnn_benchmark)


def backbone_of(study: Study, pre: Optional[Job]) -> Optional[Backbone]:
    if study.profile.data == "digits":
        return Backbone("own", pre.key) if pre else None
    from .models import imagenet_weights_path

    return Backbone("imagenet", study.profile.weights, imagenet_weights_path(study.profile.weights).name)


def plan(study: Study, data: StudyData, runs: tuple[RunSpec, ...]) -> tuple[Optional[Job], list[Job]]:
    """(pretraining job or None, one job per run), in the study's order."""
    pre = pretrain_job(study, data) if any(r.settings.pretrained for r in runs) else None
    bb = backbone_of(study, pre)
    return pre, [run_job(r, study, data, bb) for r in runs]


def is_cached(store: Store, job: Job) -> bool:
    return (store.read_pretrain(job.key) if job.is_pretraining else store.read_result(job.key)) is not None
