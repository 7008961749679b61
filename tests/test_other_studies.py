"""Any ablation study, not only the paper's: the second shipped study renders without a word of the
paper's, its numbering is its own, a torchvision model trains on the demo data, a study can pretrain
its own backbone on a source ImageFolder, and an installed (not cloned) dcnn finds its templates."""
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT, STUDY, dcnn, dcnn_here, load_results, make_imagefolder, write_study
from dcnn.report.blocks import section_key
from dcnn.report.outline import GENERATED_HEADINGS

SECOND = ROOT / "studies" / "small-models.yaml"


def second_study_at_toy_scale() -> dict:
    """The second study at toy scale: its report's words and structure are what is tested, so one seed
    and 16x16 images (ResNet-18's runs dominate its training time: 57 s at 2 seeds and 32x32, 20 s now)."""
    d = yaml.safe_load(SECOND.read_text())
    d["defaults"].update(epochs=2, seeds=1)
    d["profiles"]["digits10"].update(train_per_class=4, val_per_class=3, image_size=16)
    return d


@pytest.fixture(scope="module")
def second(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("second")
    study = write_study(tmp / "small-models.yaml", second_study_at_toy_scale())
    build = tmp / "build"
    dcnn_here("report", "--run-missing", "--no-pdf", "--study", str(study), "--profile", "digits10", "--build",
              str(build), "-j", "1", check=True)
    return study, build, (build / "report.html").read_text()


def visible_text(html: str) -> str:
    html = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def papers_sentences() -> list[str]:
    """Every sentence of the paper's study file's own words (titles, headings, texts, claims)."""
    d = yaml.safe_load(STUDY.read_text())
    strings = [d["title"], d.get("paper") or ""]
    for s in d["sections"].values():
        strings += [s] if isinstance(s, str) else [s["heading"], s.get("text") or ""]
    for v in d["variants"].values():
        strings += [v["title"], v.get("heading") or ""]
    strings += [sw["title"] for sw in d["sweeps"].values()] + [c["says"] for c in d["claims"]]
    sentences = [" ".join(p.split()) for s in strings for p in re.split(r"(?<=[.;:])\s+", s)]
    dcnns_own = set(GENERATED_HEADINGS.values())      # headings dcnn gives any study's parts
    return [s.rstrip(".;:") for s in sentences if len(s.split()) >= 3 and s not in dcnns_own]


def test_no_sentence_of_the_papers_study_appears_in_another_studys_report(second):
    _, _, html = second
    text = visible_text(html)
    found = [s for s in papers_sentences() if s in text]
    assert not found, found
    for phrase in ("VGG16", "Pretrained weights:", "sections 5 and 6", "the original", "digits 0–4", "learning rate 0.002", "lr 0.002", "paper"):
        assert phrase not in text, phrase
    assert "Small models for small data" in text and "Trained from scratch on a small dataset" in text


def test_section_and_figure_numbers_are_unique_and_in_reading_order(second):
    _, _, html = second
    numbers = [n.removeprefix("Appendix ") for n in re.findall(r'<h[234][^>]*><span class="num">([^<]+)</span>', html)]
    assert len(numbers) == len(set(numbers)), numbers
    assert numbers == sorted(numbers, key=section_key), numbers
    assert numbers[:3] == ["1", "2", "2.1"] and "4" in numbers and "6" in numbers   # 6: its claims, numbered after
    figures = re.findall(r"<b>Figure ([^:]+):</b>", html)
    assert figures == [str(i) for i in range(1, len(figures) + 1)], figures          # no "A" outside an appendix
    # The only appendix is the generated one, lettered A as the study declares none.
    assert re.findall(r'<h2[^>]*><span class="num">Appendix (\w)</span> ([^<]+)</h2>', html) == [("A", "Reproducibility")]


def test_the_second_studys_report_says_what_its_models_are(second):
    _, build, html = second
    results = load_results(build)
    assert {r["status"] for r in results["runs"]} <= {"complete", "diverged"}
    assert "Torchvision&#39;s resnet18, from random initialisation" in html
    assert "Torchvision&#39;s mobilenet_v3_small" in html
    assert "The same as §2.2 (cnn), with random transformations" in html
    assert "python -m dcnn report --run-missing --study " + str(second[0]) + " --profile digits10" in html
    assert "make run VARIANT=cnn" in html


def test_a_study_pretrains_its_own_backbone_on_a_source_imagefolder(tmp_path):
    make_imagefolder(tmp_path / "source", classes=3, per_class=8, size=40)
    data = make_imagefolder(tmp_path / "target", classes=2, per_class=6, size=40)
    d = {"title": "transfer between two folders", "defaults": {"epochs": 2, "batch_size": 4, "seeds": 1},
         "profiles": {"mine": {"data": "imagefolder", "image_size": 32, "source": "source",
                               "pretrain": {"epochs": 2, "batch_size": 8, "optimizer": "adam", "lr": 0.001}}},
         "variants": {"tiny": {"title": "MobileNetV3-Small, pretrained here", "model": "mobilenet_v3_small",
                               "pretrained": True, "freeze": ["features[0:4]"],
                               "runs": [{"lr": 0.01, "section": "1"}]}}}
    study = write_study(tmp_path / "mine.yaml", d)           # source: relative to the study file
    build = tmp_path / "build"
    proc = dcnn_here("report", "--run-missing", "--no-pdf", "--study", str(study), "--profile", "mine", "--data",
                     str(data), "--build", str(build), "-j", "1", check=True)
    assert "pretraining mobilenet_v3_small on ImageFolder source" in proc.stderr
    r = load_results(build)
    pre = r["study"]["pretraining"]
    assert pre["kind"] == "own" and pre["backbones"][0]["status"] == "complete"
    assert r["runs"][0]["status"] == "complete" and r["runs"][0]["frozen_batchnorms"] > 0
    html = (build / "report.html").read_text()
    assert "pretrained by this study on ImageFolder source" in html and "BatchNorm statistics stay frozen" in html


def test_an_installed_dcnn_finds_its_templates(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".venv", "build", ".git", "mutants", "__pycache__",
                                                             ".pytest_cache", ".hypothesis", "*.egg-info"))
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(src)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(SECOND, elsewhere / "study.yaml")
    env = {"PYTHONPATH": str(site)}
    where = subprocess.run([sys.executable, "-c", "import dcnn; print(dcnn.__file__)"], cwd=elsewhere,
                           env={**env, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(site))                 # the installed copy, not this checkout
    dcnn("report", "--no-pdf", "--profile", "digits10", env=env, cwd=elsewhere, check=True, fresh=True)
    html = (elsewhere / "build" / "report.html").read_text()
    assert "Small models for small data" in html and "No seed of this configuration has been trained yet" in html


def test_the_second_studys_results_validate_against_the_shipped_schema(second):
    from test_results_schema import comparisons, validate

    _, build, _ = second
    results = load_results(build)
    validate(results)
    assert len({frozenset(c) for _, c in comparisons(results)}) == 1
