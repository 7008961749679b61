"""Shared helpers: tiny studies that train in seconds on a CPU, and an ImageFolder on disk."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "study.yaml"

# The demo profile at toy scale: 4 images per class, a VGG16 with widths / 32, two epochs.
TINY_PROFILE = {
    "data": "digits", "image_size": 32, "train_per_class": 4, "val_per_class": 4, "source_train_per_class": 20,
    "split_seed": 0,
    "vgg_width_divisor": 32, "augment": "digits",
    "pretrain": {"epochs": 2, "batch_size": 8, "optimizer": "adam", "lr": 0.001, "seed": 0},
}


def real_study_dict() -> dict:
    return yaml.safe_load(STUDY.read_text())


def shrunk_study(seeds: int = 1, epochs: int = 2, sweep_depths=(0, 4, 13)) -> dict:
    """The shipped study.yaml with its structure intact (27 figures, claims, sweep), at toy scale."""
    d = real_study_dict()
    d["defaults"].update(epochs=epochs, seeds=seeds)
    d["profiles"]["demo"] = copy.deepcopy(TINY_PROFILE)
    for sw in d.get("sweeps", {}).values():
        if sw["vary"] == "frozen_conv_layers":
            sw["values"] = list(sweep_depths)
        elif sw["vary"] == "lr":
            sw["values"] = [v for v in sw["values"] if v in (0.2, 0.02, 0.002)]
    for fa in d.get("factors", []):     # an analysis over the depths keeps those the sweeps still run
        if "frozen_conv_layers" in fa["over"]:
            fa["over"]["frozen_conv_layers"] = [v for v in fa["over"]["frozen_conv_layers"] if v in sweep_depths]
    return d


def minimal_study() -> dict:
    """Three variants, one learning rate each: the smallest study that exercises every path."""
    return {
        "title": "tiny",
        "defaults": {"epochs": 2, "batch_size": 4, "seeds": 1},
        "profiles": {"demo": copy.deepcopy(TINY_PROFILE)},
        "variants": {
            "scratch": {"title": "Scratch CNN", "model": "scratch_cnn",
                        "runs": [{"lr": 0.01, "section": "2.1", "figure": 1}]},
            "vgg16-train-all": {"title": "VGG16 nothing frozen", "model": "vgg16", "pretrained": True,
                                "normalise": "backbone", "compare_to": "scratch",
                                "runs": [{"lr": 0.01, "section": "3.1", "figure": 2}]},
            "vgg16-freeze-all": {"extends": "vgg16-train-all", "title": "VGG16 features frozen",
                                 "freeze": ["features[0:30]"], "runs": [{"lr": 0.01, "section": "3.2", "figure": 3}]},
        },
    }


def write_study(path: Path, d: dict) -> Path:
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    return path


def dcnn(*args: str, env: dict | None = None, check: bool = False, timeout: float = 600,
         cwd: Path | None = None, fresh: bool = False) -> subprocess.CompletedProcess:
    """python -m dcnn ... as a process of its own, in a session of its own (so that a SIGKILL to its
    process group takes it and its workers alone): forked from a server that has done the imports
    (forked.py), or, with ``fresh``, a new interpreter."""
    full_env = {k: v for k, v in os.environ.items() if k != "DCNN_FAULT"}
    full_env.update(PYTHONUNBUFFERED="1", **(env or {}))
    if fresh:
        proc = subprocess.run([sys.executable, "-m", "dcnn", *args], capture_output=True, text=True, env=full_env,
                              timeout=timeout, cwd=cwd or ROOT, start_new_session=True)
    else:
        proc = dcnn_start(*args, env=full_env, cwd=cwd).run(timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"dcnn {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def dcnn_start(*args: str, env: dict | None = None, cwd: Path | None = None):
    """python -m dcnn ... started, not waited for: a Popen-like ``forked.Forked`` (pid, communicate,
    returncode), in a session of its own so that os.killpg(pid, SIGINT) is a Ctrl-C in its terminal."""
    from forked import Forked

    return Forked(args, env if env is not None else {**os.environ, "PYTHONUNBUFFERED": "1"}, cwd or ROOT)


def dcnn_here(*args: str, env: dict | None = None, check: bool = False) -> subprocess.CompletedProcess:
    """dcnn's ``main`` in this process, its output captured, for a command that no test kills or
    interrupts: the same code as ``dcnn()`` without an interpreter's start and imports (about 7 s of CPU
    each on a 2-core test machine). ``env`` is set for the call only; DCNN_FAULT never is."""
    import contextlib
    import io

    from dcnn.cli import main

    changes = {"DCNN_FAULT": None, **(env or {})}
    saved = {k: os.environ.get(k) for k in changes}
    out, err = io.StringIO(), io.StringIO()
    try:
        _set_env(changes)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = main(list(args))
            except SystemExit as exc:       # argparse's errors (and --help) exit
                rc = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    finally:
        _set_env(saved)
    proc = subprocess.CompletedProcess(["dcnn", *args], rc, out.getvalue(), err.getvalue())
    if check and rc != 0:
        raise AssertionError(f"dcnn {' '.join(args)} failed ({rc}):\n{proc.stderr}")
    return proc


def _set_env(values: dict) -> None:
    for k, v in values.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def strip_volatile(results: dict) -> dict:
    """results.json without what legitimately differs between two identical studies (times, devices)."""
    r = copy.deepcopy(results)
    for run in r["runs"]:
        for h in run["history"]:
            h.pop("seconds", None)
        for k in ("train_seconds", "env", "device"):
            run.pop(k, None)
    r["study"].pop("train_seconds", None)
    for b in r["study"]["pretraining"].get("backbones", []):
        b.pop("train_seconds", None)
        for h in b.get("history", []):
            h.pop("seconds", None)
    r["study"].pop("file", None)
    if "provenance" in r:   # seconds, the machines that trained and reported
        r["provenance"].pop("compute", None)
        r["provenance"].pop("report_machine", None)
    return r


def load_results(build: Path) -> dict:
    return json.loads((build / "results.json").read_text())


def make_imagefolder(root: Path, classes: int = 5, per_class: int = 2, size: int = 40) -> Path:
    from PIL import Image

    import numpy as np

    rng = np.random.RandomState(0)
    for split in ("train", "val"):
        for c in range(classes):
            d = root / split / f"class{c}"
            d.mkdir(parents=True, exist_ok=True)
            for i in range(per_class):
                arr = (rng.rand(size, size, 3) * 255).astype("uint8")
                Image.fromarray(arr).save(d / f"img{i}.png")
    return root


@pytest.fixture(scope="session")
def paper_shaped(tmp_path_factory) -> tuple[Path, Path]:
    """The shipped study at toy scale, trained and reported once per test session: (study file, build)."""
    tmp = tmp_path_factory.mktemp("paper_shaped")
    study = write_study(tmp / "study.yaml", shrunk_study(seeds=2))
    build = tmp / "build"
    proc = dcnn_here("report", "--run-missing", "--study", str(study), "--build", str(build), "-j", "1")
    assert proc.returncode == 0, proc.stderr
    return study, build


@pytest.fixture(scope="session")
def ray_cluster():
    """One Ray cluster for every Ray test (each start costs 10-20 s here), made as Ray's own multi-node
    tests make theirs: a head without CPUs and two worker nodes of one CPU each. A test that removes a
    worker node adds another: (cluster, its worker nodes)."""
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    workers = [cluster.add_node(num_cpus=1) for _ in range(2)]
    cluster.wait_for_nodes()
    yield cluster, workers
    cluster.shutdown()


# ---- what a run did: progress lines, checkpoints, steps ------------------------------------------

def progress_lines(stderr: str) -> dict[str, str]:
    """The per-run progress lines ``[k/n] <label>: <detail>`` as {label: detail}."""
    import re

    out = {}
    for line in stderr.splitlines():
        m = re.match(r"^\[\d+/\d+\] (.+?): (.*)$", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def resumed(stderr: str) -> dict[str, tuple[int, int]]:
    """{label: (epoch it resumed at, steps it trained then)} from the progress lines."""
    import re

    out = {}
    for label, detail in progress_lines(stderr).items():
        m = re.search(r"resumed at epoch (\d+) of \d+, (\d+) steps", detail)
        if m:
            out[label] = (int(m.group(1)), int(m.group(2)))
    return out


def checkpoint_epochs(build: Path) -> dict[str, int]:
    """{run directory: last finished epoch} of every valid checkpoint under ``build``."""
    from dcnn.store.build import load_tensors

    out = {}
    for path in sorted(build.glob("*/*/checkpoint.pt")):
        state = load_tensors(path)
        if state is not None:
            out[path.parent.name] = int(state["epoch"])
    return out


def wait_for_checkpoint(build: Path, timeout: float = 180) -> None:
    """Wait until some run under ``build`` has a checkpoint (it has finished an epoch)."""
    deadline = time.time() + timeout
    while not checkpoint_epochs(build) and time.time() < deadline:
        time.sleep(0.05)
    assert checkpoint_epochs(build), "no checkpoint appeared"


def steps_per_epoch(study_path: Path) -> dict[str, tuple[int, int]]:
    """{run directory name: (optimizer steps per epoch, epochs)} of every job of a demo-profile study."""
    import math

    from dcnn.study.resolve import load_study
    from dcnn.registry.data import load_study_data
    from dcnn.run.plan import plan
    from dcnn.store.build import Store

    study = load_study(study_path)
    data = load_study_data(study, None, None)
    pretrains, jobs = plan(study, data, study.runs)
    out = {}
    for job in pretrains + jobs:
        n = len(data.source.train) if job.is_pretraining else len(data.target.train)
        out[Store.short(job.key)] = (math.ceil(n / job.config.batch_size), job.config.epochs)
    return out


def trace_count(trace: Path, point: str) -> int:
    return trace.read_text().split().count(point) if trace.exists() else 0


# ---- xdist: tests that share a built study run on one worker, so that it is built once ------------

SHARED_BUILDS = ("paper_shaped", "second")   # session / module fixtures that train and report a study


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Each test using a shared build joins that build's xdist group (`make test` runs --dist loadgroup)."""
    for item in items:
        for name in SHARED_BUILDS:
            if name in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.xdist_group(name))

