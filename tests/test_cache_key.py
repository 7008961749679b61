"""What a cache key hashes, and what it does not: words never (a model's noun, a setting's
description), a setting at its neutral value never (so adding one keeps every key), a changed default
or a changed setting always — and for the numerics, their version (train.NUMERICS, tests/test_golden.py)."""
import dataclasses
import json

from conftest import minimal_study, write_study
from dcnn.cli import main
from dcnn.registry import models as registry_models
from dcnn.study import settings
from dcnn.study.settings import KEYED_ALWAYS, NEUTRAL, RunConfig, setting


def test_every_setting_since_the_first_keys_declares_its_neutral_value():
    """A setting outside the first keys' fields with no neutral value would change every key when added."""
    undeclared = [n for n in RunConfig.model_fields if n not in KEYED_ALWAYS | {"seeds", "model_root"} and n not in NEUTRAL]
    assert not undeclared, undeclared


def test_a_setting_added_at_its_neutral_value_keeps_every_key():
    class WithSmoothing(RunConfig):
        label_smoothing_demo: float = setting(0.0, "a setting added later", neutral=0.0)

    old = RunConfig(model="scratch_cnn", lr=0.1, seed=0, num_classes=5)
    assert WithSmoothing(model="scratch_cnn", lr=0.1, seed=0, num_classes=5).key_fields() == old.key_fields()
    changed = WithSmoothing(model="scratch_cnn", lr=0.1, seed=0, num_classes=5, label_smoothing_demo=0.1)
    assert changed.key_fields() == {**old.key_fields(), "label_smoothing_demo": 0.1}


def test_the_first_keys_fields_stay_in_the_key_at_any_value():
    """Keys made before neutral values existed hashed these fields at any value: they stay, or every
    cached run of those releases would train again."""
    cfg = RunConfig(model="scratch_cnn", lr=0.1, seed=0)
    assert set(cfg.key_fields()) == set(KEYED_ALWAYS)
    assert cfg.key_fields()["dropout"] == 0.0 and cfg.key_fields()["freeze"] == ()


def _build(tmp_path, capsys):
    study = write_study(tmp_path / "study.yaml", minimal_study())
    args = ["--study", str(study), "--build", str(tmp_path / "build")]
    assert main(["run", "-j", "1", *args]) == 0
    capsys.readouterr()
    return study, args


def _to_train(args, capsys) -> list[dict]:
    assert main(["list", "--why", "--json", *args]) == 0
    return [r for r in json.loads(capsys.readouterr().out) if r["why"]["state"] != "cached"]


def test_rewording_a_models_name_or_a_settings_words_trains_nothing(tmp_path, capsys, monkeypatch):
    study, args = _build(tmp_path, capsys)
    vgg = registry_models.MODELS["vgg16"]
    monkeypatch.setitem(registry_models.MODELS, "vgg16", dataclasses.replace(
        vgg, noun=lambda w: "Simonyan and Zisserman's sixteen-layer network", label=lambda w: "VGG-16"))
    monkeypatch.setitem(settings.SETTING_WORDS, "dropout", "the share of units dropped")
    assert _to_train(args, capsys) == []


def test_a_changed_default_retrains_exactly_the_runs_it_reaches(tmp_path, capsys):
    study, args = _build(tmp_path, capsys)
    d = minimal_study()
    d["defaults"]["momentum"] = 0.5                 # the study's default for every variant ...
    d["variants"]["scratch"]["momentum"] = 0.0      # ... which one variant overrides with the old value
    write_study(study, d)
    retrain = _to_train(args, capsys)
    assert {r["variant"] for r in retrain} == {"vgg16-train-all", "vgg16-freeze-all"}
    assert all(r["why"]["changes"] == {"settings": {"momentum": [0.0, 0.5]}} for r in retrain)


def test_a_new_numerics_version_retrains_every_run(tmp_path, capsys, monkeypatch):
    study, args = _build(tmp_path, capsys)
    monkeypatch.setattr("dcnn.run.plan.NUMERICS", "a-numerics-change")
    retrain = _to_train(args, capsys)
    assert len(retrain) == 3 and all("code" in r["why"]["changes"] for r in retrain)
