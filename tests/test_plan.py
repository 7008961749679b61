"""plan.py: a run's job and cache key — over exactly what determines its numbers — and why it trains."""
import copy

from conftest import TINY_PROFILE, minimal_study, write_study
from dcnn.study.resolve import load_study
from dcnn.registry.data import load_study_data
from dcnn.run.plan import model_label, plan, why_text


def _jobs(tmp_path, d):
    study = load_study(write_study(tmp_path / "study.yaml", d))
    pretrains, jobs = plan(study, load_study_data(study, None, None), study.runs)
    return pretrains, {j.spec.label: j for j in jobs}


def test_a_changed_setting_changes_only_its_runs_keys(tmp_path):
    d = minimal_study()
    _, before = _jobs(tmp_path, d)
    changed = copy.deepcopy(d)
    changed["variants"]["scratch"]["dropout"] = 0.3
    changed["variants"]["scratch"]["title"] = "Another caption"          # words are not part of a key
    _, after = _jobs(tmp_path, changed)
    moved = {label for label in before if before[label].key != after[label].key}
    assert moved == {"scratch lr=0.01 seed=0"}


def test_a_run_config_is_completed_from_its_data(tmp_path):
    pretrains, jobs = _jobs(tmp_path, minimal_study())
    scratch, vgg = jobs["scratch lr=0.01 seed=0"].config, jobs["vgg16-train-all lr=0.01 seed=0"].config
    assert scratch.num_classes == 5 and scratch.mean is None                       # raw images
    assert vgg.mean == pretrains[0].config.mean and vgg.width_divisor == TINY_PROFILE["vgg_width_divisor"]
    assert jobs["vgg16-train-all lr=0.01 seed=0"].backbone.name == pretrains[0].key
    assert len(pretrains) == 1 and pretrains[0].label == "pretraining VGG16/32 on digits 0-4"
    assert model_label("scratch_cnn") == "the scratch CNN" and model_label("resnet18") == "resnet18"


def test_why_a_run_trains_in_words():
    assert why_text({"state": "missing", "why": "never trained"}) == "never trained"
    reason = {"state": "partial", "why": "changed",
              "changes": {"settings": {"dropout": [0.5, 0.3]}, "code": ["0a1b", "4e5f"]}}
    assert why_text(reason) == "dropout 0.5 → 0.3; the training code (0a1b → 4e5f) (resumes from its checkpoint)"
