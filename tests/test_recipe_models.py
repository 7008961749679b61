"""The researcher's own model ("package.module:Class" with model_args) and timm's models are models like
any other: they train, freeze by path, report the parameter counts the model itself has, and a user's
module is part of its runs' keys; and every invalid combination of the recipe's settings is one line,
exit 2, before anything trains."""
import json

import pytest
import yaml

from conftest import minimal_study, write_study
from dcnn.cli import main

MODULE = '''
from torch import nn


class TinyNet(nn.Module):
    def __init__(self, num_classes, width=8):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, width, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(4))
        self.head = nn.Linear(width * 16, num_classes)

    def forward(self, x):
        return self.head(self.features(x).flatten(1))
'''


def study_with(tmp_path, variants: dict, module: str = MODULE) -> list[str]:
    (tmp_path / "mine").mkdir(exist_ok=True)
    (tmp_path / "mine" / "__init__.py").write_text("")
    (tmp_path / "mine" / "nets.py").write_text(module)
    d = minimal_study()
    d["variants"] = {"scratch": d["variants"]["scratch"], **variants}
    return ["--study", str(write_study(tmp_path / "study.yaml", d)), "--build", str(tmp_path / "build")]


OWN = {"title": "TinyNet", "model": "mine.nets:TinyNet", "model_args": {"width": 6}, "freeze": ["features"],
       "runs": [{"lr": 0.05, "section": "3.1"}]}


def _rows(args, capsys, *more) -> list[dict]:
    capsys.readouterr()
    assert main(["list", "--json", *more, *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_users_module_trains_freezes_by_path_and_counts_its_own_parameters(tmp_path, capsys):
    args = study_with(tmp_path, {"tiny": OWN})
    assert main(["run", "-j", "1", *args]) == 0
    [row] = [r for r in _rows(args, capsys, "--params") if r["variant"] == "tiny"]
    # TinyNet(5, width=6): conv 3·6·9 + 6 = 168 (frozen), head 6·16·5 + 5 = 485
    assert (row["trainable_params"], row["total_params"]) == (485, 653) and row["cache"] == "cached"


def test_editing_the_users_module_retrains_its_runs_and_no_others(tmp_path, capsys):
    args = study_with(tmp_path, {"tiny": OWN})
    assert main(["run", "-j", "1", *args]) == 0
    (tmp_path / "mine" / "nets.py").write_text(MODULE.replace("nn.ReLU()", "nn.GELU()"))
    from dcnn.registry.adapters import user_spec

    user_spec.cache_clear()                          # (a new command would import it afresh)
    stale = {r["variant"] for r in _rows(args, capsys, "--why") if r["why"]["state"] != "cached"}
    assert stale == {"tiny"}


def test_a_timm_model_trains_and_freezes_by_path(tmp_path, capsys):
    pytest.importorskip("timm")
    args = study_with(tmp_path, {"t": {"title": "timm", "model": "timm/resnet10t", "freeze": ["layer1"],
                                       "drop_path": 0.1, "runs": [{"lr": 0.01, "section": "3.2"}]}})
    assert main(["run", "-j", "1", *args]) == 0
    import timm

    model = timm.create_model("resnet10t", num_classes=5)
    frozen = sum(p.numel() for p in model.layer1.parameters())
    total = sum(p.numel() for p in model.parameters())
    [row] = [r for r in _rows(args, capsys, "--params") if r["variant"] == "t"]
    assert (row["trainable_params"], row["total_params"]) == (total - frozen, total)


def test_timm_pretrained_weights_come_from_a_local_file_named_in_one_line(tmp_path, capsys, monkeypatch):
    pytest.importorskip("timm")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    d = yaml.safe_load(open(study_with(tmp_path, {})[1]))
    d["profiles"]["demo"].pop("pretrain")
    d["variants"]["t"] = {"title": "timm", "model": "timm/resnet10t", "pretrained": True,
                          "runs": [{"lr": 0.01, "section": "3.2"}]}
    path = write_study(tmp_path / "study.yaml", d)
    assert main(["run", "-j", "1", "--study", str(path), "--build", str(tmp_path / "b"), "t"]) == 2
    want = tmp_path / "torch" / "hub" / "checkpoints" / "timm" / "resnet10t.safetensors"
    assert capsys.readouterr().err.strip() == (
        f"error: timm/resnet10t pretrained weights: no file {want} (dcnn never downloads timm's weights; put the "
        "model's weights there as .safetensors or .pth, or set TORCH_HOME)")


BAD = [
    ("mixup at batch size 1", {"mixup": 0.2, "batch_size": 1},
     "variants.bad.mixup: mixup mixes the images of a batch: it needs batch_size 2 or more (got 1)"),
    ("cutmix at batch size 1", {"cutmix": 1.0, "batch_size": 1},
     "variants.bad.cutmix: cutmix mixes the images of a batch: it needs batch_size 2 or more (got 1)"),
    ("step_epochs past epochs", {"schedule": "step", "step_epochs": [1, 5]},
     "variants.bad.step_epochs: epoch 5 is past the run's epochs (allowed: 1 to 1, the epochs after which the rate drops)"),
    ("warmup_epochs as long as the run", {"warmup_epochs": 2},
     "variants.bad.warmup_epochs: 2 warmup epochs leave none of the 2 epochs at the full rate (allowed: below 2)"),
    ("unfreeze of a module not frozen", {"freeze": ["features[0:15]"], "unfreeze": {2: ["features[15:30]"]}},
     "variants.bad.unfreeze: 'features[15:30]' is not frozen, so it cannot be unfrozen (freeze: features[0:15])"),
    ("unfreeze of a module the model lacks", {"freeze": ["features"], "unfreeze": {2: ["layer4"]}},
     "variants.bad.unfreeze: bad freeze spec 'layer4': vgg16 has no module 'layer4' (its top-level modules: "
     "features, avgpool, classifier)"),
    ("label_smoothing of 1", {"label_smoothing": 1.0},
     "variants.bad.label_smoothing: Input should be less than 1 (got 1.0)"),
    ("an unimportable model", {"model": "nowhere.nets:Net", "pretrained": False, "normalise": "none"},
     "variants.bad.model: model 'nowhere.nets:Net': cannot import nowhere.nets (looked in {root} and the Python "
     "path): ModuleNotFoundError: No module named 'nowhere'"),
    ("drop_path on a model without stochastic depth", {"drop_path": 0.1},
     "variants.bad.drop_path: vgg16 has no stochastic depth (allowed: a model that has one: torchvision's "
     "efficientnet_*, convnext_*, swin_*, or a timm model with drop_path_rate)"),
    ("layer_decay of 0", {"layer_decay": 0.0}, "variants.bad.layer_decay: Input should be greater than 0 (got 0.0)"),
    ("layer_decay above 1", {"layer_decay": 1.5},
     "variants.bad.layer_decay: Input should be less than or equal to 1 (got 1.5)"),
    ("an lr_scale path the model lacks", {"lr_scale": {"featurez": 0.1}},
     "variants.bad.lr_scale: vgg16 has no module 'featurez'; did you mean features, features.9, features.8?"),
    ("nesterov without momentum", {"nesterov": True},
     "variants.bad.nesterov: Nesterov momentum needs optimizer: sgd with momentum above 0"),
]


@pytest.mark.parametrize("case, settings, message", BAD, ids=[b[0] for b in BAD])
def test_every_invalid_combination_is_one_line_with_exit_2(tmp_path, capsys, case, settings, message):
    bad = {"extends": "vgg16-train-all", "title": "bad", "runs": [{"lr": 0.01, "section": "3.9"}], **settings}
    d = minimal_study()
    d["variants"]["bad"] = bad
    path = write_study(tmp_path / "study.yaml", d)
    assert main(["list", "--study", str(path), "--build", str(tmp_path / "build")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {path}: " + message.format(root=tmp_path), err


def test_list_why_names_a_changed_recipe_in_words_and_back(tmp_path, capsys):
    d = minimal_study()
    path = write_study(tmp_path / "study.yaml", d)
    args = ["--study", str(path), "--build", str(tmp_path / "build")]
    assert main(["run", "-j", "1", *args, "scratch"]) == 0
    d["variants"]["scratch"].update(schedule="cosine", warmup_epochs=1, label_smoothing=0.1)
    write_study(path, d)
    capsys.readouterr()
    assert main(["list", "--why", *args, "scratch"]) == 0
    out = capsys.readouterr().out
    assert "schedule constant → cosine (cosine decay after 1 warmup epoch)" in out
    assert "warmup_epochs 0.0 → 1.0 (cosine decay after 1 warmup epoch)" in out
    assert "label_smoothing 0.0 → 0.1 (label smoothing 0.1)" in out
    assert main(["run", "-j", "1", *args, "scratch"]) == 0
    d["variants"]["scratch"].pop("label_smoothing")                # back to neutral: named as a change too
    write_study(path, d)
    capsys.readouterr()
    assert main(["list", "--why", *args, "scratch"]) == 0
    assert "label_smoothing 0.1 → 0.0" in capsys.readouterr().out
