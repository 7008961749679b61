"""Golden histories: tiny runs that cover every setting of the numerics, trained through dcnn's own
fit(), with their per-epoch histories recorded under the numerics version (train.NUMERICS) and the
kind of CPU that trained them. tests/test_golden.py trains them again and compares, so that a change
which moves any run's numbers without bumping NUMERICS — and so would silently reuse cached runs
trained by other numerics — fails the suite.

    python tools/golden.py            # record tests/golden/histories.json anew (after bumping NUMERICS)
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "histories.json"
KEYS = ("train_loss", "val_loss", "val_acc", "val_top_share", "val_logit_range", "test_loss", "test_acc")

# name → (RunConfig fields, pretrained from a seeded random backbone of the same model?)
CASES: dict[str, tuple[dict, bool]] = {
    "scratch-plain": (dict(model="scratch_cnn", lr=0.05, batch_size=1), False),
    "scratch-every-setting": (dict(model="scratch_cnn", lr=0.05, batch_size=4, augment=True, augment_preset="digits",
                                   normalise="train", dropout=0.3, momentum=0.9, weight_decay=1e-3), False),
    "mlp-adam-uneven-batches": (dict(model="mlp", lr=0.01, batch_size=6, optimizer="adam", weight_decay=1e-4), False),
    "vgg16-pretrained-frozen": (dict(model="vgg16", width_divisor=16, lr=0.01, batch_size=2, pretrained=True,
                                     freeze=("features[0:15]",), normalise="backbone",
                                     augment=True, augment_preset="natural"), True),
    "resnet18-frozen-batchnorm": (dict(model="resnet18", lr=0.01, batch_size=5, freeze=("layer1",), momentum=0.5),
                                  False),
}


def cpu_kind() -> str:
    """What decides a history's last bits here: whether oneDNN may use AVX-512."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown"
    return "avx512" if " avx512f" in flags else ("avx2" if " avx2" in flags else "other")


def task():
    from dcnn.data.images import load_digits_tasks

    _, target = load_digits_tasks(train_per_class=3, val_per_class=2, image_size=32, test_per_class=2,
                                  target_digits=(0, 1, 2, 3, 4), source_digits=())
    return target


def train(name: str, data=None) -> list[dict]:
    """One golden run's history (the recorded keys, per epoch)."""
    import torch

    from dcnn.registry.models import get_model
    from dcnn.study.settings import RunConfig
    from dcnn.train.fit import fit

    torch.set_num_threads(1)
    data = data or task()
    fields, pretrained = CASES[name]
    mean, std = data.channel_stats()
    cfg = RunConfig(seed=3, epochs=2, num_classes=data.num_classes, **fields,
                    **({"mean": mean, "std": std} if fields.get("normalise", "none") != "none" else {}))
    init = None
    if pretrained:           # a backbone of 10 classes, seeded: the path of a pretrained run
        torch.manual_seed(11)
        init = get_model(cfg.model).build(10, width_divisor=cfg.width_divisor).state_dict()
    result = fit(cfg, data.train, data.val, test=data.test, init_state=init)
    return [{k: row[k] for k in KEYS} for row in result.history]


def record() -> dict:
    from dcnn.train import NUMERICS

    data = task()
    return {"numerics": NUMERICS, "cpu": cpu_kind(), "histories": {name: train(name, data) for name in CASES}}


def main() -> int:
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    out = record()
    GOLDEN.write_text(json.dumps(out, indent=1) + "\n")
    print(f"recorded {len(out['histories'])} golden histories under numerics {out['numerics']} on {out['cpu']}: {GOLDEN}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
