"""Where a training step's time goes, against the machine's own limits, measured in the same run:
the copy bandwidth (one large ``copy_``) and the peak arithmetic rate (one large ``torch.mm``), each
on one thread; for each model of a study at its batch size, the measured step time, the bytes its
parameters and activations move, its arithmetic (torch's FlopCounterMode, forward and backward), and
the step's share of the nearer limit (a roofline). And for a finished build, the study's compute
predicted from those step times against the measured wall time.

    python bench/roofline.py                 # the default study's models
    python bench/roofline.py --build DIR     # and the prediction for a build of it
"""
from __future__ import annotations

import argparse
from typing import Optional
import math
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def machine_limits(repeat: int = 5) -> dict:
    """{bandwidth: bytes/s of one large copy (read + write), flops: one large matrix product's rate}."""
    torch.set_num_threads(1)
    a = torch.empty(32 * 2 ** 20)            # 128 MB: far past every cache
    b = torch.empty_like(a)
    b.copy_(a)
    copy = _best(lambda: b.copy_(a), repeat)
    m = torch.randn(1024, 1024)
    m @ m
    mm = _best(lambda: m @ m, repeat)
    return {"bandwidth": 2 * a.numel() * 4 / copy, "flops": 2 * 1024 ** 3 / mm}


@dataclass
class StepProfile:
    label: str
    batch_size: int
    step_s: float            # one training step, measured (median)
    eval_s_per_image: float  # evaluation, per image (batches of 500)
    flops: float             # one training step: forward and backward
    bytes: float             # parameters and activations moved in one step
    params: int
    trainable: int

    def bounds(self, limits: dict) -> tuple[float, float]:
        return self.bytes / limits["bandwidth"], self.flops / limits["flops"]

    def row(self, limits: dict) -> str:
        t_mem, t_flop = self.bounds(limits)
        nearer = "memory" if t_mem >= t_flop else "arithmetic"
        share = max(t_mem, t_flop) / self.step_s
        return (f"  {self.label:<28} {self.batch_size:>5} {1e3 * self.step_s:>8.3f} {self.flops / 1e6:>8.1f} "
                f"{self.bytes / 1e6:>8.1f} {1e3 * t_mem:>8.3f} {1e3 * t_flop:>8.3f}  {nearer:<10} {100 * share:>5.1f} %")


def _activation_bytes(model: torch.nn.Module, x: torch.Tensor) -> float:
    """The bytes of every module's output in one forward pass: each is written, read again by the
    backward pass and its gradient written and read (4 passes over it)."""
    sizes = []
    hooks = [m.register_forward_hook(lambda mod, inp, out: sizes.append(out.numel() * out.element_size()))
             for m in model.modules() if not list(m.children())]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return 4.0 * sum(sizes)


def profile_step(cfg, n_steps: int = 60) -> StepProfile:
    """One configuration's training step on random 32×32 digits-like inputs, as dcnn trains it."""
    from torch.utils.flop_counter import FlopCounterMode

    from dcnn.train.models import build_for_fit, param_counts
    from dcnn.train.optim import make_optimizer

    torch.set_num_threads(1)
    model = build_for_fit(cfg, None)
    opt = make_optimizer(cfg, [p for p in model.parameters() if p.requires_grad])
    x = torch.rand(cfg.batch_size, 3, 32, 32)
    y = torch.randint(0, cfg.num_classes, (cfg.batch_size,))

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    for _ in range(10):
        step()
    times = []
    for _ in range(n_steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    counter = FlopCounterMode(display=False)
    with counter:
        step()
    trainable, total = param_counts(model)
    # Parameters: a frozen one is read once (forward); a trainable one is read forward, its gradient
    # written, then SGD reads the gradient and the weight and writes the weight: five passes.
    param_bytes = 4.0 * ((total - trainable) + 5 * trainable)
    model.eval()
    xe = torch.rand(500, 3, 32, 32)
    with torch.no_grad():
        model(xe)
        ev = _best(lambda: model(xe), 3) / 500
    model.train()
    return StepProfile("", cfg.batch_size, statistics.median(times), ev, float(counter.get_total_flops()),
                       param_bytes + _activation_bytes(model, x), total, trainable)


def step_key(s) -> tuple:
    """What makes two runs' training steps the same: model, width, batch, what is frozen, VGG's pool."""
    return (s.model, s.width_divisor, s.batch_size, s.freeze, getattr(s, "vgg_pool", None))


def study_configs(study_path: Path = ROOT / "study.yaml") -> dict[tuple, object]:
    """{(model, width, batch, freeze): a RunConfig} of every distinct training step of a study."""
    from dcnn.study.resolve import load_study

    study = load_study(study_path)
    out = {}
    for r in study.runs:
        s = r.settings
        key = step_key(s)
        out.setdefault(key, s.model_copy(update={"num_classes": 5, "lr": 0.001, "pretrained": False}))
    return out


def label(key: tuple) -> str:
    model, width, _, freeze, pool = key
    name = {"vgg16": f"VGG16/{width}" + (f" pool {pool}" if pool else ""), "scratch_cnn": "scratch CNN"}.get(model, model)
    return f"{name}" + (f" ({', '.join(freeze)} frozen)" if freeze else "")


def roofline(study_path: Path = ROOT / "study.yaml", n_steps: int = 60, repeat: int = 5,
             limit: int = 0) -> tuple[dict, dict]:
    """Prints the machine's limits and every distinct step of the study (the first ``limit``, if set)
    against them; returns (limits, {key: StepProfile})."""
    limits = machine_limits(repeat)
    print(f"machine, one thread: copy bandwidth {limits['bandwidth'] / 1e9:.1f} GB/s, matrix product "
          f"{limits['flops'] / 1e9:.1f} GFLOP/s")
    print(f"  {'step (batch of 32×32 images)':<28} {'batch':>5} {'ms':>8} {'MFLOP':>8} {'MB':>8} {'ms@bw':>8} "
          f"{'ms@peak':>8}  {'nearer':<10} {'share':>7}")
    profiles = {}
    for key, cfg in list(study_configs(study_path).items())[:limit or None]:
        p = profile_step(cfg, n_steps)
        p.label = label(key)
        profiles[key] = p
        print(p.row(limits), flush=True)
    return limits, profiles


def predicted_compute(build: Path, profiles: dict, study_path: Path = ROOT / "study.yaml",
                      limits: Optional[dict] = None) -> float:
    """The study's training compute, in seconds of one thread, from the measured step and evaluation
    times and the steps and epochs each run of ``build`` took (a diverged run's cut short). With the
    machine's ``limits``: the same steps each at its roofline bound, the nearer of the bandwidth's and the
    matrix product's time (evaluations at the measured time, scaled alike), and the pretraining as
    measured: how fast the study could train if no step paid more than the hardware asks."""
    import json

    from dcnn.study.resolve import load_study

    results = json.loads((build / "results.json").read_text())
    study = load_study(study_path)
    n_train, n_eval = results["study"]["data"]["target"]["train_images"], \
        results["study"]["data"]["target"]["val_images"] + results["study"]["data"]["target"]["test_images"]
    total = 0.0
    seen = set()
    for spec, run in zip(study.runs, results["runs"]):
        if run["key"] in seen:
            continue
        seen.add(run["key"])
        s = spec.settings
        p = profiles[step_key(s)]
        per_epoch = math.ceil(n_train / s.batch_size)
        div = run.get("divergence") or {}
        steps = len(run["history"]) * per_epoch + (div.get("step") or 0)
        scale = 1.0 if limits is None else max(p.bounds(limits)) / p.step_s
        total += scale * (steps * p.step_s + len(run["history"]) * n_eval * p.eval_s_per_image)
    for b in results["study"]["pretraining"]["backbones"]:
        total += b.get("train_seconds") or 0.0       # (the pretraining as measured: another task)
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", type=Path, help="a finished build of the study: predict its compute")
    ap.add_argument("--wall", type=float, help="its measured cold wall time, s")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--steps", type=int, default=60)
    args = ap.parse_args()
    _, profiles = roofline(n_steps=args.steps)
    if args.build:
        compute = predicted_compute(args.build, profiles)
        print(f"predicted compute {compute:.0f} s of one thread = {compute / args.workers:.0f} s on {args.workers} workers"
              + (f"; measured wall {args.wall:.0f} s: overhead {args.wall / (compute / args.workers):.2f}×"
                 if args.wall else ""))


if __name__ == "__main__":
    main()
