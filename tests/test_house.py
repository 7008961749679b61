"""The house rules of the package (tools/house_rules.py) and what each room may not do."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_no_module_function_or_class_over_its_size_and_no_import_circle():
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "house_rules.py")], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout


def test_the_study_resolves_without_torch():
    code = ("import sys; from dcnn.config import load_study; load_study('study.yaml'); "
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
