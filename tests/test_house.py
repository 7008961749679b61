"""The house rules of the package (tools/house_rules.py) and what each room may not do."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_no_module_function_or_class_over_its_size_and_no_import_circle():
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "house_rules.py")], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout


def _planted(tmp_path, edits: dict[str, str]):
    """tools/house_rules.py's breaches in a copy of the package with ``edits`` appended to its modules."""
    import shutil

    sys.path.insert(0, str(ROOT / "tools"))
    import house_rules

    copy = tmp_path / "dcnn"
    shutil.copytree(ROOT / "dcnn", copy, ignore=shutil.ignore_patterns("__pycache__"))
    for module, text in edits.items():
        path = copy / module
        path.write_text(path.read_text() + "\n" + text + "\n")
    return house_rules.breaches(copy)


def test_house_rules_find_a_circle_planted_behind_a_lazy_import(tmp_path):
    # claims imports stats; a function of stats importing claims closes a loop only a lazy import hides
    found = _planted(tmp_path, {"analysis/stats.py": "def _late():\n    from .claims import claim_groups  # noqa\n"})
    assert any("an import circle" in b and "dcnn.analysis.claims" in b and "dcnn.analysis.stats" in b for b in found), found


def test_house_rules_find_an_import_that_points_up_a_layer(tmp_path):
    found = _planted(tmp_path, {"data/images.py": "def _late():\n    from ..study import settings  # noqa\n"})
    assert any("dcnn.data.images" in b and "layer 'data' may not import layer 'study' above it" in b for b in found), found
    assert _planted(tmp_path / "clean", {}) == []


def test_the_study_resolves_without_torch():
    code = ("import sys; from dcnn.study.resolve import load_study; load_study('study.yaml'); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "False", out.stderr


def test_no_room_but_its_registry_names_a_model_or_a_data_source():
    from dcnn.registry.data import DATA_SOURCES
    from dcnn.registry.models import MODELS

    names = "|".join(map(re.escape, [*MODELS, *DATA_SOURCES, "resnet18", "mobilenet_v3_small"]))
    pattern = re.compile(rf"""["']({names})["']""")
    hits = [f"{path.relative_to(ROOT)}:{i}: {line.strip()}"
            for path in (ROOT / "dcnn").rglob("*.py") if "registry" not in path.parts
            for i, line in enumerate(path.read_text().splitlines(), 1) if pattern.search(line)
            and "AUGMENT_PRESETS" not in line and "Literal" not in line]
    assert not hits, hits


def test_tests_sharing_a_build_run_on_one_xdist_worker(tmp_path):
    """`make test` runs `-n 2 --dist loadgroup`: the tests of one shared build (conftest's hook groups
    them) must land on one worker, or the build is made twice. pytest 9.2 broke xdist's groups silently."""
    (tmp_path / "test_groups.py").write_text(
        "import os, pytest\n"
        "@pytest.fixture(scope='session')\n"
        "def paper_shaped():\n    return os.getpid()\n"
        "@pytest.mark.parametrize('i', range(6))\n"
        "def test_shared(paper_shaped, i):\n"
        "    with open(os.environ['WHERE'], 'a') as f:\n"
        "        f.write(os.environ['PYTEST_XDIST_WORKER'] + '\\n')\n")
    where = tmp_path / "where"
    env = {**__import__("os").environ, "WHERE": str(where), "PYTHONPATH": str(ROOT / "tests")}
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadgroup", "-p", "conftest",
                          "-p", "no:cacheprovider", str(tmp_path / "test_groups.py")],
                         capture_output=True, text=True, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    workers = where.read_text().split()
    assert len(workers) == 6 and len(set(workers)) == 1, workers
