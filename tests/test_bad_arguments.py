"""Bad command lines and files given to dcnn's commands: each one line and exit code 2 before any work
(or, for a disk that fills during `report`, one line and exit code 1 with no temporary file left);
`judge` neither overflows nor hangs on extreme values; `diff` ignores wall-clock time."""
import copy
import json
import resource
import signal

import pytest

from conftest import dcnn, dcnn_here, minimal_study, write_study


@pytest.fixture
def study(tmp_path):
    return str(write_study(tmp_path / "study.yaml", minimal_study()))


def one_line(proc, code: int = 2) -> str:
    assert proc.returncode == code and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    return proc.stderr


def test_a_build_that_is_a_file_is_one_line(tmp_path, study):
    (tmp_path / "afile").write_text("")
    for build in (tmp_path / "afile", tmp_path / "afile" / "build"):
        err = one_line(dcnn_here("list", "--study", study, "--build", str(build)))
        assert f"--build {build}: {tmp_path / 'afile'} is a file, not a directory" in err


def test_a_build_name_longer_than_the_file_system_allows_is_one_line(tmp_path, study):
    build = tmp_path / ("b" * 300)
    for command in ("list", "run", "report"):
        err = one_line(dcnn_here(command, "--study", study, "--build", str(build)))
        assert "--build: the name bbbbbbbbbbbbbbbbbbbbbbbb... has 300 bytes, more than the file system allows in one " \
               "name (255)" in err


@pytest.mark.parametrize("device,words", [("tpu", "--device tpu: unknown (allowed: auto, cpu, cuda, cuda:N, mps)"),
                                          ("meta", "--device meta: dcnn trains on cpu, cuda or mps")])
def test_a_device_dcnn_cannot_train_on_is_one_line_before_any_work(tmp_path, study, device, words):
    err = one_line(dcnn_here("run", "--study", study, "--build", str(tmp_path / "b"), "--device", device))
    assert words in err and not (tmp_path / "b").exists()


def test_flags_that_would_be_ignored_are_one_line(tmp_path, study):
    err = one_line(dcnn_here("run", "--study", study, "--build", str(tmp_path / "b"), "--ray-address", "10.0.0.1:6379"))
    assert "--ray-address 10.0.0.1:6379: only with --executor ray" in err
    for command in ("run", "list", "report"):
        err = one_line(dcnn_here(command, "--study", study, "--build", str(tmp_path / "b"), "--data", str(tmp_path)))
        assert f"--data {tmp_path}: profile 'demo' has data: digits, which reads no data directory" in err


@pytest.mark.parametrize("n", ["1e9", "1000000000", "5", "-1", "many"])
def test_calibrate_n_out_of_range_names_the_range(tmp_path, study, n):
    err = one_line(dcnn_here("calibrate", "--study", study, "--build", str(tmp_path / "b"), "--n", n))
    assert "argument --n:" in err and "synthetic studies (allowed: 10 to 100000)" in err


def test_judge_takes_negative_values_without_an_equals_sign():
    proc = dcnn_here("judge", "lower", "--a", "-0.5,-0.6,-0.55", "--b", "-0.1,-0.2,-0.15", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["difference"] == pytest.approx(-0.4)


@pytest.mark.parametrize("args", [("lower", "--a", "1e160,2e160,1.5e160", "--b", "3e160,4e160,3.5e160"),
                                  ("similar", "--a", "1e308,1.7e308", "--b", "1.5e308,1.6e308"),
                                  ("lower", "--a", "1e-320,2e-320,1.5e-320", "--b", "3e-320,4e-320,3.5e-320")])
def test_judge_on_extreme_values_neither_overflows_nor_hangs(args):
    proc = dcnn("judge", *args, "--json", timeout=120)      # (a process of its own: it used to hang)
    assert proc.returncode == 0, proc.stderr
    j = json.loads(proc.stdout)
    a, b = ([float(v) for v in args[i].split(",")] for i in (2, 4))
    mean = lambda values: sum(v / len(values) for v in values)  # noqa: E731  (no sum beyond the largest float)
    assert j["difference"] == pytest.approx(mean(a) - mean(b), rel=1e-12)


def test_judge_scales_without_changing_the_verdict():
    ordinary = json.loads(dcnn_here("judge", "lower", "--a", "1,2,1.5", "--b", "3,4,3.5", "--json").stdout)
    huge = json.loads(dcnn_here("judge", "lower", "--a", "1e160,2e160,1.5e160", "--b", "3e160,4e160,3.5e160",
                                "--json").stdout)
    assert huge["verdict"] == ordinary["verdict"] == "supported"
    assert huge["p_value"] == pytest.approx(ordinary["p_value"], rel=1e-9)
    assert huge["ci"][0] == pytest.approx(ordinary["ci"][0] * 1e160, rel=1e-9)


def test_judge_a_relative_margin_on_a_mean_of_zero_is_one_line():
    err = one_line(dcnn_here("judge", "similar", "--a", "0.1,-0.1,0.05", "--b", "0.2,-0.2,0"))
    assert "margin: a share of b's mean is no margin where that mean is 0; give one in the values' units" in err
    assert dcnn_here("judge", "similar", "--a", "0.1,-0.1,0.05", "--b", "0.2,-0.2,0", "--margin", "0.5").returncode == 0


def _built(tmp_path, study) -> str:
    build = tmp_path / "build"
    dcnn_here("report", "--run-missing", "--no-pdf", "-j", "1", "--study", study, "--build", str(build), check=True)
    return str(build)


def test_report_on_a_full_disk_is_one_line_and_leaves_no_temporary_file(tmp_path, study):
    build = _built(tmp_path, study)
    figure = min(p.stat().st_size for p in (tmp_path / "build" / "figures").glob("*.svg"))
    for drawn in (tmp_path / "build" / "figures").iterdir():
        drawn.unlink()                                      # the figures are drawn again, first of the files ...
    # ... where no file may grow beyond half the smallest figure: the disk is full when the first is written.
    limit = figure // 2
    old_limit, old_handler = resource.getrlimit(resource.RLIMIT_FSIZE), signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, old_limit[1]))
    try:
        proc = dcnn_here("report", "--no-pdf", "--study", study, "--build", build)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
        signal.signal(signal.SIGXFSZ, old_handler)
    err = one_line(proc, code=1)
    assert f"error: cannot write {build}/figures/" in err and "the file is larger than this process may write" in err
    assert not [p for p in (tmp_path / "build").rglob("*") if p.name.endswith(".tmp")]


def _results(tmp_path) -> dict:
    return {"format": 1, "study": {"title": "t"}, "groups": [], "claims": [],
            "runs": [{"group": "g@0.1", "seed": 0, "status": "complete", "key": "k", "train_seconds": 3.0,
                      "history": [{"epoch": 1, "val_loss": 0.5, "seconds": 1.5}]}]}


@pytest.mark.parametrize("edit,words", [
    (lambda r: r.update(runs=None), "runs: input should be a valid list"),
    (lambda r: r["runs"].append("a run"), "runs[1]: input should be a valid dictionary"),
    (lambda r: r["claims"].append({"says": "x", "verdict": "supported"}), "claims[0].check: field required"),
    (lambda r: r["groups"].append({"group": "g@0.1", "metrics": {"best_val_loss": 3}}),
     "groups[0].metrics.best_val_loss: input should be a valid dictionary"),
])
def test_diff_of_a_structurally_wrong_results_json_is_one_line(tmp_path, edit, words):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(_results(tmp_path)))
    r = _results(tmp_path)
    edit(r)
    bad.write_text(json.dumps(r))
    err = one_line(dcnn_here("diff", str(good), str(bad)))
    assert f"{bad}: not a dcnn results.json ({words}" in err, err


def test_diff_ignores_wall_clock_time_and_reports_it_apart(tmp_path):
    a = _results(tmp_path)
    b = copy.deepcopy(a)
    b["runs"][0]["history"][0]["seconds"] = 9.25             # the same run, trained again: only its time differs
    b["runs"][0]["train_seconds"] = 11.0
    a["study"]["train_seconds"], b["study"]["train_seconds"] = 3.0, 11.0
    (tmp_path / "a.json").write_text(json.dumps(a))
    (tmp_path / "b.json").write_text(json.dumps(b))
    out = json.loads(dcnn_here("diff", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--json").stdout)
    assert out["runs"]["changed"] == [] and out["train_seconds"] == {"old": 3.0, "new": 11.0}
    b["runs"][0]["history"][0]["val_loss"] = 0.25             # what a run computed still counts
    (tmp_path / "b.json").write_text(json.dumps(b))
    out = json.loads(dcnn_here("diff", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--json").stdout)
    assert [c["changed"] for c in out["runs"]["changed"]] == [["history"]]
