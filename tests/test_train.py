"""fit(): determinism, divergence, resuming, and a run killed with SIGKILL mid-epoch."""
import json
import math
import shutil

import pytest

from conftest import dcnn, dcnn_here, load_results, minimal_study, resumed, trace_count, write_study
from dcnn.data.images import load_digits_tasks
from dcnn.study.settings import RunConfig
from dcnn.train.fit import fit


@pytest.fixture(scope="module")
def task():
    return load_digits_tasks(train_per_class=4, val_per_class=3)[1]


def no_seconds(history):
    return [{k: v for k, v in h.items() if k != "seconds"} for h in history]


def test_same_seed_gives_an_identical_history(task):
    cfg = RunConfig(model="scratch_cnn", num_classes=5, lr=0.05, seed=3, epochs=3, dropout=0.5,
                    augment=True, augment_preset="digits")
    a, b = fit(cfg, task.train, task.val), fit(cfg, task.train, task.val)
    assert no_seconds(a.history) == no_seconds(b.history)
    c = fit(cfg.model_copy(update={"seed": 4}), task.train, task.val)
    assert no_seconds(c.history) != no_seconds(a.history)


def test_a_nan_loss_stops_the_run_as_diverged(task):
    res = fit(RunConfig(model="vgg16", num_classes=5, lr=1e6, seed=0, epochs=5, width_divisor=32),
              task.train, task.val)
    assert res.status == "diverged"
    assert res.diverged_epoch == len(res.history) + 1
    assert all(math.isfinite(h["val_loss"]) for h in res.history)
    # The epoch it diverged in is kept step by step, to the first non-finite loss (written as null).
    d = res.divergence
    assert d["epoch"] == res.diverged_epoch and d["step"] == len(d["step_losses"]) and d["step_losses"][-1] is None
    assert all(math.isfinite(v) for v in d["step_losses"][:-1]) and d["non_finite"] in ("nan", "inf", "-inf")
    json.dumps(d, allow_nan=False)                          # storable as it is


class MemoryCheckpoint:
    def __init__(self):
        self.state = None

    def load(self):
        return self.state

    def save(self, state):
        self.state = {k: (dict(v) if isinstance(v, dict) else v) for k, v in state.items()}


def test_resuming_from_a_checkpoint_equals_an_uninterrupted_run(task):
    cfg = RunConfig(model="vgg16", num_classes=5, lr=0.01, seed=0, epochs=4, width_divisor=32, momentum=0.9,
                    batch_size=2)
    full = fit(cfg, task.train, task.val)
    ckpt = MemoryCheckpoint()
    stops = iter([False, True])
    first = fit(cfg, task.train, task.val, checkpoint=ckpt, should_stop=lambda: next(stops))
    assert first.status == "interrupted" and len(first.history) == 2 and ckpt.state["epoch"] == 2
    epochs_seen = []
    second = fit(cfg, task.train, task.val, checkpoint=ckpt, on_epoch=lambda e, row: epochs_seen.append(e))
    assert second.status == "complete"
    # It continued after the checkpoint: only epochs 3 and 4 trained (20 images at batch 2: 10 steps each) ...
    assert second.start_epoch == 3 and epochs_seen == [3, 4] and second.steps == 2 * 10
    assert full.start_epoch == 1 and full.steps == 4 * 10
    # ... and gave what the uninterrupted run gave.
    assert no_seconds(second.history) == no_seconds(full.history)


def test_sigkill_mid_epoch_then_rerun_gives_the_uninterrupted_history(tmp_path):
    d = minimal_study()
    d["defaults"]["epochs"] = 3
    d["variants"] = {"vgg16-train-all": d["variants"]["vgg16-train-all"]}
    d["variants"]["vgg16-train-all"].pop("compare_to")
    d["variants"]["vgg16-train-all"]["batch_size"] = 1
    study = write_study(tmp_path / "study.yaml", d)
    ref, killed = tmp_path / "ref", tmp_path / "killed"
    dcnn_here("run", "--study", str(study), "--build", str(ref), "-j", "1", check=True)
    shutil.copytree(ref / "pretrain", killed / "pretrain")   # so that only the run itself counts steps
    # 20 training images per epoch at batch 1: step 30 is the middle of epoch 2.
    proc = dcnn("run", "--study", str(study), "--build", str(killed), "-j", "1", env={"DCNN_FAULT": "train.step:30"})
    assert proc.returncode == -9 or proc.returncode == 137, proc.stderr
    ckpts = list((killed / "runs").glob("*/checkpoint.pt"))
    assert len(ckpts) == 1, "the run died after its first epoch's checkpoint"
    assert not list((killed / "runs").glob("*/result.json"))
    trace = tmp_path / "trace"
    rerun = dcnn_here("run", "--study", str(study), "--build", str(killed), "-j", "1", "-v",
                      env={"DCNN_FAULT_TRACE": str(trace)}, check=True)
    # The progress line says where it continued: epoch 2 of 3, so two epochs of 20 steps were left.
    assert resumed(rerun.stderr) == {"vgg16-train-all lr=0.01 seed=0": (2, 40)}, rerun.stderr
    assert trace_count(trace, "train.step") == 40
    for b in (ref, killed):
        dcnn_here("report", "--study", str(study), "--build", str(b), "--no-pdf", check=True)
    a, b = load_results(ref)["runs"][0], load_results(killed)["runs"][0]
    assert a["status"] == b["status"] == "complete"
    assert no_seconds(a["history"]) == no_seconds(b["history"])
    assert not list((killed / "runs").glob("*/checkpoint.pt"))  # a finished run leaves no checkpoint


def test_weight_decay_is_a_setting_the_optimizers_apply(tmp_path, task):
    """Declared once (settings.Training): a study sets it, sweeps it, the key hashes it, SGD and Adam use it."""
    from dcnn.study.resolve import StudyError, load_study
    from dcnn.train.fit import build_for_fit, make_optimizer

    for optimizer in ("sgd", "adam"):
        cfg = RunConfig(model="scratch_cnn", num_classes=5, lr=0.1, seed=0, optimizer=optimizer, weight_decay=0.01)
        opt = make_optimizer(cfg, list(build_for_fit(cfg, None).parameters()))
        assert opt.param_groups[0]["weight_decay"] == 0.01
    plain = fit(RunConfig(model="scratch_cnn", num_classes=5, lr=0.05, seed=0, epochs=1, batch_size=4), task.train,
                task.val)
    decayed = fit(RunConfig(model="scratch_cnn", num_classes=5, lr=0.05, seed=0, epochs=1, batch_size=4,
                            weight_decay=0.1), task.train, task.val)
    assert plain.history[0]["train_loss"] != decayed.history[0]["train_loss"]
    d = minimal_study()
    d["defaults"]["weight_decay"] = 0.001
    d["variants"]["scratch"]["weight_decay"] = 0.01
    d["sweeps"] = {"wd": {"extends": "scratch", "title": "decay", "vary": "weight_decay", "values": [0.0, 0.1],
                          "lr": 0.01, "section": "5"}}
    study = load_study(write_study(tmp_path / "s.yaml", d))
    by = {r.variant: r.settings.weight_decay for r in study.runs}
    assert by["scratch"] == 0.01 and by["vgg16-train-all"] == 0.001 and by["wd-0.1"] == 0.1
    d["variants"]["scratch"]["weight_decay"] = -1
    with pytest.raises(StudyError, match="variants.scratch.weight_decay: Input should be greater than or equal to 0"):
        load_study(write_study(tmp_path / "s.yaml", d))
