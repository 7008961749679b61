"""registry/: the models and data sources a study may name, each one typed entry that carries what
the rest of dcnn asks of it (and nothing else tests its name)."""
import json
from pathlib import Path

import pytest
import torch

from dcnn.cli import main
from dcnn.registry.data import DATA_SOURCES, get_data_source
from dcnn.registry.models import MODELS, get_model

ROOT = Path(__file__).resolve().parent.parent


def test_an_unknown_model_names_the_allowed_ones_and_the_closest():
    with pytest.raises(ValueError, match=r"unknown model 'vgg61' \(allowed: scratch_cnn, vgg16, mlp, a torchvision "
                                         r"classification model such as .*did you mean 'vgg1[69]'\?"):
        get_model("vgg61")
    tv = get_model("resnet18")
    assert not tv.own and tv.label(8) == "resnet18" and tv.noun(1) == "torchvision's resnet18"
    assert set(MODELS) >= {"scratch_cnn", "vgg16", "mlp"}


def test_every_own_model_states_what_the_rest_of_dcnn_asks():
    for name, spec in MODELS.items():
        assert spec.layout and spec.head and spec.label(8) and spec.noun(8) and spec.step_cost(4) > 0, name
        assert spec.weights_rule is not None


def test_data_sources_check_their_profiles():
    assert set(DATA_SOURCES) == {"digits", "imagefolder"}

    class P:
        train_per_class, val_per_class, source, pretrain = None, 5, None, None
    assert get_data_source("digits").check(P()) == "data: digits needs train_per_class"
    with pytest.raises(ValueError, match="unknown data source 'csv' \\(allowed: digits, imagefolder\\)"):
        get_data_source("csv")


@pytest.mark.parametrize("model", ["resnet18", "mobilenet_v3_small"])
def test_a_ten_digit_task_counts_ten_classes_as_torchvision_does(model, tmp_path, capsys):
    """The digits source counts its own classes (it used to say 5 for every digits profile)."""
    import torchvision

    assert main(["list", "--params", "--json", "--study", str(ROOT / "studies" / "small-models.yaml"),
                 "--profile", "digits10", "--build", str(tmp_path / "b")]) == 0
    rows = [r for r in json.loads(capsys.readouterr().out) if r["variant"].startswith(model.split("_")[0])]
    with torch.device("meta"):
        expected = sum(p.numel() for p in torchvision.models.get_model(model, num_classes=10).parameters())
    assert rows and all(r["num_classes"] == 10 and r["total_params"] == expected for r in rows)
    if model == "resnet18":
        assert expected == 11_181_642


@pytest.mark.parametrize("name", list(MODELS))
def test_the_smallest_images_an_own_model_states_are_those_it_takes(name):
    """The size each own model registers (so that a study resolves without torch) is the one a forward
    pass on the meta device finds, at every width: one pixel less fails."""
    from dcnn.registry.models import smallest_images, takes_images, too_small

    least = get_model(name).min_image_size
    for width in (1, 8, 32):
        assert smallest_images(name, width) == least
        assert least == 1 or not takes_images(name, least - 1, width)
    assert too_small(name, least, 8) is None and (least == 1 or too_small(name, least - 1, 8) == least)


def test_a_torchvision_model_is_tried_on_the_meta_device_for_its_smallest_images():
    from dcnn.registry.models import too_small

    assert too_small("inception_v3", 64) == 75 and too_small("inception_v3", 75) is None
