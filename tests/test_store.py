"""store.py and files.py: results written atomically and checksummed, damage named and never read,
checkpoints and locks per run, the seeds and plan --decide keeps (public names only)."""
import json
import os

import torch

from dcnn.store.files import atomic_write, dump_json, dump_tensors, load_json, load_tensors
from dcnn.store.build import Store

KEY = "ab" * 32


def test_a_result_round_trips_and_a_damaged_one_is_not_read(tmp_path, caplog):
    store = Store(tmp_path)
    assert store.read_result(KEY) is None
    store.write_result(KEY, {"status": "complete", "history": [{"epoch": 1, "val_loss": 0.5}]})
    assert store.read_result(KEY)["history"][0]["val_loss"] == 0.5
    path = next(tmp_path.glob("runs/*/result.json"))
    data = json.loads(path.read_text())
    data["payload"] = data["payload"].replace("0.5", "0.4")            # an edit that keeps valid JSON
    path.write_text(json.dumps(data))
    assert store.read_result(KEY) is None and "damaged" in caplog.text


def test_json_and_tensor_files_carry_a_checksum(tmp_path):
    atomic_write(tmp_path / "a.json", dump_json({"x": 1}))
    assert load_json(tmp_path / "a.json") == {"x": 1}
    (tmp_path / "a.json").write_bytes((tmp_path / "a.json").read_bytes()[:-5])     # truncated
    assert load_json(tmp_path / "a.json", quiet=True) is None
    atomic_write(tmp_path / "t.pt", dump_tensors({"w": torch.arange(3)}))
    assert torch.equal(load_tensors(tmp_path / "t.pt")["w"], torch.arange(3))
    raw = bytearray((tmp_path / "t.pt").read_bytes())
    raw[-1] ^= 0xFF
    (tmp_path / "t.pt").write_bytes(bytes(raw))
    assert load_tensors(tmp_path / "t.pt") is None
    assert not list(tmp_path.glob(".*.tmp"))                           # no temporary file left behind


def test_a_checkpoint_resumes_and_is_cleared(tmp_path):
    ckpt = Store(tmp_path).checkpoint(KEY)
    assert ckpt.load() is None
    ckpt.save({"epoch": 3, "history": [1, 2, 3]})
    assert Store(tmp_path).checkpoint(KEY).load()["epoch"] == 3
    ckpt.clear()
    assert ckpt.load() is None


def test_one_lock_per_run(tmp_path):
    store = Store(tmp_path)
    lock = store.try_lock(KEY)
    assert lock is not None and Store(tmp_path).try_lock(KEY) is None        # held, even by another Store
    assert store.try_lock("cd" * 32) is not None                               # another run's lock is free
    lock.release()
    assert store.try_lock(KEY) is not None


def test_decide_keeps_its_seeds_and_its_plan(tmp_path):
    store = Store(tmp_path)
    assert store.read_extra_seeds() == {} and store.read_plan() is None
    store.write_extra_seeds({"x@0.1": 4})
    store.write_plan({"looks": 3})
    assert Store(tmp_path).read_extra_seeds() == {"x@0.1": 4} and Store(tmp_path).read_plan() == {"looks": 3}


def test_a_dead_writers_temporary_file_is_swept(tmp_path):
    dead = tmp_path / "runs" / f".result.json.{2 ** 22 + 12345}.x.tmp"
    dead.parent.mkdir(parents=True)
    dead.write_text("partial")
    mine = tmp_path / f".other.{os.getpid()}.x.tmp"
    mine.write_text("in progress")
    assert Store(tmp_path).sweep_temporaries() == 1 and not dead.exists() and mine.exists()


def test_the_digits_split_is_kept_in_the_build_and_read_back_without_scikit_learn(tmp_path, monkeypatch):
    import sys

    from conftest import minimal_study, write_study
    from dcnn.study.resolve import load_study
    from dcnn.registry.data import load_study_data

    study = load_study(write_study(tmp_path / "study.yaml", minimal_study()))
    store = Store(tmp_path / "build")
    assert load_study_data(study, store, None, decode=False) is not None
    assert not (tmp_path / "build" / "data").exists()                   # `dcnn list` writes nothing
    first = load_study_data(study, store, None)
    index = next((tmp_path / "build" / "data").glob("digits-*.json"))
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)         # importing it now fails
    again = load_study_data(study, store, None)
    for a, b in ((first.source, again.source), (first.target, again.target)):
        assert a.fingerprint == b.fingerprint
        assert all(torch.equal(getattr(a, s).x, getattr(b, s).x) and torch.equal(getattr(a, s).y, getattr(b, s).y)
                   for s in ("train", "val", "test"))
    victim = store.task_file(first.target.fingerprint)                 # a damaged task file: split again
    victim.write_bytes(victim.read_bytes()[:100])
    monkeypatch.delitem(sys.modules, "sklearn.datasets")
    assert load_study_data(study, store, None).target.fingerprint == first.target.fingerprint
    assert load_tensors(victim) is not None                             # ... and written anew
    index.write_text("")                                                # an index cut short by a crash
    assert load_study_data(study, store, None).target.fingerprint == first.target.fingerprint
    assert json.loads(index.read_text())["target"] == first.target.fingerprint
    other = minimal_study()
    other["profiles"]["demo"]["train_per_class"] = 3                    # another split, another index
    load_study_data(load_study(write_study(tmp_path / "other.yaml", other)), store, None)
    assert len(list((tmp_path / "build" / "data").glob("digits-*.json"))) == 2 and index.exists()
