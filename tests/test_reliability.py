"""Nothing is lost: kills at many points, damaged files, two processes at once, full disks, failing runs."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, dcnn, load_results, minimal_study, strip_volatile, write_study
from dcnn.cli import main
from dcnn.store import Store, dump_json


def rel_study(tmp_path: Path, epochs: int = 3) -> Path:
    d = minimal_study()
    d["defaults"]["epochs"] = epochs
    return write_study(tmp_path / "study.yaml", d)


def report_cmd(study: Path, build: Path, *extra: str) -> list[str]:
    return ["report", "--run-missing", "--no-pdf", "-j", "1", "--study", str(study), "--build", str(build), *extra]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """One uninterrupted study: its results.json and the fault points it passes, in order."""
    tmp = tmp_path_factory.mktemp("reference")
    study = rel_study(tmp)
    trace = tmp / "trace"
    dcnn(*report_cmd(study, tmp / "build"), env={"DCNN_FAULT_TRACE": str(trace)}, check=True)
    return study, strip_volatile(load_results(tmp / "build")), trace.read_text().split()


def _hits(trace: list[str]) -> list[tuple[str, int]]:
    """Each entry of the trace as (point, how many times it has been reached so far)."""
    counts: dict[str, int] = {}
    out = []
    for p in trace:
        counts[p] = counts.get(p, 0) + 1
        out.append((p, counts[p]))
    return out


def _index(trace: list[str], point: str, which: int, offset: int = 0) -> int:
    return [i for i, p in enumerate(trace) if p == point][which] + offset


# Where to kill `dcnn report --run-missing`, as positions in the reference run's trace of fault points.
KILL_POINTS = {
    "inside the data file write": lambda t: _index(t, "store.write.partial", 0),
    "at the start of pretraining": lambda t: _index(t, "train.start", 0),
    "mid-epoch in pretraining": lambda t: _index(t, "train.step", 6),
    "inside the first checkpoint write": lambda t: _index(t, "checkpoint.save", 0, 1),
    "a checkpoint written, not yet renamed": lambda t: _index(t, "checkpoint.save", 0, 2),
    "between two epochs": lambda t: _index(t, "train.epoch_end", 0),
    "inside the backbone write": lambda t: _index(t, "train.start", 1, -4),
    "inside a result write": lambda t: _index(t, "store.result.written", 0, -2),
    "a result written, not yet renamed": lambda t: _index(t, "store.result.written", 0, -1),
    "a result renamed, its checkpoint not yet removed": lambda t: _index(t, "store.result.written", 0),
    "mid-epoch, mid-study": lambda t: _index(t, "train.step", -8),
    "inside the last checkpoint write": lambda t: _index(t, "checkpoint.save", -1, 1),
    "after training, before the report": lambda t: _index(t, "report.write", 0),
}


@pytest.mark.parametrize("where", list(KILL_POINTS))
def test_a_kill_anywhere_loses_nothing(reference, tmp_path, where):
    study, expected, trace = reference
    point, n = _hits(trace)[KILL_POINTS[where](trace)]
    build = tmp_path / "build"
    killed = dcnn(*report_cmd(study, build), env={"DCNN_FAULT": f"{point}:{n}"})
    assert killed.returncode == -signal.SIGKILL, f"{point}:{n} was not reached: {killed.stderr}"
    rerun = dcnn(*report_cmd(study, build))
    assert rerun.returncode == 0, rerun.stderr
    assert "damaged" not in rerun.stderr, rerun.stderr    # no partial file was ever read
    assert strip_volatile(load_results(build)) == expected
    assert not list(build.rglob("*.tmp"))                  # a killed writer's leftovers are swept


def test_ctrl_c_stops_after_the_epoch_and_the_rerun_resumes(reference, tmp_path):
    study, expected, _ = reference
    build = tmp_path / "build"
    cmd = ["report", "--run-missing", "--no-pdf", "-j", "2", "--study", str(study), "--build", str(build)]
    proc = subprocess.Popen([sys.executable, "-m", "dcnn", *cmd], cwd=ROOT, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.time() + 120
    while not list(build.glob("runs/*/checkpoint.pt")) and time.time() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)   # what Ctrl-C does to the foreground process group
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == 130, err
    assert "stopping after the current epoch" in err
    assert "continue with: python -m dcnn run" in err
    assert list(build.glob("runs/*/checkpoint.pt")) or list(build.glob("runs/*/result.json"))
    dcnn(*report_cmd(study, build), "-v", check=True)
    assert strip_volatile(load_results(build)) == expected


def _trained(stderr: str) -> int:
    return sum(int(l.split()[0]) for l in stderr.splitlines() if " trained, " in l)


def test_two_processes_on_one_build_train_each_run_once(reference, tmp_path):
    study, expected, _ = reference
    build = tmp_path / "build"
    cmd = [sys.executable, "-m", "dcnn", "run", "-j", "1", "--study", str(study), "--build", str(build)]
    procs = [subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errs = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    assert _trained(errs[0]) + _trained(errs[1]) == 4, errs     # pretraining + three runs, once each
    assert all(_trained(e) > 0 for e in errs) or "cached" in errs[0] + errs[1]
    dcnn("report", "--no-pdf", "--study", str(study), "--build", str(build), check=True)
    assert strip_volatile(load_results(build)) == expected


def _finished(build: Path) -> list[Path]:
    return sorted(build.glob("runs/*/result.json"))


def test_damaged_result_is_named_and_redone(reference, tmp_path, capsys):
    study, expected, _ = reference
    build = tmp_path / "build"
    assert main(report_cmd(study, build)) == 0
    victim = _finished(build)[0]
    victim.write_bytes(victim.read_bytes()[:40])            # truncated
    capsys.readouterr()
    assert main(report_cmd(study, build)) == 0
    err = capsys.readouterr().err
    assert f"{victim} is damaged" in err and _trained(err) == 1
    assert strip_volatile(load_results(build)) == expected


def test_altered_result_fails_its_checksum(reference, tmp_path, capsys):
    study, expected, _ = reference
    build = tmp_path / "build"
    assert main(report_cmd(study, build)) == 0
    victim = _finished(build)[1]
    outer = json.loads(victim.read_text())
    outer["payload"] = outer["payload"].replace('"val_loss":', '"val_loss": 0.0, "x":', 1)
    victim.write_text(json.dumps(outer))
    capsys.readouterr()
    assert main(report_cmd(study, build)) == 0
    err = capsys.readouterr().err
    assert f"{victim} is damaged (checksum mismatch)" in err and _trained(err) == 1
    assert strip_volatile(load_results(build)) == expected


def test_result_of_another_code_version_is_never_reused(reference, tmp_path, capsys):
    study, expected, _ = reference
    build = tmp_path / "build"
    assert main(report_cmd(study, build)) == 0
    victim = _finished(build)[2]
    payload = json.loads(json.loads(victim.read_text())["payload"])
    payload["key"] = "0" * 64                                   # written by another config / code version
    payload["history"][0]["val_loss"] = 123.0
    victim.write_bytes(dump_json(payload))
    capsys.readouterr()
    assert main(report_cmd(study, build)) == 0
    err = capsys.readouterr().err
    assert "belongs to another configuration or code version" in err and _trained(err) == 1
    assert strip_volatile(load_results(build)) == expected


def test_damaged_checkpoint_restarts_that_run(reference, tmp_path):
    study, expected, trace = reference
    build = tmp_path / "build"
    n_ends = trace.count("train.epoch_end")
    killed = dcnn(*report_cmd(study, build), env={"DCNN_FAULT": f"train.epoch_end:{n_ends - 1}"})
    assert killed.returncode == -signal.SIGKILL
    ckpt = next(build.glob("runs/*/checkpoint.pt"))
    raw = bytearray(ckpt.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    ckpt.write_bytes(bytes(raw))
    rerun = dcnn(*report_cmd(study, build), check=True)
    assert f"{ckpt} is damaged (checksum mismatch)" in rerun.stderr
    assert strip_volatile(load_results(build)) == expected


def test_full_disk_is_one_line_and_keeps_finished_runs(reference, tmp_path):
    study, expected, trace = reference
    build = tmp_path / "build"
    writes = trace.count("store.write.partial")
    proc = dcnn(*report_cmd(study, build), env={"DCNN_FAULT": f"store.write.partial:{writes - 2}=enospc"})
    assert proc.returncode == 1
    lines = [l for l in proc.stderr.splitlines() if l.startswith("error:")]
    assert len(lines) == 1 and "no space left on the device" in lines[0] and "Traceback" not in proc.stderr
    finished = _finished(build)
    assert len(finished) == 2
    assert all(Store(build).read_result(json.loads(json.loads(f.read_text())["payload"])["key"]) for f in finished)
    dcnn(*report_cmd(study, build), check=True)
    assert strip_volatile(load_results(build)) == expected


def test_read_only_build_dir_is_one_line(tmp_path, capsys):
    study = rel_study(tmp_path)
    os.environ["DCNN_FAULT"] = "store.check_writable=erofs"
    try:
        assert main(["run", "--study", str(study), "--build", str(tmp_path / "b")]) == 1
    finally:
        del os.environ["DCNN_FAULT"]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the file system is read-only" in err and "writable --build DIR" in err


def test_a_run_that_raises_is_recorded_and_the_others_go_on(reference, tmp_path):
    study, expected, _ = reference
    build = tmp_path / "build"
    proc = dcnn(*report_cmd(study, build), env={"DCNN_FAULT": "train.start:3=raise"})
    assert proc.returncode == 1
    assert "1 failed" in proc.stderr and "simulated out of memory" in proc.stderr
    assert len(_finished(build)) == 2                                # pretraining and two runs went on
    results = load_results(build)
    failed = [r for r in results["runs"] if r["status"] == "failed"]
    assert len(failed) == 1 and "simulated out of memory" in failed[0]["error"]
    assert "simulated out of memory" in (build / "report.html").read_text()
    dcnn(*report_cmd(study, build), check=True)                      # retried on the next run
    assert strip_volatile(load_results(build)) == expected
