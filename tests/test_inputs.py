"""Bad input, broadly: mutated study files, awkward data directories, and nothing that runs code."""
import ast
import copy
import io
import tempfile
from pathlib import Path

import pytest
import torch
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, STUDY, make_imagefolder, real_study_dict
from dcnn.cli import main
from dcnn.study.resolve import StudyError, load_study
from dcnn.data.images import DataError, load_imagefolder
from dcnn.store.files import _MAGIC, _digest, load_tensors

BASE = real_study_dict()
ODD_VALUES = [None, True, 0, -1, 7, 0.5, -3.2, 1e9, "", "x", "2e-3", "features[0:99]", "../../etc", [], [1, "a"],
              {}, {"unknown": 1}, "scratch@0.2", "classifier[0:6]"]


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


ALL_PATHS = [p for p in _paths(BASE) if p]


def _apply(d, path, op, value):
    parent = d
    for part in path[:-1]:
        parent = parent[part]
    key = path[-1]
    if op == "delete":
        if isinstance(parent, list):
            parent.pop(key)
        else:
            parent.pop(key)
    elif op == "replace":
        parent[key] = value
    elif op == "add_key" and isinstance(parent[key], dict):
        parent[key]["zz_" + str(value)[:8]] = value
    elif op == "rename" and isinstance(parent, dict):
        parent[str(value)] = parent.pop(key)


mutation = st.tuples(st.sampled_from(ALL_PATHS), st.sampled_from(["delete", "replace", "add_key", "rename"]),
                     st.sampled_from(ODD_VALUES))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutation, min_size=1, max_size=3))
def test_any_mutated_study_is_valid_or_one_line_exit_2(mutations):
    d = copy.deepcopy(BASE)
    for path, op, value in mutations:
        try:
            _apply(d, path, op, value)
        except (KeyError, IndexError, TypeError, AttributeError):
            pass  # an earlier mutation removed the path, or replaced a part of it by a scalar
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "study.yaml"
        path.write_text(yaml.safe_dump(d))
        try:
            load_study(path)          # a valid study, or ...
        except StudyError as exc:     # ... exactly one line naming the file
            assert "\n" not in str(exc) and str(exc).startswith(str(path))
        # The CLI agrees, and never prints a traceback.
        import contextlib
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            rc = main(["list", "--study", str(path), "--build", str(Path(tmp) / "b")])
        assert rc in (0, 2)
        if rc == 2:
            assert err.getvalue().count("\n") == 1 and "Traceback" not in err.getvalue()


# ---- data directories ------------------------------------------------------------------------------

def test_missing_and_empty_data_dirs(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_imagefolder(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"empty/train is missing"):
        load_imagefolder(tmp_path / "empty")
    (tmp_path / "empty" / "train").mkdir()
    with pytest.raises(DataError, match="has no class folders"):
        load_imagefolder(tmp_path / "empty")


def test_a_class_without_images(tmp_path):
    root = make_imagefolder(tmp_path / "d", classes=3, per_class=1)
    for f in (root / "train" / "class1").iterdir():
        f.unlink()
    (root / "train" / "class1" / "notes.txt").write_text("no images here")
    with pytest.raises(DataError, match=r"class folder .*train/class1 has no images"):
        load_imagefolder(root)


def test_a_corrupt_image_is_named(tmp_path):
    root = make_imagefolder(tmp_path / "d", classes=2, per_class=1)
    bad = root / "val" / "class0" / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(DataError, match=f"cannot decode image {bad}"):
        load_imagefolder(root)


def test_non_image_files_are_skipped_and_modes_are_converted(tmp_path):
    from PIL import Image

    root = make_imagefolder(tmp_path / "d", classes=2, per_class=1)
    (root / "train" / "class0" / "README.md").write_text("ignored")
    (root / "train" / ".DS_Store").write_bytes(b"\0")
    Image.new("L", (50, 30), 128).save(root / "train" / "class0" / "gray.png")
    Image.new("RGBA", (30, 50), (1, 2, 3, 4)).save(root / "train" / "class1" / "alpha.png")
    Image.new("P", (40, 40)).save(root / "train" / "class1" / "palette.gif")
    task = load_imagefolder(root, image_size=32)
    assert task.classes == ("class0", "class1")
    assert tuple(task.train.x.shape) == (5, 3, 32, 32) and task.train.x.dtype == torch.uint8
    assert task.train.y.tolist() == [0, 0, 1, 1, 1]


def test_train_and_val_classes_must_match(tmp_path):
    root = make_imagefolder(tmp_path / "d", classes=2, per_class=1)
    (root / "val" / "class1").rename(root / "val" / "other")
    with pytest.raises(DataError, match="must match"):
        load_imagefolder(root)


def test_bad_data_dir_via_the_cli_is_exit_2(tmp_path, capsys):
    root = make_imagefolder(tmp_path / "d", classes=2, per_class=1)
    (root / "train" / "class0" / "x.png").write_bytes(b"garbage")
    assert main(["run", "--study", str(STUDY), "--profile", "paper", "--data", str(root),
                 "--build", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot decode image" in err


# ---- security --------------------------------------------------------------------------------------

class _Exploit:
    def __reduce__(self):
        return (Path.touch, (Path(tempfile.gettempdir()) / "dcnn-pwned",))


def test_a_checkpoint_cannot_run_code(tmp_path, monkeypatch):
    # torch >= 2.6 refuses code-running pickles by default; torch 2.4 and 2.5 (supported) do not, and
    # this variable restores that old default, so only dcnn's own weights_only=True can refuse it.
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    marker = Path(tempfile.gettempdir()) / "dcnn-pwned"
    marker.unlink(missing_ok=True)
    buf = io.BytesIO()
    torch.save({"epoch": 1, "model": _Exploit()}, buf)          # a torch file holding a code-running object
    body = buf.getvalue()
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(_MAGIC + _digest(body).encode() + b"\n" + body)   # with a valid checksum
    assert load_tensors(path) is None                             # refused by weights_only=True
    assert not marker.exists()


def test_every_torch_load_is_weights_only():
    calls = 0
    for src in (ROOT / "dcnn").rglob("*.py"):
        for node in ast.walk(ast.parse(src.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "load" \
                    and getattr(node.func.value, "id", None) == "torch":
                calls += 1
                kw = {k.arg: k.value for k in node.keywords}
                assert "weights_only" in kw and getattr(kw["weights_only"], "value", None) is True, src
    assert calls >= 1


def test_yaml_is_only_ever_safe_loaded():
    for src in (ROOT / "dcnn").rglob("*.py"):
        text = src.read_text()
        assert "yaml.load(" not in text or "Loader=_UniqueKeyLoader" in text, src
        assert "yaml.unsafe_load" not in text and "yaml.FullLoader" not in text and "UnsafeLoader" not in text
    from dcnn.study.loader import _UniqueKeyLoader      # libyaml's CSafeLoader where present, else SafeLoader
    assert issubclass(_UniqueKeyLoader, yaml.constructor.SafeConstructor)
    assert not issubclass(_UniqueKeyLoader, (yaml.constructor.FullConstructor, yaml.constructor.UnsafeConstructor))
    with pytest.raises(yaml.constructor.ConstructorError):
        yaml.load("!!python/object/apply:os.getcwd []", Loader=_UniqueKeyLoader)
