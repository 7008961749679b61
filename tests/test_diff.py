"""python -m dcnn diff: what changed between two builds (diff.py)."""
from __future__ import annotations

import json
import shutil

import pytest
import yaml

from conftest import dcnn_here as dcnn, write_study
from dcnn.analysis import claim_groups

pytestmark = pytest.mark.xdist_group("paper_shaped")   # the shared toy study of test_report.py


def test_one_changed_dropout_names_its_groups_and_claims(paper_shaped, tmp_path):
    study, build = paper_shaped
    d = yaml.safe_load(study.read_text())
    d["variants"]["scratch-dropout"]["dropout"] = 0.3
    changed = write_study(tmp_path / "study.yaml", d)
    other = tmp_path / "build"
    shutil.copytree(build, other, ignore=shutil.ignore_patterns("locks"))
    proc = dcnn("report", "--run-missing", "--no-pdf", "--study", str(changed), "--build", str(other), "-j", "1")
    assert proc.returncode == 0, proc.stderr
    out = dcnn("diff", str(build), str(other), "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    groups = {g["group"] for g in json.loads((build / "results.json").read_text())["groups"]
              if g["variant"] == "scratch-dropout"}
    assert {m["group"] for m in result["groups"]} == groups
    assert {c["run"].split("/")[0] for c in result["runs"]["changed"]} == groups
    assert result["runs"]["added"] == result["runs"]["removed"] == []
    new = json.loads((other / "results.json").read_text())
    old = json.loads((build / "results.json").read_text())
    flipped = {c["claim"] for c in result["claims"]}
    for i, (a, b) in enumerate(zip(old["claims"], new["claims"]), 1):
        uses = bool(set(claim_groups(new, b["check"])) & groups)
        if (a["verdict"], a.get("reason")) != (b["verdict"], b.get("reason")):
            assert i in flipped and uses
        else:
            assert i not in flipped
    text = dcnn("diff", str(build), str(other / "results.json"))
    assert text.returncode == 0 and "scratch-dropout@0.2 best_val_loss" in text.stdout


def test_bad_input_is_one_line_and_exit_2(paper_shaped, tmp_path):
    study, build = paper_shaped
    for args, words in (((str(build), str(tmp_path / "missing")), "no such build"),
                        ((str(build), str(study)), "not a dcnn results.json")):
        proc = dcnn("diff", *args)
        assert proc.returncode == 2 and words in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    r = json.loads((build / "results.json").read_text())
    r["study"]["title"] = "another study"
    (tmp_path / "other.json").write_text(json.dumps(r))
    proc = dcnn("diff", str(build), str(tmp_path / "other.json"))
    assert proc.returncode == 2 and "different studies" in proc.stderr
    assert dcnn("diff", str(build), str(tmp_path / "other.json"), "--force").returncode == 0
    (tmp_path / "list.json").write_text("[1, 2]")
    assert dcnn("diff", str(build), str(tmp_path / "list.json")).returncode == 2
