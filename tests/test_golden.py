"""The numerics version is bumped exactly when a run's numbers move (train.NUMERICS, tools/golden.py):
tiny runs covering every setting are trained again and compared with the histories recorded under the
present version — to the last bit on the kind of CPU that recorded them, within float noise on
another — and a change to the loss shows that the comparison bites."""
import json
import math
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import golden  # noqa: E402

from dcnn.train import NUMERICS  # noqa: E402

RECORDED = json.loads(golden.GOLDEN.read_text())


def differences(name: str, history: list[dict], exact: bool) -> list[str]:
    out = []
    for epoch, (got, want) in enumerate(zip(history, RECORDED["histories"][name], strict=True), 1):
        for key in golden.KEYS:
            same = got[key] == want[key] if exact else math.isclose(got[key], want[key], rel_tol=1e-3, abs_tol=1e-5)
            if not same:
                out.append(f"{name} epoch {epoch} {key}: {got[key]!r} (recorded {want[key]!r})")
    return out


def test_the_golden_histories_were_recorded_under_this_numerics_version():
    assert RECORDED["numerics"] == NUMERICS, (
        f"train.NUMERICS is {NUMERICS} but tests/golden/histories.json was recorded under {RECORDED['numerics']}: "
        "run python tools/golden.py on an AVX-512 machine and commit it")
    assert set(RECORDED["histories"]) == set(golden.CASES)


@pytest.mark.parametrize("name", sorted(golden.CASES))
def test_a_golden_run_gives_its_recorded_history(name):
    exact = golden.cpu_kind() == RECORDED["cpu"]
    found = differences(name, golden.train(name), exact)
    assert not found, ("a run's numbers moved without a bump of train.NUMERICS (or a golden history was "
                       "recorded by other numerics): bump it and run python tools/golden.py\n" + "\n".join(found))


def test_a_change_to_the_loss_is_caught(monkeypatch):
    plain = torch.nn.functional.cross_entropy
    monkeypatch.setattr(torch.nn.functional, "cross_entropy",
                        lambda x, y, **kw: plain(x, y, **{**kw, "label_smoothing": 0.05}))
    assert differences("scratch-every-setting", golden.train("scratch-every-setting"), exact=False)
