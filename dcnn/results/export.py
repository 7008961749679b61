"""``python -m dcnn export tensorboard DIR``: a build's runs for TensorBoard — one run directory per run
(``<variant>@<lr>/seed<k>``) holding its scalars per epoch (training, validation and test loss and
accuracy, the rate, the clean training loss) and its settings and metrics through the HParams
plugin, so that ``tensorboard --logdir DIR`` shows the study in its HParams table and
parallel-coordinates view. Written with ``torch.utils.tensorboard`` (the optional extra
``dcnn[tensorboard]``)."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..errors import InputError
from .tables import load

SCALARS = {"train_loss": "loss/train", "val_loss": "loss/validation", "test_loss": "loss/test",
           "val_acc": "accuracy/validation", "test_acc": "accuracy/test", "lr": "learning_rate",
           "train_clean_loss": "loss/train_clean"}
METRICS = ("best_val_loss", "test_loss_at_best", "test_acc_at_best", "val_acc_at_best", "best_epoch", "overfit_gap")


def _writer_class():
    try:
        import tensorboard  # noqa: F401
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise InputError("export tensorboard needs TensorBoard, an optional extra: pip install 'dcnn[tensorboard]'") from None
    return SummaryWriter


def _hparam(v: Any) -> Any:
    """A value the HParams plugin takes: a number, a string or a bool (lists and the like as JSON)."""
    if isinstance(v, (bool, int, float, str)):
        return v
    return "none" if v is None else json.dumps(v, sort_keys=True)


def run_dir(run) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.@-]", "_", f"{run.variant}@{run.lr:g}")
    return f"{safe}/seed{run.seed}"


def export_tensorboard(build: Path, out: Path) -> int:
    """Writes every trained run of ``build`` under ``out``; returns how many."""
    writer_of = _writer_class()
    b = load(build)
    groups = {g.group: g for g in b.results.groups}
    n = 0
    for run in b.results.runs:
        if not run.history:
            continue
        with writer_of(log_dir=str(out / run_dir(run))) as w:
            for epoch in run.history:
                for key, tag in SCALARS.items():
                    value = getattr(epoch, key)
                    if value is not None:
                        w.add_scalar(tag, value, epoch.epoch)
            settings = {"variant": run.variant, "lr": run.lr, "seed": run.seed, "status": run.status,
                        **{k: _hparam(v) for k, v in (groups[run.group].settings or {}).items()}}
            metrics = {f"hparam/{m}": float(getattr(run.metrics, m)) for m in METRICS
                       if getattr(run.metrics, m) is not None}
            w.add_hparams(settings, metrics, run_name=".")
        n += 1
    return n
