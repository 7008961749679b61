"""Model layout, freeze specs, parameter counts, frozen weights, and the torchvision weights path."""
import json
import urllib.error

import pytest
import torch
import yaml
from torch import nn

from conftest import STUDY, make_imagefolder
from dcnn.registry import freezing
from dcnn.registry import models as registry_models
from dcnn.registry import trees
from dcnn.train.models import build_model
from dcnn.train import models
from dcnn.cli import main
from dcnn.registry.architectures import vgg16_first_convs
from dcnn.registry.models import MODELS, get_model
from dcnn.data.images import load_digits_tasks
from dcnn.study.settings import RunConfig
from dcnn.train.fit import build_for_fit, fit, make_optimizer


@pytest.mark.parametrize("width", [1, 8, 32])
def test_vgg16_keeps_torchvisions_layout_at_every_width(width):
    with torch.device("meta"):
        m = models.build_model("vgg16", 5, width_divisor=width)
    assert len(m.features) == 31 and len(m.classifier) == 7
    assert sum(isinstance(x, nn.Conv2d) for x in m.features) == 13
    assert sum(isinstance(x, nn.MaxPool2d) for x in m.features) == 5
    assert [type(x).__name__ for x in m.classifier] == ["Linear", "ReLU", "Dropout"] * 2 + ["Linear"]
    assert m.classifier[-1].out_features == 5


def test_full_width_state_dict_matches_torchvision():
    from torchvision.models import vgg16

    with torch.device("meta"):
        ours, theirs = models.build_model("vgg16", 1000), vgg16(weights=None)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_registered_models_layout_and_head_match_the_model_it_builds(name):
    spec = MODELS[name]
    with torch.device("meta"):
        m = models.build_model(name, 5, width_divisor=8)
    children = {n: (len(c) if isinstance(c, nn.Sequential) else None) for n, c in m.named_children()}
    assert children == spec.layout
    assert m.get_submodule(spec.head) is list(m.modules())[-1]           # the output layer is the last
    assert trees.own_tree(spec).head == trees.meta_tree(spec).head   # the registered tree is the real one
    with torch.device("meta"):
        assert models.build_model(name, 7).get_submodule(spec.head).out_features == 7


def test_freeze_spec_parsing():
    vgg = get_model("vgg16")
    assert freezing.check_freeze("features[0:15]", vgg) == freezing.FreezeSpec("features", 0, 15)
    assert freezing.check_freeze("features[15:]", vgg) == freezing.FreezeSpec("features", 15, 31)
    with pytest.raises(ValueError, match="features has 31 modules"):
        freezing.check_freeze("features[10:5]", vgg)
    with pytest.raises(ValueError, match="always trains"):
        freezing.check_freeze("classifier[:]", vgg)


def test_vgg16_counts_its_first_conv_layers():
    assert vgg16_first_convs(0) is None
    assert vgg16_first_convs(1) == "features[0:2]"
    assert vgg16_first_convs(2) == "features[0:4]"
    assert vgg16_first_convs(3) == "features[0:7]"     # past the first max-pool
    assert vgg16_first_convs(13) == "features[0:30]"   # every conv: the paper's "all 30 layers"


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


def test_the_demos_vgg16_pools_to_1x1_and_its_freeze_indices_mean_the_same_layers(tmp_path, capsys):
    # issue 33: at 32×32 the features end at 1×1; a 1×1 pool keeps the classifier 64 → 512 → 512 → 5
    # (torchvision's 7×7 pool copied that pixel 49 times into a 3136-wide first layer)
    assert main(["list", "--params", "--json", "--study", str(STUDY), "--build", str(tmp_path / "b")]) == 0
    rows = json.loads(capsys.readouterr().out)
    by = {r["variant"]: r for r in rows if r["variant"].startswith("vgg16")}
    features = sum(p.numel() for p in build_model("vgg16", 5, width_divisor=8).features.parameters())
    head = 64 * 512 + 512 + 512 * 512 + 512 + 512 * 5 + 5
    assert by["vgg16-train-all"]["total_params"] == features + head == 529_069
    assert by["vgg16-freeze-all"]["trainable_params"] == head                     # every conv frozen, as before
    assert by["vgg16-freeze-classifier"]["trainable_params"] == features + 512 * 5 + 5
    assert build_model("vgg16", 5, width_divisor=8).avgpool.output_size == (7, 7)   # torchvision's, unless asked


def _tiny():
    source, target = load_digits_tasks(train_per_class=3, val_per_class=2)
    return target


def test_frozen_parameters_do_not_change_and_the_rest_do():
    task = _tiny()
    init = {k: v.clone() for k, v in models.build_model("vgg16", 5, width_divisor=32).state_dict().items()}
    cfg = RunConfig(model="vgg16", num_classes=5, lr=0.05, seed=1, epochs=1, batch_size=2, width_divisor=32,
                    freeze=("features[0:15]", "classifier[0:3]"))
    before = {k: v.clone() for k, v in build_for_fit(cfg, init).state_dict().items()}
    after = fit(cfg, task.train, task.val, init_state=init, keep_state=True).state_dict
    frozen_prefixes = tuple(f"features.{i}." for i in range(15)) + ("classifier.0.",)
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    frozen = {k for k in before if k.startswith(frozen_prefixes)}
    assert frozen and not (changed & frozen)
    assert changed == set(before) - frozen   # every trainable tensor moved


def test_optimizer_holds_only_trainable_parameters():
    cfg = RunConfig(model="vgg16", num_classes=5, lr=0.1, seed=0, width_divisor=32, freeze=("features[0:30]",))
    model = build_for_fit(cfg, None)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = make_optimizer(cfg, params)
    assert sum(p.numel() for g in opt.param_groups for p in g["params"]) == models.param_counts(model)[0]
    assert all(p.requires_grad for g in opt.param_groups for p in g["params"])


def test_imagenet_weights_load_from_the_torch_hub_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    path = models.weights_path("vgg16", "IMAGENET1K_V1")
    assert path == tmp_path / "hub" / "checkpoints" / "vgg16-397923af.pth"
    with torch.device("meta"):
        shapes = {k: v.shape for k, v in models.build_model("vgg16", 1000).state_dict().items()}
    state = {k: torch.zeros(s) for k, s in shapes.items()}
    state["classifier.6.bias"] = torch.arange(1000, dtype=torch.float32)
    path.parent.mkdir(parents=True)
    torch.save(state, path)
    loaded = models.load_weights("vgg16", "IMAGENET1K_V1")
    assert torch.equal(loaded["classifier.6.bias"], state["classifier.6.bias"])
    cfg = RunConfig(model="vgg16", num_classes=5, lr=0.1, seed=0)
    m = build_for_fit(cfg, loaded)
    assert m.classifier[6].out_features == 5 and torch.equal(m.features[0].weight, torch.zeros(64, 3, 3, 3))


def _offline(monkeypatch):
    def offline(*a, **k):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)


def test_missing_imagenet_weights_offline_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    _offline(monkeypatch)
    with pytest.raises(registry_models.ModelError) as exc:
        models.load_weights("vgg16", "IMAGENET1K_V1")
    msg = str(exc.value)
    assert "\n" not in msg
    assert f"put vgg16-397923af.pth (from https://download.pytorch.org/models/vgg16-397923af.pth) at " \
           f"{tmp_path}/hub/checkpoints/vgg16-397923af.pth" in msg


# ---- any torchvision classification model ---------------------------------------------------------

def _tv(arch, num_classes=5):
    import torchvision

    with torch.device("meta"):
        return torchvision.models.get_model(arch, num_classes=num_classes)


def _count(model, frozen_prefixes=()):
    total = sum(p.numel() for p in model.parameters())
    frozen = sum(p.numel() for n, p in model.named_parameters() if n.startswith(frozen_prefixes))
    return total - frozen, total


# (model, freeze specs, the parameter-name prefixes they freeze), counted on torchvision's own models
PARAM_CASES = [
    ("resnet18", [], ()),
    ("resnet18", ["layer1", "layer4.1"], ("layer1.", "layer4.1.")),
    ("mobilenet_v3_small", ["features[0:4]"], tuple(f"features.{i}." for i in range(4))),
    ("efficientnet_b0", ["features"], ("features.",)),
    ("squeezenet1_0", ["features[0:5]"], tuple(f"features.{i}." for i in range(5))),
]


def test_list_params_gives_torchvisions_totals_for_any_model(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))   # no weights file anywhere
    _offline(monkeypatch)
    d = {"title": "models", "defaults": {"seeds": 1}, "profiles": {"paper": {"data": "imagefolder", "image_size": 224}},
         "variants": {f"m{i}": {"title": arch, "model": arch, "pretrained": True, "freeze": freeze,
                                "runs": [{"lr": 0.01, "section": str(i + 1)}]}
                      for i, (arch, freeze, _) in enumerate(PARAM_CASES)}}
    study = tmp_path / "study.yaml"
    study.write_text(yaml.safe_dump(d))
    data = make_imagefolder(tmp_path / "data", classes=5, per_class=1)
    assert main(["list", "--params", "--json", "--study", str(study), "--profile", "paper", "--data", str(data),
                 "--build", str(tmp_path / "b")]) == 0
    rows = {r["variant"]: r for r in json.loads(capsys.readouterr().out)}
    for i, (arch, _, prefixes) in enumerate(PARAM_CASES):
        expected = _count(_tv(arch), prefixes)
        assert (rows[f"m{i}"]["trainable_params"], rows[f"m{i}"]["total_params"]) == expected, arch
    assert rows["m1"]["trainable_params"] < rows["m0"]["trainable_params"] < 11_700_000
    assert not (tmp_path / "torch").exists()    # counted without loading (or looking for) weights


def test_an_unknown_module_path_lists_the_models_top_level_modules():
    with pytest.raises(ValueError) as exc:
        freezing.check_freeze("layer5", get_model("resnet18"))
    assert str(exc.value) == ("bad freeze spec 'layer5': resnet18 has no module 'layer5' (its top-level modules: "
                              "conv1, bn1, relu, maxpool, layer1, layer2, layer3, layer4, avgpool, fc)")
    with pytest.raises(ValueError, match="covers fc, the new output layer, which always trains"):
        freezing.check_freeze("fc", get_model("resnet18"))


def test_torchvision_weights_replace_the_head_and_freeze_batchnorm_statistics(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    import torchvision

    torch.manual_seed(123)
    reference = torchvision.models.resnet18(num_classes=1000)     # stands in for the ImageNet weights
    path = models.weights_path("resnet18")
    path.parent.mkdir(parents=True)
    torch.save(reference.state_dict(), path)
    state = models.load_weights("resnet18")
    task = _tiny()
    cfg = RunConfig(model="resnet18", num_classes=5, lr=0.05, seed=1, epochs=1, batch_size=3, freeze=("layer1",))
    model = build_for_fit(cfg, state)
    assert model.fc.out_features == 5 and torch.equal(model.conv1.weight, reference.conv1.weight)
    after = fit(cfg, task.train, task.val, init_state=state, keep_state=True)
    assert after.frozen_batchnorms == 4                              # layer1: two blocks, two BatchNorms each
    end = after.state_dict
    for name, value in reference.state_dict().items():
        if name.startswith("layer1."):                               # weights and running statistics
            assert torch.equal(end[name], value), name
    assert not torch.equal(end["layer2.0.bn1.running_mean"], reference.state_dict()["layer2.0.bn1.running_mean"])
    assert not torch.equal(end["conv1.weight"], reference.conv1.weight)


def test_the_mlp_baseline_trains_and_counts_as_any_model(tmp_path, capsys):
    from conftest import minimal_study, write_study

    task = _tiny()
    res = fit(RunConfig(model="mlp", num_classes=5, lr=0.05, seed=0, epochs=2, batch_size=4, dropout=0.2),
              task.train, task.val)
    assert res.status == "complete" and len(res.history) == 2
    assert (res.trainable_params, res.total_params) == (3 * 64 * 256 + 256 + 256 * 128 + 128 + 128 * 5 + 5,) * 2
    d = minimal_study()
    d["variants"]["mlp"] = {"title": "MLP", "model": "mlp", "freeze": ["features[0:3]"],
                            "runs": [{"lr": 0.01, "section": "4.1"}]}
    assert main(["list", "--params", "--json", "--study", str(write_study(tmp_path / "s.yaml", d)),
                 "--build", str(tmp_path / "b")]) == 0
    row = next(r for r in json.loads(capsys.readouterr().out) if r["variant"] == "mlp")
    assert row["trainable_params"] == row["total_params"] - (3 * 64 * 256 + 256)    # the first layer frozen
