"""GPU benchmark: the paper profile's transfer runs, one epoch each, the naive way against dcnn's runner.

    python bench/gpu_study.py [--train 500 --val 100 --classes 10 --workers 4 8]
    python bench/gpu_study.py --tiny   # seconds on a CPU: VGG16/32 at 32x32 (the test suite runs it)

Both ways train the same runs (the 8 VGG16 transfer variants of study.yaml at lr 0.002, full
VGG16 at 224x224, one epoch, then one pass over the validation split) on a generated ImageFolder of
JPEGs, in this one process. The naive way is what a notebook does: one run after another, eager
fp32, a torchvision DataLoader decoding the JPEGs every epoch, a fresh torchvision VGG16 per run.
dcnn decodes the images once, keeps them on the GPU, captures each training step as a CUDA graph and
trains several runs at once (``--workers``). Prints images per second of both and the ratio.

The ImageNet weights cannot be downloaded on an offline machine, so a weights file of the right
shape (random values) is written into a temporary TORCH_HOME; speed does not depend on the values.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_imagefolder(root: Path, n_train: int, n_val: int, classes: int) -> None:
    from PIL import Image

    rng = np.random.RandomState(0)
    for split, n in (("train", n_train), ("val", n_val)):
        for i in range(n):
            c = i % classes
            d = root / split / f"c{c:02d}"
            d.mkdir(parents=True, exist_ok=True)
            base = np.full((256, 256, 3), (c * 23 % 255, c * 71 % 255, c * 131 % 255), np.uint8)
            noise = rng.randint(0, 60, (256, 256, 3)).astype(np.uint8)
            Image.fromarray(base + noise).save(d / f"{i:05d}.jpg", quality=90)


def fake_imagenet_weights(torch_home: Path, width_divisor: int = 1) -> Path:
    from dcnn.train.models import build_model, weights_path

    os.environ["TORCH_HOME"] = str(torch_home)
    path = weights_path("vgg16", "IMAGENET1K_V1")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(build_model("vgg16", 1000, width_divisor=width_divisor).state_dict(), path)
    return path


# --tiny: a smoke test of this script on a CPU, with the VGG16 every width / 32 at 32x32.
TINY = {"image_size": 32, "vgg_width_divisor": 32}


def bench_study(tmp: Path, workers: int, tiny: bool = False) -> Path:
    d = yaml.safe_load((ROOT / "study.yaml").read_text())
    d["defaults"].update(epochs=1, seeds=1)
    variants = {}
    for name, v in d["variants"].items():
        if v.get("model", "") == "vgg16" or v.get("extends", "").startswith("vgg16"):
            if name == "vgg16-random-init":
                continue
            v["runs"] = [r for r in v["runs"] if r["lr"] == 0.002]
            v.pop("compare_to", None)
            if tiny and "pretrained" in v:   # torchvision's weights do not fit VGG16/32: random weights
                v["pretrained"] = False
            variants[name] = v
    d["variants"] = variants
    d["sweeps"], d["claims"], d["factors"] = {}, [], []
    d["profiles"] = {"paper": {**d["profiles"]["paper"], "workers_per_gpu": workers, **(TINY if tiny else {})}}
    path = tmp / f"study-{workers}.yaml"
    path.write_text(yaml.safe_dump(d))
    return path


def naive(study_path: Path, data: Path, weights: Path, device: str = "cuda", loader_workers: int = 4) -> dict:
    """One run after another, eager fp32, JPEGs decoded by a DataLoader every epoch."""
    import torch.nn.functional as F
    from torch import nn
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms
    from dcnn.study.resolve import load_study
    from dcnn.train.models import build_model, freeze_specs

    study = load_study(study_path, "paper")
    size, width = study.profile.image_size, study.profile.vgg_width_divisor
    tf = transforms.Compose([transforms.Resize(size * 256 // 224), transforms.CenterCrop(size), transforms.ToTensor(),
                             transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
    train_set = datasets.ImageFolder(str(data / "train"), tf)
    val_set = datasets.ImageFolder(str(data / "val"), tf)
    images, t0 = 0, time.perf_counter()
    for spec in study.runs:
        s = spec.settings
        torch.manual_seed(spec.seed)
        model = build_model("vgg16", 1000, width_divisor=width)
        model.load_state_dict(torch.load(weights, weights_only=True))
        model.classifier[6] = nn.Linear(4096 // width, len(train_set.classes))
        for fs in freeze_specs(s.freeze, "vgg16"):
            for m in list(model.get_submodule(fs.path))[fs.start:fs.stop]:
                for p in m.parameters():
                    p.requires_grad_(False)
        model.to(device)
        opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=s.lr, momentum=s.momentum)
        model.train()
        for x, y in DataLoader(train_set, batch_size=s.batch_size, shuffle=True, num_workers=loader_workers):
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            images += len(y)
        model.eval()
        with torch.no_grad():
            for x, y in DataLoader(val_set, batch_size=50, num_workers=loader_workers):
                F.cross_entropy(model(x.to(device)), y.to(device))
                images += len(y)
    if device == "cuda":
        torch.cuda.synchronize()
    secs = time.perf_counter() - t0
    return {"seconds": secs, "images": images, "img_per_s": images / secs, "runs": len(study.runs)}


def dcnn_runner(study_path: Path, data: Path, build: Path, workers: int, device: str = "cuda") -> dict:
    from dcnn.study.resolve import load_study
    from dcnn.results.collect import collect
    from dcnn.run.progress import Reporter
    from dcnn.run.runner import run_study

    study = load_study(study_path, "paper")
    t0 = time.perf_counter()
    summary = run_study(study, build, data_dir=data, device=device, workers=workers,
                        reporter=Reporter(live=False))
    secs = time.perf_counter() - t0
    results = collect(study, build, data_dir=data)
    images = sum(len(r["history"]) * (results["study"]["data"]["target"]["train_images"]
                                      + results["study"]["data"]["target"]["val_images"]) for r in results["runs"])
    train = [r["train_seconds"] for r in results["runs"] if r.get("train_seconds")]
    first = [r["history"][0]["seconds"] for r in results["runs"] if r["history"]]
    return {"seconds": secs, "images": images, "img_per_s": images / secs, "runs": len(results["runs"]),
            "trained": summary.trained, "failed": summary.failed,
            "statuses": sorted({r["status"] for r in results["runs"]}),
            "run_seconds_mean": sum(train) / len(train), "run_seconds_max": max(train),
            "epoch_seconds_mean": sum(first) / len(first)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", type=int, default=500)
    ap.add_argument("--val", type=int, default=100)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--workers", type=int, nargs="+", default=[4, 8])
    ap.add_argument("--out", default=os.environ.get("OUT", "."))
    ap.add_argument("--device", default="cuda", help="cpu: a smoke test of this script at a tiny size")
    ap.add_argument("--tiny", action="store_true", help="VGG16/32 at 32x32 on the CPU, 12 images: a smoke test")
    args = ap.parse_args()
    if args.tiny:
        args.device, args.train, args.val, args.classes, args.workers = "cpu", 8, 4, 2, [1]
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("bench/gpu_study.py needs a CUDA GPU (or --device cpu for a smoke test)")
    tmp = Path(tempfile.mkdtemp(prefix="dcnn-gpu-bench-"))
    data = tmp / "data"
    make_imagefolder(data, args.train, args.val, args.classes)
    weights = fake_imagenet_weights(tmp / "torch", TINY["vgg_width_divisor"] if args.tiny else 1)
    name = torch.cuda.get_device_name() if args.device == "cuda" else "cpu"
    out = {"device": name, "torch": torch.__version__,
           "train_images": args.train, "val_images": args.val, "classes": args.classes}
    size = TINY["image_size"] if args.tiny else 224
    print(f"device: {out['device']} · torch {out['torch']} · {args.train} train / {args.val} val images, "
          f"{args.classes} classes, {size}x{size}", flush=True)
    # --tiny decodes in the main process: 16 loaders of 4 forked workers cost more than its 12 images.
    out["naive"] = naive(bench_study(tmp, 1, args.tiny), data, weights, args.device, 0 if args.tiny else 4)
    print(f"naive (sequential, eager fp32, DataLoader): {out['naive']['img_per_s']:.0f} img/s "
          f"({out['naive']['images']} images in {out['naive']['seconds']:.1f} s)", flush=True)
    for w in args.workers:
        r = dcnn_runner(bench_study(tmp, w, args.tiny), data, tmp / f"build-{w}", w, args.device)
        out[f"dcnn_workers_{w}"] = r
        print(f"dcnn, {w} runs at once: {r['img_per_s']:.0f} img/s ({r['images']} images in {r['seconds']:.1f} s; "
              f"statuses {r['statuses']}) -> {r['img_per_s'] / out['naive']['img_per_s']:.2f}x naive; "
              f"per run {r['run_seconds_mean']:.1f} s mean, {r['run_seconds_max']:.1f} s max, of which its epoch "
              f"{r['epoch_seconds_mean']:.1f} s", flush=True)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    Path(args.out, "gpu_bench.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
