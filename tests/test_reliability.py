"""Nothing is lost, and work resumes: kills at many points (whole process group or one worker),
Ctrl-C once and twice, two processes at once, damaged files, full and read-only disks, failing runs."""
import json
import os
import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from conftest import (checkpoint_epochs, dcnn, dcnn_here, dcnn_start, load_results, minimal_study, progress_lines, resumed,
                      steps_per_epoch, strip_volatile, trace_count, write_study)
from dcnn.cli import main
from dcnn.store.build import Store, dump_json, load_json


def rel_study(tmp_path: Path, epochs: int = 3) -> Path:
    d = minimal_study()
    d["defaults"]["epochs"] = epochs
    return write_study(tmp_path / "study.yaml", d)


def report_cmd(study: Path, build: Path, *extra: str, jobs: int = 1) -> list[str]:
    return ["report", "--run-missing", "--no-pdf", "-j", str(jobs), "--study", str(study), "--build", str(build),
            *extra]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """One uninterrupted study: its results.json and the fault points it passes, in order."""
    tmp = tmp_path_factory.mktemp("reference")
    study = rel_study(tmp)
    trace = tmp / "trace"
    dcnn_here(*report_cmd(study, tmp / "build"), env={"DCNN_FAULT_TRACE": str(trace)}, check=True)
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


def _finished_dirs(build: Path) -> set[str]:
    """Run directories whose result is complete and valid (what a rerun must not train again)."""
    out = set()
    for f in build.glob("*/*/result.json"):
        payload = load_json(f)
        if payload is not None and payload["key"].startswith(f.parent.name) and (
                f.parent.parent.name == "runs" or (f.parent / "backbone.pt").exists()):
            out.add(f.parent.name)
    return out


def rerun_resumes_exactly(study: Path, build: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    """Rerun after an interruption and check that it trains exactly what was left: every checkpointed
    run resumes after its checkpoint's epoch (the progress line says so), and the optimizer steps taken
    (counted independently, at the fault point inside the training loop) are those of the unfinished
    epochs and nothing more. The rerun trains in this process (-j 1, as `dcnn run` resumes anywhere):
    what is tested is what the interrupted process left on disk."""
    finished = _finished_dirs(build)
    ckpts = {d: e for d, e in checkpoint_epochs(build).items() if d not in finished}
    spe = steps_per_epoch(study)
    expected = sum(n * (epochs - ckpts.get(d, 0)) for d, (n, epochs) in spe.items() if d not in finished)
    trace = tmp_path / "rerun-trace"
    rerun = dcnn_here(*report_cmd(study, build), env={"DCNN_FAULT_TRACE": str(trace)})
    assert rerun.returncode == 0, rerun.stderr
    got = resumed(rerun.stderr)
    assert sorted(e for e, _ in got.values()) == sorted(e + 1 for e in ckpts.values()), rerun.stderr
    assert trace_count(trace, "train.step") == expected, (ckpts, rerun.stderr)
    assert sum(steps for _, steps in got.values()) == sum(spe[d][0] * (spe[d][1] - e) for d, e in ckpts.items())
    return rerun


# Where to kill `dcnn report --run-missing -j 1`, as positions in the reference run's trace of fault points.
KILL_POINTS = {
    "inside the data file write": lambda t: _index(t, "store.write.partial", 0),
    "at the start of pretraining": lambda t: _index(t, "train.start", 0),
    "mid-epoch in pretraining": lambda t: _index(t, "train.step", 6),
    "mid-epoch in pretraining, after its first checkpoint": lambda t: _index(t, "train.step", 16),
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
# The cases where the kill leaves a checkpoint of an unfinished run: the rerun must resume it.
MUST_RESUME = {"mid-epoch in pretraining, after its first checkpoint", "between two epochs", "inside a result write",
               "a result written, not yet renamed",
               "inside the backbone write", "mid-epoch, mid-study", "inside the last checkpoint write"}


@pytest.mark.parametrize("where", list(KILL_POINTS))
def test_a_kill_anywhere_loses_nothing_and_resumes(reference, tmp_path, where):
    study, expected, trace = reference
    point, n = _hits(trace)[KILL_POINTS[where](trace)]
    build = tmp_path / "build"
    killed = dcnn(*report_cmd(study, build), env={"DCNN_FAULT": f"{point}:{n}"})
    assert killed.returncode == -signal.SIGKILL, f"{point}:{n} was not reached: {killed.stderr}"
    rerun = rerun_resumes_exactly(study, build, tmp_path)
    assert bool(resumed(rerun.stderr)) == (where in MUST_RESUME), rerun.stderr
    assert "damaged" not in rerun.stderr, rerun.stderr    # no partial file was ever read
    assert strip_volatile(load_results(build)) == expected
    assert not list(build.rglob("*.tmp"))                  # a killed writer's leftovers are swept


# The same with two worker processes, as `make report` runs. Counts are per process here: the n-th
# time one process (the parent or either worker) reaches the point. `killself` kills one worker alone.
KILL_POINTS_J2 = {
    "mid-epoch in a worker": ("train.step:7", "kill"),
    "between two epochs in a worker": ("train.epoch_end:1", "kill"),
    "a worker's second write, not yet renamed": ("store.write.before_rename:2", "kill"),
    "a result renamed, its checkpoint not yet removed, in a worker": ("store.result.written:1", "kill"),
    "one worker alone, mid-epoch": ("train.step:20", "killself"),
    "one worker alone, between two epochs": ("train.epoch_end:2", "killself"),
}


@pytest.mark.parametrize("where", list(KILL_POINTS_J2))
def test_a_kill_with_worker_processes_loses_nothing_and_resumes(reference, tmp_path, where):
    study, expected, _ = reference
    point, action = KILL_POINTS_J2[where]
    build = tmp_path / "build"
    env = {"DCNN_FAULT": f"{point}={action}", "DCNN_FAULT_ONCE": str(tmp_path / "fired")}
    killed = dcnn(*report_cmd(study, build, jobs=2), env=env)
    assert (tmp_path / "fired").exists(), f"{point} was not reached: {killed.stderr}"
    if action == "kill":
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        rerun_resumes_exactly(study, build, tmp_path)
    else:
        # The parent sees its worker die, starts a new one, and the run goes on from its checkpoint.
        assert killed.returncode == 0, killed.stderr
        assert "its worker process died; training it again from its last finished epoch" in killed.stderr
        assert resumed(killed.stderr), killed.stderr
        assert "Traceback" not in killed.stderr
    assert "damaged" not in killed.stderr
    assert strip_volatile(load_results(build)) == expected
    assert not list(build.rglob("*.tmp"))


def _start(study: Path, build: Path, jobs: int, env: dict):
    cmd = ["report", "--run-missing", "--no-pdf", "-j", str(jobs), "--study", str(study), "--build", str(build)]
    return dcnn_start(*cmd, env={**os.environ, "PYTHONUNBUFFERED": "1", **env})


def _wait_for_checkpoint(build: Path, timeout: float = 120) -> dict[str, int]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = checkpoint_epochs(build)
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError("no checkpoint appeared")


def _key_of(study: Path, build: Path) -> dict[str, str]:
    """{label: run directory} of the study's runs (from `dcnn list --json`)."""
    rows = json.loads(dcnn_here("list", "--json", "--study", str(study), "--build", str(build), check=True).stdout)
    return {f"{r['variant']} lr={r['lr']:g} seed={r['seed']}": Store.short(r["key"]) for r in rows}


def test_ctrl_c_stops_each_running_run_at_an_epoch_boundary_and_the_rerun_continues_it(reference, tmp_path):
    study, expected, _ = reference
    build = tmp_path / "build"
    # Each epoch end takes 0.4 s, so Ctrl-C lands while runs are between epochs or inside one.
    proc = _start(study, build, 2, {"DCNN_FAULT_DELAY": "train.epoch_end=0.4"})
    _wait_for_checkpoint(build)
    os.killpg(proc.pid, signal.SIGINT)   # what Ctrl-C does to the foreground process group
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == 130, err
    assert "stopping after the current epoch" in err
    assert "continue with: python -m dcnn report --study" in err
    stopped = {label: detail for label, detail in progress_lines(err).items() if detail.startswith("stopped after")}
    assert stopped, err                                            # a running run stopped, it did not run on
    on_disk = checkpoint_epochs(build)
    keys = _key_of(study, build)
    for label, detail in stopped.items():
        epoch = int(detail.split()[3])
        if label in keys:                                          # a run (else: the pretraining)
            assert on_disk[keys[label]] == epoch, (label, detail, on_disk)
            assert not (build / "runs" / keys[label] / "result.json").exists()
    assert Counter(int(d.split()[3]) for d in stopped.values()) <= Counter(on_disk.values())
    rerun = rerun_resumes_exactly(study, build, tmp_path)
    again = resumed(rerun.stderr)
    for label, detail in stopped.items():
        assert again[label][0] == int(detail.split()[3]) + 1, (label, rerun.stderr)
    assert strip_volatile(load_results(build)) == expected


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_second_ctrl_c_stops_at_once(reference, tmp_path, jobs):
    study, expected, _ = reference
    build = tmp_path / "build"
    # Each step takes 0.5 s, so finishing the epoch in progress would take seconds.
    proc = _start(study, build, jobs, {"DCNN_FAULT_DELAY": "train.step=0.5"})
    first = _wait_for_checkpoint(build)                    # a run has just begun its next epoch
    os.killpg(proc.pid, signal.SIGINT)
    time.sleep(0.1)   # short: another worker's run must not reach its epoch's end in between
    os.killpg(proc.pid, signal.SIGINT)
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 130, err
    assert "Ctrl-C again to quit now" in err and "interrupted; finished runs are cached" in err
    if jobs == 2 and "at once" in err:
        assert "stopped 2 running worker processes at once" in err or "stopped 1 running worker process at" in err
    # No run went on to another epoch's end: a run may say "stopped after epoch e" only for the checkpoint
    # that was on disk when the first Ctrl-C came (it had written it and not yet looked at the flag).
    keys = _key_of(study, build)
    for label, detail in progress_lines(err).items():
        if detail.startswith("stopped after"):
            epoch = int(detail.split()[3])
            mine = [first.get(keys[label])] if label in keys else [e for d, e in first.items() if d not in keys.values()]
            assert epoch in mine, (label, detail, first, err)
    after = checkpoint_epochs(build)
    for run_dir, epoch in first.items():                   # that run's epoch in progress was abandoned
        assert after[run_dir] == epoch, (first, after)
    assert "Traceback" not in err
    rerun_resumes_exactly(study, build, tmp_path)
    assert strip_volatile(load_results(build)) == expected


def test_two_processes_on_one_build_each_train_and_never_the_same_run(reference, tmp_path):
    study, expected, _ = reference
    build = tmp_path / "build"
    env = {"DCNN_FAULT_DELAY": "train.epoch_end=0.8"}     # slow enough for the second to start meanwhile
    first = _start(study, build, 1, env)
    held = _wait_for_checkpoint(build)                    # the first process is inside a run, holding its lock
    lock = build / "locks" / f"{next(iter(held))}.lock"
    assert lock.exists() and Store(build).try_lock(next(iter(held)) + "0" * 40) is None
    second = _start(study, build, 1, env)                 # ... when the second one starts
    errs = [p.communicate(timeout=300)[1] for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], errs
    trained = [set(progress_lines(e)) for e in errs]
    assert all(trained), errs                             # each process trained at least one run
    assert not trained[0] & trained[1], errs              # and no run was trained twice
    assert len(trained[0] | trained[1]) == 4              # pretraining + three runs
    dcnn_here("report", "--no-pdf", "--study", str(study), "--build", str(build), check=True)
    assert strip_volatile(load_results(build)) == expected


def _trained(stderr: str) -> int:
    return sum(int(l.split()[0]) for l in stderr.splitlines() if " trained, " in l)


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
    assert checkpoint_epochs(build) == {}                   # the only checkpoint is now unreadable ...
    rerun = rerun_resumes_exactly(study, build, tmp_path)   # ... so that run trains from its first epoch
    assert f"{ckpt} is damaged (checksum mismatch)" in rerun.stderr
    assert not resumed(rerun.stderr)
    assert strip_volatile(load_results(build)) == expected


def test_full_disk_is_one_line_and_keeps_finished_runs(reference, tmp_path):
    study, expected, trace = reference
    build = tmp_path / "build"
    last_result = max(i for i, p in enumerate(trace) if p == "store.result.written")
    writes = trace[:last_result].count("store.write.partial")     # the last run's result write
    proc = dcnn(*report_cmd(study, build), env={"DCNN_FAULT": f"store.write.partial:{writes}=enospc"})
    assert proc.returncode == 1
    lines = [l for l in proc.stderr.splitlines() if l.startswith("error:")]
    assert len(lines) == 1 and "no space left on the device" in lines[0] and "Traceback" not in proc.stderr
    finished = _finished(build)
    assert len(finished) == 2
    assert all(Store(build).read_result(json.loads(json.loads(f.read_text())["payload"])["key"]) for f in finished)
    dcnn_here(*report_cmd(study, build), check=True)
    assert strip_volatile(load_results(build)) == expected


def test_read_only_build_dir_is_one_line_and_keeps_finished_runs(reference, tmp_path, capsys):
    study, expected, _ = reference
    build = tmp_path / "build"
    assert main(report_cmd(study, build)) == 0
    _finished(build)[0].unlink()                            # one run left to train
    before = {p: p.read_bytes() for p in build.rglob("*") if p.is_file()}
    capsys.readouterr()
    os.environ["DCNN_FAULT"] = "store.check_writable=erofs"
    try:
        assert main(["run", "--study", str(study), "--build", str(build)]) == 1
    finally:
        del os.environ["DCNN_FAULT"]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the file system is read-only" in err and "writable --build DIR" in err
    assert {p: p.read_bytes() for p in build.rglob("*") if p.is_file()} == before   # nothing touched
    assert main(report_cmd(study, build)) == 0
    assert _trained(capsys.readouterr().err) == 1
    assert strip_volatile(load_results(build)) == expected


def test_cache_paths_of_a_real_build_never_contain_study_strings(reference, tmp_path):
    d = minimal_study()
    d["variants"] = {"zebra-net": {**d["variants"]["scratch"], "title": "Quokka ../../etc"}}
    study = write_study(tmp_path / "study.yaml", d)
    build = tmp_path / "build"
    dcnn_here(*report_cmd(study, build), check=True)
    names = {p.name for p in build.rglob("*")}
    assert any(len(n) == 24 and int(n, 16) >= 0 for n in names)            # run directories are keys
    assert not [n for n in names if "zebra" in n or "Quokka" in n or ".." in n]
    for p in build.rglob("*"):
        rel = p.relative_to(build).parts
        assert rel[0] in {"runs", "pretrain", "locks", "data", "figures", "csv", "results.json", "report.html",
                          "latex", "tables"}, p
        if rel[0] == "tables" and len(rel) > 1:
            assert rel[1] in {"runs.csv", "epochs.csv", "runs.parquet", "epochs.parquet"}, p
        if rel[0] == "csv" and len(rel) > 1:
            assert re.fullmatch(r"figure-[A-Z]?\d+\.csv", rel[1]), p                 # named by figure number
        if rel[0] in ("runs", "pretrain", "locks") and len(rel) > 1:
            int(rel[1].split(".")[0], 16)                                   # hexadecimal, nothing else


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
    dcnn_here(*report_cmd(study, build), check=True)                 # retried on the next run
    assert strip_volatile(load_results(build)) == expected
