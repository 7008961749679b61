"""CPU benchmark: does dcnn's runner add overhead to training, and how long does the default study take?

    python bench/cpu_study.py             # both parts (the study part takes minutes)
    python bench/cpu_study.py --no-study  # only the runner-vs-bare-loop ratio
    python bench/cpu_study.py --tiny      # a seconds-long smoke test of parts 1 and 2 (the test suite runs it)

Part 1 trains the same VGG16/8 run (demo data, batch 1, SGD, one thread) twice in this process: with
a bare PyTorch loop written for the occasion, and through ``dcnn.run.runner.run_study`` (planning, cache
keys, per-epoch checkpoints, result files included). It prints both speeds and their ratio; the
best of ``--repeat`` tries of each counts.

Part 2 is the roofline (bench/roofline.py): the machine's copy bandwidth and matrix-product rate,
measured here, and every distinct training step of the study against them.

Part 3 times ``python -m dcnn report --run-missing`` on the shipped study.yaml in an empty build
directory (cold: every run trained, the report rendered) and then again (warm: everything cached),
and sets the cold time beside the compute the roofline's step times predict for the steps the runs
took: the rest is the scheduler's, the workers' and the report's.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EPOCHS = 3


def demo_pool() -> int:
    """The demo profile's VGG16 pool (study.yaml; 7: torchvision's)."""
    return yaml.safe_load((ROOT / "study.yaml").read_text())["profiles"]["demo"].get("vgg_pool", 7)


def bare_loop(train, val, mean, std, epochs: int = EPOCHS, pool: int = 7) -> float:
    """The plainest correct loop: images/s over training and evaluation. With pool 7 (torchvision's
    layout) it is the yardstick every recorded time is set against; with the demo's pool, the same
    network the runner trains."""
    from dcnn.train.models import build_model

    torch.manual_seed(0)
    model = build_model("vgg16", 5, width_divisor=8, **({"vgg_pool": pool} if pool != 7 else {}))
    opt = torch.optim.SGD(model.parameters(), lr=0.002)
    m = torch.tensor(mean).view(1, 3, 1, 1)
    s = torch.tensor(std).view(1, 3, 1, 1)
    x_train = (train.x.float() / 255 - m) / s
    x_val = (val.x.float() / 255 - m) / s
    t0 = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for i in torch.randperm(len(train)).tolist():
            loss = F.cross_entropy(model(x_train[i:i + 1]), train.y[i:i + 1])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        model.eval()
        with torch.no_grad():
            F.cross_entropy(model(x_val), val.y).item()
    return epochs * (len(train) + len(val)) / (time.perf_counter() - t0)


def runner(tmp: Path, epochs: int = EPOCHS, per_class: int = 50) -> float:
    from dcnn.study.resolve import load_study
    from dcnn.run.progress import Reporter
    from dcnn.run.runner import run_study

    d = yaml.safe_load((ROOT / "study.yaml").read_text())
    d["defaults"].update(epochs=epochs, seeds=1)
    d["profiles"]["demo"].update(train_per_class=per_class, val_per_class=per_class)
    v = d["variants"]["vgg16-random-init"]
    v.pop("extends")
    v.pop("also_compare_to", None)
    v.update(model="vgg16", normalise="backbone", runs=[{"lr": 0.002, "section": "A.1"}])
    d["variants"] = {"vgg16-random-init": v}
    d["sweeps"], d["claims"], d["analysis"]["variance"], d["factors"] = {}, [], [], []
    path = tmp / "study.yaml"
    path.write_text(yaml.safe_dump(d))
    study = load_study(path)
    build = Path(tempfile.mkdtemp(dir=tmp))
    t0 = time.perf_counter()
    run_study(study, build, workers=1, device="cpu", reporter=Reporter(stream=open(os.devnull, "w")))
    n_train = study.profile.train_per_class * 5
    n_val = study.profile.val_per_class * 5
    return epochs * (n_train + n_val) / (time.perf_counter() - t0)


def ratio_part(repeat: int, epochs: int = EPOCHS, per_class: int = 50) -> None:
    from dcnn.data.images import load_digits_tasks

    torch.set_num_threads(1)
    source, target = load_digits_tasks(train_per_class=per_class, val_per_class=per_class)
    mean, std = source.channel_stats()
    tmp = Path(tempfile.mkdtemp(prefix="dcnn-cpu-bench-"))
    pool = demo_pool()
    bare, same, ours = [], [], []
    for _ in range(repeat):   # interleaved, so that drift in the machine's speed hits all three
        bare.append(bare_loop(target.train, target.val, mean, std, epochs))
        if pool != 7:
            same.append(bare_loop(target.train, target.val, mean, std, epochs, pool))
        ours.append(runner(tmp, epochs, per_class))
    n = 5 * per_class
    all_ = lambda xs: ", ".join(f"{x:.0f}" for x in xs)  # noqa: E731
    print(f"VGG16/8, batch 1, {epochs} epochs of {n} + {n} images, 1 thread (best of {repeat}):")
    print(f"  bare PyTorch loop : {max(bare):7.1f} img/s   (all: {all_(bare)})   torchvision's 7×7 pool: the yardstick")
    if same:
        print(f"  bare, the demo's  : {max(same):7.1f} img/s   (all: {all_(same)})   its {pool}×{pool} pool, as the runner trains")
    print(f"  dcnn runner       : {max(ours):7.1f} img/s   (all: {all_(ours)})")
    print(f"  ratio runner/bare : {max(ours) / max(same or bare):.2f}" + ("   (the same network)" if same else ""))


def study_part() -> tuple[Path, float]:
    build = Path(tempfile.mkdtemp(prefix="dcnn-study-bench-"))
    cold = 0.0
    cmd = [sys.executable, "-m", "dcnn", "report", "--run-missing", "--build", str(build)]
    for label in ("cold (empty cache)", "warm (all cached)"):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        secs = time.perf_counter() - t0
        if proc.returncode != 0:
            sys.exit(f"dcnn report failed:\n{proc.stderr}")
        summary = next((l for l in proc.stderr.splitlines() if " trained, " in l or "nothing to train" in l), "")
        print(f"default study, {label}: {secs:6.1f} s   [{summary.strip()}]", flush=True)
        cold = cold or secs
    print(f"  (build directory: {build})")
    return build, cold


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-study", action="store_true", help="skip the whole-study timing")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--tiny", action="store_true", help="1 epoch of 20 + 20 images, no study: a smoke test")
    ap.add_argument("--no-roofline", action="store_true", help="skip the roofline table")
    ap.add_argument("--workers", type=int, default=2, help="the study's workers (its -j default here)")
    args = ap.parse_args()
    print(f"torch {torch.__version__} · {os.cpu_count()} CPUs · {sys.platform}")
    sys.path.insert(0, str(ROOT / "bench"))
    import roofline

    if args.tiny:
        ratio_part(1, epochs=1, per_class=4)
        roofline.roofline(n_steps=2, repeat=1, limit=1)
        return
    ratio_part(args.repeat)
    limits, profiles = roofline.roofline() if not args.no_roofline else (None, None)
    if not args.no_study:
        build, cold = study_part()
        if profiles is not None:
            compute = roofline.predicted_compute(build, profiles)
            print(f"predicted from the roofline's step times: {compute:.0f} s of one thread = "
                  f"{compute / args.workers:.0f} s on {args.workers} workers; measured cold {cold:.0f} s: "
                  f"{cold / (compute / args.workers):.2f}× the prediction")
            bound = roofline.predicted_compute(build, profiles, limits=limits)
            print(f"the same steps at the roofline (each at the nearer of its bandwidth and arithmetic bounds): "
                  f"{bound:.0f} s of one thread = {bound / args.workers:.0f} s on {args.workers} workers")


if __name__ == "__main__":
    main()
