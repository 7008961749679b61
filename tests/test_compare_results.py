"""tools/compare_results.py: two builds' numbers compared run by run, to the last digit."""
import json
import subprocess
import sys
from pathlib import Path

TOOL = Path(__file__).resolve().parent.parent / "tools" / "compare_results.py"


def _results(path, val_losses, extra_run=False):
    runs = [{"variant": "v", "lr": 0.1, "seed": s, "status": "complete", "train_seconds": 1.0 + s,
             "history": [{"epoch": 1, "train_loss": 1.0, "val_loss": v, "val_acc": 0.5, "seconds": 2.0}]}
            for s, v in enumerate(val_losses)]
    if extra_run:
        runs.append({**runs[0], "variant": "w"})
    pre = {"history": [{"epoch": 1, "train_loss": 0.5, "val_loss": 0.4, "val_acc": 0.9}]}
    path.write_text(json.dumps({"runs": runs, "study": {"pretraining": pre}}))
    return str(path)


def _compare(a, b):
    return subprocess.run([sys.executable, str(TOOL), a, b], capture_output=True, text=True)


def test_equal_histories_pass_and_timings_do_not_count(tmp_path):
    a = _results(tmp_path / "a.json", [0.7, 0.6])
    b = _results(tmp_path / "b.json", [0.7, 0.6], extra_run=True)
    out = _compare(a, b)
    assert out.returncode == 0
    assert out.stdout.splitlines() == ["2 runs trained in both: 2 identical, 0 different; not trained in one of "
                                       "them: 0; only in the first: 0, only in the second: 1",
                                       "pretraining history (1 backbone, 1 epochs): identical"]


def test_a_run_not_trained_in_one_build_is_counted_apart(tmp_path):
    a = _results(tmp_path / "a.json", [0.7, 0.6])
    data = json.loads(open(_results(tmp_path / "b.json", [0.7, 0.5])).read())
    data["runs"][1].update(status="missing", history=[])
    (tmp_path / "b.json").write_text(json.dumps(data))
    out = _compare(a, str(tmp_path / "b.json"))
    assert out.returncode == 0 and out.stdout.startswith("1 runs trained in both: 1 identical, 0 different; not "
                                                         "trained in one of them: 1;")


def test_a_difference_in_the_last_digit_is_named(tmp_path):
    a = _results(tmp_path / "a.json", [0.7, 0.6])
    b = _results(tmp_path / "b.json", [0.7, 0.6000000000000001])
    out = _compare(a, b)
    assert out.returncode == 1 and "  differs: v 0.1 1" in out.stdout.splitlines()


def test_a_study_without_pretraining_compares_its_runs(tmp_path):
    for name in ("a.json", "b.json"):
        data = json.loads(open(_results(tmp_path / name, [0.7, 0.6])).read())
        data["study"]["pretraining"] = {"kind": "none", "backbones": []}    # as results.json has it
        (tmp_path / name).write_text(json.dumps(data))
    out = _compare(str(tmp_path / "a.json"), str(tmp_path / "b.json"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[1] == "pretraining: none in either"
