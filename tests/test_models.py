"""Model layout, freeze specs, parameter counts, frozen weights, and the torchvision weights path."""
import json
import urllib.error

import pytest
import torch
from torch import nn

from conftest import STUDY, make_imagefolder
from dcnn import layout, models
from dcnn.cli import main
from dcnn.data import load_digits_tasks
from dcnn.fit_config import FitConfig
from dcnn.train import build_for_fit, fit, make_optimizer


@pytest.mark.parametrize("width", [1, 8, 32])
def test_vgg16_keeps_torchvisions_layout_at_every_width(width):
    with torch.device("meta"):
        m = models.vgg16(5, width)
    assert len(m.features) == 31 and len(m.classifier) == 7
    assert sum(isinstance(x, nn.Conv2d) for x in m.features) == 13
    assert sum(isinstance(x, nn.MaxPool2d) for x in m.features) == 5
    assert [type(x).__name__ for x in m.classifier] == ["Linear", "ReLU", "Dropout"] * 2 + ["Linear"]
    assert m.classifier[-1].out_features == 5


def test_full_width_state_dict_matches_torchvision():
    from torchvision.models import vgg16

    with torch.device("meta"):
        ours, theirs = models.vgg16(1000, 1), vgg16(weights=None)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}


def test_layout_table_matches_the_models():
    for arch, lengths in layout.LAYOUT.items():
        with torch.device("meta"):
            m = models.build_model(arch, 5, width_divisor=8)
        assert {"features": len(m.features), "classifier": len(m.classifier)} == lengths


def test_freeze_spec_parsing():
    assert layout.parse_freeze_spec("features[0:15]", "vgg16") == layout.FreezeSpec("features", 0, 15)
    assert layout.parse_freeze_spec("features[15:]", "vgg16") == layout.FreezeSpec("features", 15, 31)
    with pytest.raises(ValueError, match="features has 31 modules"):
        layout.parse_freeze_spec("features[10:5]", "vgg16")
    with pytest.raises(ValueError, match="always trains"):
        layout.parse_freeze_spec("classifier[:]", "vgg16")


def test_conv_freeze_spec_counts_conv_layers():
    assert layout.conv_freeze_spec(0) is None
    assert str(layout.conv_freeze_spec(1)) == "features[0:2]"
    assert str(layout.conv_freeze_spec(2)) == "features[0:4]"
    assert str(layout.conv_freeze_spec(3)) == "features[0:7]"     # past the first max-pool
    assert str(layout.conv_freeze_spec(13)) == "features[0:30]"   # every conv: the paper's "all 30 layers"


def test_paper_parameter_counts_without_loading_weights(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))   # no weights file anywhere
    data = make_imagefolder(tmp_path / "data", classes=5, per_class=1)
    assert main(["list", "--params", "--json", "--study", str(STUDY), "--profile", "paper", "--data", str(data),
                 "--build", str(tmp_path / "b")]) == 0
    rows = json.loads(capsys.readouterr().out)
    vgg = [r for r in rows if r["variant"].startswith("vgg16")]
    assert vgg and all(r["total_params"] == 134_281_029 for r in vgg)
    by = {r["variant"]: r["trainable_params"] for r in vgg}
    assert by["vgg16-freeze-first15"] == 132_545_541
    assert by["vgg16-train-all"] == by["vgg16-bs10"] == 134_281_029
    assert by["vgg16-freeze-all"] == 134_281_029 - 14_714_688          # every conv frozen
    assert by["vgg16-freeze-classifier"] == 14_714_688 + 4096 * 5 + 5    # features + the new head
    assert by["vgg16-freeze-second15"] == 134_281_029 - (14_714_688 - 1_735_488)
    sweep = {r["variant"]: r["trainable_params"] for r in rows if r["variant"].startswith("freeze-depth")}
    assert sweep["freeze-depth-k0"] == 134_281_029 and sweep["freeze-depth-k13"] == by["vgg16-freeze-all"]
    assert not (tmp_path / "torch").exists()  # nothing was looked up, let alone downloaded


def _tiny():
    source, target = load_digits_tasks(train_per_class=3, val_per_class=2)
    return target


def test_frozen_parameters_do_not_change_and_the_rest_do():
    task = _tiny()
    init = {k: v.clone() for k, v in models.vgg16(5, 32).state_dict().items()}
    cfg = FitConfig(arch="vgg16", num_classes=5, lr=0.05, seed=1, epochs=1, batch_size=2, width_divisor=32,
                    freeze=("features[0:15]", "classifier[0:3]"))
    before = {k: v.clone() for k, v in build_for_fit(cfg, init).state_dict().items()}
    after = fit(cfg, task.train, task.val, init_state=init, keep_state=True).state_dict
    frozen_prefixes = tuple(f"features.{i}." for i in range(15)) + ("classifier.0.",)
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    frozen = {k for k in before if k.startswith(frozen_prefixes)}
    assert frozen and not (changed & frozen)
    assert changed == set(before) - frozen   # every trainable tensor moved


def test_optimizer_holds_only_trainable_parameters():
    cfg = FitConfig(arch="vgg16", num_classes=5, lr=0.1, seed=0, width_divisor=32, freeze=("features[0:30]",))
    model = build_for_fit(cfg, None)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = make_optimizer(cfg, params)
    assert sum(p.numel() for g in opt.param_groups for p in g["params"]) == models.param_counts(model)[0]
    assert all(p.requires_grad for g in opt.param_groups for p in g["params"])


def test_imagenet_weights_load_from_the_torch_hub_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    path = models.imagenet_weights_path()
    assert path == tmp_path / "hub" / "checkpoints" / "vgg16-397923af.pth"
    with torch.device("meta"):
        shapes = {k: v.shape for k, v in models.vgg16(1000, 1).state_dict().items()}
    state = {k: torch.zeros(s) for k, s in shapes.items()}
    state["classifier.6.bias"] = torch.arange(1000, dtype=torch.float32)
    path.parent.mkdir(parents=True)
    torch.save(state, path)
    loaded = models.load_imagenet_vgg16()
    assert torch.equal(loaded["classifier.6.bias"], state["classifier.6.bias"])
    cfg = FitConfig(arch="vgg16", num_classes=5, lr=0.1, seed=0)
    m = build_for_fit(cfg, loaded)
    assert m.classifier[6].out_features == 5 and torch.equal(m.features[0].weight, torch.zeros(64, 3, 3, 3))


def test_missing_imagenet_weights_offline_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))

    def offline(*a, **k):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)
    with pytest.raises(models.ModelError) as exc:
        models.load_imagenet_vgg16()
    msg = str(exc.value)
    assert "\n" not in msg
    assert f"put vgg16-397923af.pth (from https://download.pytorch.org/models/vgg16-397923af.pth) at " \
           f"{tmp_path}/hub/checkpoints/vgg16-397923af.pth" in msg
