"""Data as users have it: 16-bit images, file names that are not UTF-8, hidden folders, images over PIL's
size guard, one class, degenerate digits splits, and batches a BatchNorm model cannot train on."""
import os

import numpy as np
import pytest
from PIL import Image

from conftest import dcnn_here, make_imagefolder, minimal_study, write_study
from dcnn.data.images import DataError, load_imagefolder


def _folder_study(tmp_path, **variant) -> str:
    d = minimal_study()
    d["profiles"]["folder"] = {"data": "imagefolder", "image_size": 32}
    d["variants"] = {"cnn": {**d["variants"]["scratch"], **variant}}
    d["defaults"]["epochs"] = 1
    return str(write_study(tmp_path / "study.yaml", d))


def _run(tmp_path, data, study=None):
    return dcnn_here("run", "--study", study or _folder_study(tmp_path), "--profile", "folder", "--data", str(data),
                     "--build", str(tmp_path / "build"), "-j", "1")


def test_16_bit_images_are_scaled_by_their_range_not_clipped(tmp_path):
    for split in ("train", "val"):
        for name, level in (("dark", 10_000), ("bright", 50_000)):    # 16-bit values: 39 and 195 of 255
            folder = tmp_path / split / name
            folder.mkdir(parents=True)
            for i in range(2):
                Image.fromarray(np.full((40, 40), level + i, dtype=np.uint16)).save(folder / f"{i}.png")
    assert Image.open(tmp_path / "train" / "dark" / "0.png").mode == "I;16"
    task = load_imagefolder(tmp_path, image_size=32)
    means = {task.classes[c]: float(task.train.x[task.train.y == c].float().mean()) for c in range(2)}
    assert means["dark"] == pytest.approx(10_000 / 257, abs=1) and means["bright"] == pytest.approx(50_000 / 257, abs=1)


def test_32_bit_and_float_images_are_scaled_by_their_range(tmp_path):
    from dcnn.data.images import _eight_bit

    wide = Image.fromarray(np.array([[-70_000, 0], [70_000, 140_000]], dtype=np.int32))    # beyond 16 bits
    unit = Image.fromarray(np.array([[0.0, 0.5], [0.25, 1.0]], dtype=np.float32))
    assert (wide.mode, unit.mode) == ("I", "F")
    assert np.asarray(_eight_bit(wide))[..., 0].tolist() == [[0, 85], [170, 255]]
    assert np.asarray(_eight_bit(unit))[..., 0].tolist() == [[0, 128], [64, 255]]


def test_a_file_name_that_is_not_utf8_trains(tmp_path):
    data = make_imagefolder(tmp_path / "data", classes=2, per_class=3, size=40)
    os.rename(data / "train" / "class0" / "img0.png", os.fsencode(data / "train" / "class0") + b"/caf\xe9.png")
    proc = _run(tmp_path, data)
    assert proc.returncode == 0, proc.stderr
    assert "1 trained" in proc.stderr


def test_hidden_folders_are_skipped_like_hidden_files(tmp_path):
    data = make_imagefolder(tmp_path / "data", classes=2, per_class=3, size=40)
    hidden = data / "train" / "class0" / ".ipynb_checkpoints"
    hidden.mkdir()
    Image.new("RGB", (40, 40)).save(hidden / "img0-checkpoint.png")
    Image.new("RGB", (40, 40)).save(data / "train" / "class1" / ".hidden.png")
    task = load_imagefolder(data, image_size=32)
    assert len(task.train) == 6 and task.train.y.tolist().count(0) == 3


def test_an_image_over_pils_decompression_bomb_limit_is_one_line_naming_it(tmp_path, monkeypatch):
    data = make_imagefolder(tmp_path / "data", classes=2, per_class=2, size=40)
    Image.new("RGB", (80, 80)).save(data / "val" / "class1" / "huge.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 2000)      # twice that is 4000 pixels: 40x40 passes, 80x80 not
    proc = _run(tmp_path, data)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert f"image {data / 'val' / 'class1' / 'huge.png'} has 6,400 pixels, more than PIL decodes (4,000" \
        in proc.stderr, proc.stderr


def test_a_data_directory_with_one_class_is_one_line(tmp_path):
    data = make_imagefolder(tmp_path / "data", classes=1, per_class=3, size=40)
    with pytest.raises(DataError, match="has one class folder \\(class0\\); a classifier needs at least two"):
        load_imagefolder(data, image_size=32)


@pytest.mark.parametrize("edit,message", [
    ({"train_per_class": 0}, "profiles.demo.train_per_class: Input should be greater than or equal to 1 (got 0)"),
    ({"val_per_class": 0}, "profiles.demo.val_per_class: Input should be greater than or equal to 1 (got 0)"),
    ({"target_digits": [0]}, "profiles.demo.target_digits: one class (0) is no classification task (allowed: two or "
                             "more digits)"),
    ({"target_digits": [0, 0]}, "profiles.demo.target_digits: digit 0 appears more than once (each class once)"),
    ({"target_digits": [5, 10]}, "profiles.demo.target_digits[1]: Input should be less than or equal to 9 (got 10)"),
    ({"target_digits": []}, "profiles.demo: data: digits needs target_digits, two or more"),
    ({"source_digits": [3]}, "profiles.demo.source_digits: one class (3) is no classification task"),
])
def test_degenerate_digits_splits_and_class_lists_are_refused(tmp_path, edit, message):
    d = minimal_study()
    d["profiles"]["demo"].update(edit)
    study = write_study(tmp_path / "study.yaml", d)
    proc = dcnn_here("list", "--study", str(study), "--build", str(tmp_path / "b"))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert message in proc.stderr, proc.stderr


def test_a_last_batch_of_one_image_that_batchnorm_cannot_train_on_fails_before_training(tmp_path):
    d = minimal_study()     # 4 images of 5 digits: 20, in batches of 19, leave one image at the end of each epoch
    d["variants"] = {"res": {"title": "ResNet-18", "model": "resnet18", "batch_size": 19,
                             "runs": [{"lr": 0.01, "section": "1"}]}}
    study = write_study(tmp_path / "study.yaml", d)
    proc = dcnn_here("run", "--study", str(study), "--build", str(tmp_path / "b"), "-j", "1")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert ("error: res lr=0.01 seed=0: 20 training images in batches of 19 leave a batch of one image, and its "
            "model's BatchNorm layers cannot train on one at 32×32 pixels (one value per channel); choose a "
            "batch_size that does not (e.g. 17, 18, 20) or more images") in proc.stderr
    assert not list((tmp_path / "b").glob("runs/*"))                 # nothing trained, nothing recorded
