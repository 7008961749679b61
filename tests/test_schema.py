"""study.yaml: the shipped study resolves to the paper's runs; bad input is one line and exit code 2."""

import pytest

from conftest import STUDY, real_study_dict, write_study
from dcnn.cli import main
from dcnn.study.resolve import load_study


def test_shipped_study_declares_the_papers_27_figures():
    study = load_study(STUDY)
    labels = {r.figure for r in study.runs if r.figure is not None}
    assert labels == {str(i) for i in range(1, 28)}
    scratch_02 = [r for r in study.runs if r.variant == "scratch" and r.lr == 0.2]
    assert [r.seed for r in scratch_02] == [0, 1, 2, 3] and [r.figure for r in scratch_02] == ["1", "2", "3", "4"]
    fig10 = [r for r in study.runs if r.figure == "10"]
    assert {r.variant for r in fig10} == {"vgg16-freeze-all"} and {r.lr for r in fig10} == {0.2}
    assert fig10[0].settings.freeze == ("features[0:30]",)
    bs6 = next(r for r in study.runs if r.variant == "vgg16-bs6")
    assert bs6.settings.batch_size == 6 and bs6.settings.pretrained and bs6.settings.freeze == ()


def test_a_variant_inherits_what_it_does_not_state():
    study = load_study(STUDY)
    aug = next(r for r in study.runs if r.variant == "scratch-augment")
    assert aug.settings.model == "scratch_cnn" and aug.settings.augment and aug.settings.augment_preset == "digits"
    assert aug.settings.epochs == 20
    assert aug.compare_to == "scratch"


def _mutate(tmp_path, edit):
    d = real_study_dict()
    edit(d)
    return write_study(tmp_path / "study.yaml", d)


BAD = [
    ("unknown key", lambda d: d["variants"]["scratch"].update(lerning_rate=0.1),
     "variants.scratch: unknown key 'lerning_rate'"),
    ("wrong type", lambda d: d["defaults"].update(batch_size="big"),
     "defaults.batch_size: Input should be a valid integer (got 'big')"),
    ("unknown extends", lambda d: d["variants"]["scratch-augment"].update(extends="scrach"),
     "variants.scratch-augment.extends: unknown variant 'scrach'; did you mean 'scratch'?"),
    ("bad freeze spec", lambda d: d["variants"]["vgg16-freeze-all"].update(freeze=["features[0:40]"]),
     "variants.vgg16-freeze-all.freeze: bad freeze spec 'features[0:40]': features has 31 modules"),
    ("freezing the new head", lambda d: d["variants"]["vgg16-freeze-classifier"].update(freeze=["classifier[0:7]"]),
     "it covers classifier[6], the new output layer, which always trains (freeze at most classifier[0:6])"),
    ("garbled freeze spec", lambda d: d["variants"]["vgg16-freeze-all"].update(freeze=["features 0-30"]),
     "bad freeze spec 'features 0-30' (allowed: a module path, optionally with a slice: features[start:stop]"),
    ("circular extends", lambda d: d["variants"]["scratch"].update(extends="scratch-dropout"),
     "circular extends"),
    ("learning rate out of range", lambda d: d["variants"]["scratch"]["runs"][0].update(lr=-0.1),
     "variants.scratch.runs[0].lr: Input should be greater than 0 (got -0.1)"),
    ("figure used twice", lambda d: d["variants"]["scratch-augment"]["runs"][0].update(figure=10),
     "figure 10 is already used by"),
    ("unknown claim run", lambda d: d["claims"][0]["check"].update(a="scratch-augment@0.3"),
     "claims[0].check: unknown run 'scratch-augment@0.3'"),
    ("claim with two kinds", lambda d: d["claims"][0]["check"].update(lower="best_val_loss"),
     "claims[0].check: a check needs exactly one of"),
    ("unknown metric", lambda d: d["claims"][0]["check"].update(similar="best_loss"),
     "claims[0].check.similar: Input should be 'best_val_loss'"),
    ("variant name that is a path", lambda d: d["variants"].update({"../evil": {"title": "x", "model": "scratch_cnn",
                                                                             "runs": [{"lr": 0.1, "section": "9"}]}}),
     "a variant name must be lowercase letters"),
    ("missing required key", lambda d: d["variants"]["scratch"].pop("title"),
     "variants.scratch.title: missing required key"),
    ("unknown model", lambda d: d["variants"]["scratch"].update(model="resnet5O"),
     "variants.scratch.model: unknown model 'resnet5O' (allowed: scratch_cnn, vgg16, mlp, a torchvision "
     "classification model such as resnet18, timm/<name> or your own \"package.module:Class\"); did you mean 'resnet50'?"),
    ("a freeze path the model does not have", lambda d: d["variants"]["vgg16-freeze-all"].update(freeze=["layer4"]),
     "variants.vgg16-freeze-all.freeze: bad freeze spec 'layer4': vgg16 has no module 'layer4' "
     "(its top-level modules: features, avgpool, classifier)"),
    ("dropout on a model with its own", lambda d: d["variants"]["vgg16-train-all"].update(dropout=0.3),
     "variants.vgg16-train-all.dropout: vgg16 keeps its own dropout (allowed: dropout with scratch_cnn, mlp)"),
    ("a sweep without its lr", lambda d: d["sweeps"]["freeze-depth"].pop("lr"),
     "sweeps.freeze-depth.lr: a sweep that does not vary lr needs one lr"),
    ("a sweep value that is not whole", lambda d: d["sweeps"]["freeze-depth"].update(values=[0, 1.5]),
     "sweeps.freeze-depth.values: frozen_conv_layers takes whole numbers (got 1.5)"),
    ("a sweep baseline not among its values", lambda d: d["sweeps"]["lr-vgg16"].update(baseline=0.1),
     "sweeps.lr-vgg16.baseline: 0.1 is not one of the values"),
    ("a section that shows an unknown part", lambda d: d["sections"]["4"].update(shows=["conclusions"]),
     "sections.4.shows[0]: Input should be 'abstract', 'introduction', 'learning_rates', 'rankings', 'selection', "
     "'per_class', 'claims', 'discussion', 'project', 'summary', 'reproducibility' or 'factors'"),
    ("dropout out of range", lambda d: d["variants"]["scratch-dropout"].update(dropout=1.5),
     "variants.scratch-dropout.dropout: Input should be less than or equal to 0.99 (got 1.5)"),
    # The analysis block is bounded like every other key (alpha 1.5, a 500 % margin and a negative cap
    # each used to render a full report).
    ("alpha above one half", lambda d: d["analysis"].update(alpha=1.5),
     "analysis.alpha: Input should be less than or equal to 0.5 (got 1.5)"),
    ("alpha of zero", lambda d: d["analysis"].update(alpha=0),
     "analysis.alpha: Input should be greater than 0 (got 0)"),
    ("a relative margin of 500 %", lambda d: d["analysis"].update(similar_margin=5),
     "analysis.similar_margin: Input should be less than 1 (got 5)"),
    ("a negative cap on seeds", lambda d: d["analysis"].update(max_seeds=-1),
     "analysis.max_seeds: -1 is out of range (allowed: 2 to 1000)"),
    ("a cap below the declared seeds", lambda d: d["analysis"].update(max_seeds=3),
     "analysis.max_seeds: 3 is fewer than the 6 seeds vgg16-train-all@0.002 declares (allowed: at least the most seeds "
     "any group declares)"),
    ("an unknown correction", lambda d: d["analysis"].update(correction="sidak"),
     "analysis.correction: Input should be 'holm', 'bonferroni' or 'none' (got 'sidak')"),
    ("a negative plateau tolerance", lambda d: d["analysis"].update(plateau_tol=-0.01),
     "analysis.plateau_tol: Input should be greater than or equal to 0 (got -0.01)"),
    ("a margin on a claim that is not 'similar'", lambda d: d["claims"][1]["check"].update(margin=0.1),
     "claims[1].check: 'margin' is for 'similar', 'not_worse' claims only (got it with 'higher')"),
    ("a claim's relative margin of 150 %", lambda d: d["claims"][0]["check"].update(relative_margin=1.5),
     "claims[0].check.relative_margin: Input should be less than 1 (got 1.5)"),
    ("a claim's margin of zero", lambda d: d["claims"][0]["check"].update(margin=0),
     "claims[0].check.margin: Input should be greater than 0 (got 0)"),
    # Bounds where a typo costs hours or memory (each used to start without a word, or to allocate 640 GB).
    ("a million seeds", lambda d: d["defaults"].update(seeds=1_000_000),
     "defaults.seeds: 1000000 is out of range (allowed: 1 to 1000)"),
    ("no seeds for one run entry", lambda d: d["variants"]["scratch"]["runs"][1].update(seeds=0),
     "variants.scratch.runs[1].seeds: 0 is out of range (allowed: 1 to 1000)"),
    ("a billion epochs", lambda d: d["defaults"].update(epochs=1_000_000_000),
     "defaults.epochs: 1000000000 is out of range (allowed: 1 to 10000)"),
    ("no pretraining epochs", lambda d: d["profiles"]["demo"]["pretrain"].update(epochs=0),
     "profiles.demo.pretrain.epochs: 0 is out of range (allowed: 1 to 10000)"),
    ("an image size of 0", lambda d: d["profiles"]["demo"].update(image_size=0),
     "profiles.demo.image_size: 0 is out of range (allowed: 1 to 1024)"),
    ("a negative image size", lambda d: d["profiles"]["demo"].update(image_size=-5),
     "profiles.demo.image_size: -5 is out of range (allowed: 1 to 1024)"),
    ("an image size of 100000", lambda d: d["profiles"]["demo"].update(image_size=100_000),
     "profiles.demo.image_size: 100000 is out of range (allowed: 1 to 1024)"),
    ("an image size VGG16 cannot take", lambda d: d["profiles"]["demo"].update(image_size=16),
     "variants.vgg16-train-all.model: VGG16/8 cannot take images of 16×16 pixels (profile's image_size; "
     "allowed: at least 32)"),
    ("momentum with adam", lambda d: d["variants"]["scratch"].update(optimizer="adam", momentum=0.9),
     "variants.scratch.momentum: 0.9 is for optimizer sgd; adam keeps its own moment estimates (remove momentum, "
     "or use optimizer: sgd)"),
    ("momentum with adam in the pretraining", lambda d: d["profiles"]["demo"]["pretrain"].update(momentum=0.9),
     "profiles.demo.pretrain: momentum 0.9 is for optimizer sgd; adam keeps its own moment estimates (remove "
     "momentum, or use optimizer: sgd)"),
    ("a claim comparing a group with itself", lambda d: d["claims"][0]["check"].update(a="scratch@0.2"),
     "claims[0].check: it compares scratch@0.2 with itself: a claim compares two different things"),
    ("a claim comparing a learning rate with itself", lambda d: d["claims"][6]["check"].update(better=0.2),
     "claims[6].check: it compares learning rate 0.2 with itself: a claim compares two different things"),
    ("both margins on a claim", lambda d: d["claims"][0]["check"].update(margin=0.1, relative_margin=0.1),
     "claims[0].check: give one of margin (in the metric's units) and relative_margin (a share of b's mean), not "
     "both"),
]


@pytest.mark.parametrize("name,edit,message", BAD, ids=[b[0] for b in BAD])
def test_bad_study_is_one_line_with_exit_code_2(tmp_path, capsys, name, edit, message):
    path = _mutate(tmp_path, edit)
    assert main(["list", "--study", str(path), "--build", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    assert err.startswith(f"error: {path}: ")
    assert message in err


def _raw(tmp_path, text):
    path = tmp_path / "study.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("name,text,message", [
    ("duplicate variant", STUDY.read_text().replace("  scratch-dropout:\n", "  scratch-augment:\n", 1),
     "duplicate key 'scratch-augment'"),
    ("not YAML", "title: [unclosed\nvariants: {}\n", "not valid YAML"),
    ("empty file", "", "(top level): expected a mapping"),
    ("a list", "- 1\n- 2\n", "(top level): expected a mapping"),
    ("python tag", "title: !!python/object/apply:os.system ['echo hacked']\n", "not valid YAML"),
    ("a merge key that is not a mapping", "title: x\nprofiles: {demo: {<<: 3}}\nvariants: {}\n", "not valid YAML"),
])
def test_bad_yaml_is_one_line(tmp_path, capsys, name, text, message):
    path = _raw(tmp_path, text)
    assert main(["list", "--study", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


@pytest.mark.parametrize("edit,warning", [
    (lambda d: (d["analysis"].pop("max_seeds"), d["defaults"].update(seeds=1)),
     "claims[0].check: can never be decided: scratch-augment@0.2 has 1 seed, and a verdict needs two or more "
     "(seeds: 2, or analysis.max_seeds for dcnn run --decide)"),
    (lambda d: d["profiles"]["demo"].update(test_per_class=0),
     "claims[0].check: can never be decided: test_loss_at_best needs a test split, and the profile has none "
     "(test_per_class: 0); use a val_ metric, or give the profile a test split"),
])
def test_a_claim_that_can_never_be_decided_is_said_once_per_claim(tmp_path, edit, warning):
    from conftest import dcnn_here

    path = _mutate(tmp_path, edit)
    proc = dcnn_here("list", "--study", str(path), "--build", str(tmp_path / "b"))
    assert proc.returncode == 0, proc.stderr                # the study stays valid: a smoke test at one seed
    assert f"warning: {path}: {warning}\n" in proc.stderr
    assert proc.stderr.count("claims[0].check") == 1


def test_yaml_merge_keys_are_merges(tmp_path):
    """``<<: *base`` (YAML's merge key) takes a mapping's keys, which the mapping's own override."""
    d = real_study_dict()
    text = STUDY.read_text().replace("  scratch-dropout:\n    extends: scratch\n", "  scratch-dropout:\n    <<: *scratch\n")
    text = text.replace("  scratch:\n", "  scratch: &scratch\n", 1)
    study = load_study(_raw(tmp_path, text))
    dropout = next(r for r in study.runs if r.variant == "scratch-dropout")
    assert dropout.settings.model == "scratch_cnn"                          # from the merge (no extends)
    assert dropout.settings.dropout == d["variants"]["scratch-dropout"]["dropout"] and dropout.title == \
        d["variants"]["scratch-dropout"]["title"]                           # its own, over the merged ones


def test_missing_profile(capsys):
    assert main(["list", "--study", str(STUDY), "--profile", "laptop"]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {STUDY}: profiles: no profile 'laptop' (allowed: demo, paper)\n"


def test_missing_study_file(tmp_path, capsys):
    assert main(["list", "--study", str(tmp_path / "nope.yaml")]) == 2
    assert "study file not found" in capsys.readouterr().err


def test_missing_data_dir(tmp_path, capsys):
    assert main(["run", "--study", str(STUDY), "--profile", "paper", "--data", str(tmp_path / "nope"),
                 "--build", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not exist" in err and str(tmp_path / "nope") in err


def test_paper_profile_without_data(tmp_path, capsys):
    assert main(["run", "--study", str(STUDY), "--profile", "paper", "--build", str(tmp_path / "b")]) == 2
    assert "needs --data DIR" in capsys.readouterr().err


def test_unknown_variant_suggests_close_names(tmp_path, capsys):
    assert main(["run", "vgg16-freeze-al", "--study", str(STUDY), "--build", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "no variant matches 'vgg16-freeze-al'; did you mean vgg16-freeze-all" in err


def test_bad_command_line_is_exit_code_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run", "--jobs", "many"])
    assert exc.value.code == 2
