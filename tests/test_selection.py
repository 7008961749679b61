"""Honest variance and selection: a held-out test split evaluated every epoch and never chosen on,
several backbones per model (a run's seed picks one), and what the error bars capture."""
import copy

import pytest
import torch

from conftest import TINY_PROFILE, dcnn, dcnn_here, load_results, make_imagefolder, minimal_study, write_study
from dcnn import analysis as A
from dcnn.data.images import Split, load_digits_tasks
from dcnn.study.settings import RunConfig
from dcnn.train.fit import fit

STATS = ("train_loss", "val_loss", "val_acc", "val_top_share", "val_logit_range")


def test_the_digits_test_split_is_what_train_and_validation_leave():
    old_source, old = load_digits_tasks(train_per_class=50, val_per_class=50)
    source, new = load_digits_tasks(train_per_class=50, val_per_class=50, test_per_class=50)
    assert torch.equal(old.train.x, new.train.x) and torch.equal(old.val.y, new.val.y)    # unchanged
    assert old.test is None and len(new.test) == 250 and torch.bincount(new.test.y).tolist() == [50] * 5
    assert source.test is None                                    # the source task's images are all in use
    assert new.fingerprint != old.fingerprint


def test_no_decision_reads_the_test_split():
    """Shuffled test labels change the test numbers and nothing else: not a step of training, not the
    epoch chosen, not a plateau, not a verdict about anything but a test metric."""
    _, task = load_digits_tasks(train_per_class=6, val_per_class=4, test_per_class=6)
    shuffled = Split(task.test.x, task.test.y[torch.randperm(len(task.test), generator=torch.Generator().manual_seed(1))])
    cfg = RunConfig(model="scratch_cnn", num_classes=5, lr=0.05, seed=2, epochs=4, batch_size=3, dropout=0.3)
    runs = [fit(cfg, task.train, task.val, test=t).history for t in (task.test, shuffled, None)]
    for h in runs[1:]:
        assert [{k: e[k] for k in STATS} for e in h] == [{k: e[k] for k in STATS} for e in runs[0]]
    assert [e["test_loss"] for e in runs[0]] != [e["test_loss"] for e in runs[1]] and "test_loss" not in runs[2][0]
    metrics = [A.compute_metrics(h, 5) for h in runs]
    test_keys = {"test_loss_at_best", "test_acc_at_best", "selection_gap"}
    assert all({k: v for k, v in m.items() if k not in test_keys} ==
               {k: v for k, v in metrics[0].items() if k not in test_keys} for m in metrics[1:])


def _study(d, tmp_path, *args, jobs="1"):
    study = write_study(tmp_path / "study.yaml", d)
    build = tmp_path / "build"
    run = dcnn_here if jobs == "1" else dcnn     # worker processes are spawned from a process of their own
    run("report", "--run-missing", "--no-pdf", "-j", jobs, "--study", str(study), "--build", str(build), *args,
        check=True)
    return load_results(build), (build / "report.html").read_text()


@pytest.mark.slow
def test_each_seed_fine_tunes_its_backbone_and_the_spread_is_split_by_source(tmp_path):
    d = minimal_study()
    d["profiles"]["demo"] = dict(copy.deepcopy(TINY_PROFILE), test_per_class=5)
    d["profiles"]["demo"]["pretrain"]["seeds"] = 2
    d["defaults"]["seeds"] = 4
    d["analysis"] = {"variance": ["vgg16-train-all@0.01"]}
    r, html = _study(d, tmp_path, jobs="2")
    pre = r["study"]["pretraining"]
    assert pre["per_model"] == 2 and [b["seed"] for b in pre["backbones"]] == [0, 1]
    assert pre["backbones"][0]["key"] != pre["backbones"][1]["key"]
    vgg = [x for x in r["runs"] if x["variant"] == "vgg16-train-all"]
    assert [x["backbone"] for x in vgg] == [0, 1, 0, 1]
    assert all(x["backbone"] is None for x in r["runs"] if x["variant"] == "scratch")
    v = r["variance"][0]
    assert v["group"] == "vgg16-train-all@0.01" and v["n_backbones"] == 2 and 0 <= v["share_backbone"] <= 1
    assert v["between"] >= 0 and v["within"] > 0 and v["metric"] == "test_loss_at_best"
    assert "the backbone accounts for" in html and "Seeds vary the backbone (one of 2)" in html
    assert "The 2 &#34;pretrained VGG16/32&#34; backbones" in html or "The 2 \"pretrained VGG16/32\" backbones" in html
    for run in r["runs"]:
        m = run["metrics"]
        assert all("test_loss" in h for h in run["history"])
        assert m["selection_gap"] == pytest.approx(m["test_loss_at_best"] - m["best_val_loss"])
    assert r["selection"]["groups"] and "test at best" in html and "what choosing on validation flatters" in html


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["test folder", "test_fraction", "neither"])
def test_an_imagefolder_trains_and_reports_with_a_test_folder_a_fraction_or_neither(tmp_path, layout):
    data = make_imagefolder(tmp_path / "data", classes=3, per_class=4, size=24)
    if layout == "test folder":
        test = make_imagefolder(tmp_path / "t", classes=3, per_class=2, size=24)
        (test / "train").rename(data / "test")
    d = {"title": "folder", "defaults": {"epochs": 2, "batch_size": 2, "seeds": 1},
         "profiles": {"mine": {"data": "imagefolder", "image_size": 24,
                               **({"test_fraction": 0.5} if layout == "test_fraction" else {})}},
         "variants": {"scratch": {"title": "Scratch", "model": "scratch_cnn", "runs": [{"lr": 0.01, "section": "2"}]}}}
    r, html = _study(d, tmp_path, "--profile", "mine", "--data", str(data))
    images = r["study"]["data"]["target"]
    expected = {"test folder": (6, 12), "test_fraction": (6, 6), "neither": (0, 12)}[layout]
    assert (images["test_images"], images["train_images"]) == expected
    run = r["runs"][0]
    assert run["status"] == "complete" and (run["metrics"]["test_loss_at_best"] is None) == (layout == "neither")
    assert ("This profile has no test split" in html) == (layout == "neither")
