"""The dcnn process and its workers live and die together: a killed or terminated parent leaves no worker
training behind it, the rerun resumes exactly, each run's lock is held by the worker that trains it,
-j starts no more workers than there are runs, a Ctrl-C while dcnn loads is one line, and the resume
hint after an interruption is a command that continues the same study on the same data."""
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, dcnn, dcnn_here, load_results, make_imagefolder, minimal_study, progress_lines, resumed, \
    strip_volatile, write_study
from test_reliability import _start, _wait_for_checkpoint, rel_study, report_cmd, rerun_resumes_exactly

SLOW_EPOCHS = {"DCNN_FAULT_DELAY": "train.epoch_end=0.4"}   # a run lasts long enough to be caught in it


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """One uninterrupted study (-j 1, in this process: a run's numbers do not depend on -j)."""
    tmp = tmp_path_factory.mktemp("reference")
    study = rel_study(tmp)
    dcnn_here(*report_cmd(study, tmp / "build"), check=True)
    return study, strip_volatile(load_results(tmp / "build"))


def group(pgid: int, but: int = 0) -> list[int]:
    """The live processes (zombies are dead) of a process group, but one."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == but:
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue                                    # it has just gone
        if int(fields[2]) == pgid and fields[0] not in "ZX":
            out.append(int(entry.name))
    return out


def gone_within(pgid: int, parent: int, seconds: float) -> float:
    """Seconds until no process of the group but the parent is alive (fails after ``seconds``)."""
    t0 = time.monotonic()
    while group(pgid, but=parent):
        assert time.monotonic() - t0 < seconds, f"still alive after {seconds} s: {group(pgid, but=parent)}"
        time.sleep(0.05)
    return time.monotonic() - t0


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_no_worker_outlives_its_parent_and_the_rerun_resumes_exactly(reference, tmp_path, sig):
    study, expected = reference
    build = tmp_path / "build"
    proc = _start(study, build, 2, SLOW_EPOCHS)
    try:
        _wait_for_checkpoint(build)
        assert len(group(proc.pid, but=proc.pid)) >= 3      # two workers and their forkserver (at least)
        os.kill(proc.pid, sig)                              # the parent alone, as `kill $!` or the OOM killer
        seconds = gone_within(proc.pid, proc.pid, 10)
        err = proc.communicate(timeout=60)[1]
    finally:
        _kill_group(proc.pid)                               # (whatever a failure left)
    print(f"{sig.name}: every worker gone {seconds:.2f} s after the signal")
    if sig == signal.SIGTERM:                              # handled as Ctrl-C: after the epoch, checkpoints kept
        assert proc.returncode == 143, err
        assert "SIGTERM: stopping after the current epoch" in err and "Traceback" not in err
        assert "terminated (SIGTERM): finished runs are cached" in err and "continue with: python -m dcnn" in err
        assert any(d.startswith("stopped after epoch") for d in progress_lines(err).values()), err
    else:
        assert proc.returncode == -signal.SIGKILL
    rerun_resumes_exactly(study, build, tmp_path)           # no step trained twice, none left out
    assert strip_volatile(load_results(build)) == expected


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def lock_holders(locks: Path) -> dict[str, int]:
    """{lock file: the pid holding its flock}, from the kernel's table of locks."""
    inodes = {p.stat().st_ino: p.name for p in locks.glob("*.lock")}
    out = {}
    for line in Path("/proc/locks").read_text().splitlines():
        parts = line.split()
        if "FLOCK" in parts:
            at = parts.index("FLOCK")
            pid, inode = int(parts[at + 3]), int(parts[at + 4].split(":")[-1])
            if inode in inodes:
                out[inodes[inode]] = pid
    return out


def test_a_runs_lock_is_held_by_the_worker_that_trains_it(reference, tmp_path):
    study, _ = reference
    build = tmp_path / "build"
    proc = _start(study, build, 2, SLOW_EPOCHS)
    try:
        _wait_for_checkpoint(build)
        holders = lock_holders(build / "locks")
        workers = group(proc.pid, but=proc.pid)
        assert holders, "no run's lock is held while runs train"
        assert proc.pid not in holders.values()             # not the parent: it could die and free them ...
        assert set(holders.values()) <= set(workers)        # ... while its workers trained on
    finally:
        proc.kill()


def test_j_starts_no_more_worker_processes_than_there_are_runs(tmp_path):
    study = rel_study(tmp_path)                             # a pretraining and three runs
    build = tmp_path / "build"
    proc = _start(study, build, 1000, SLOW_EPOCHS)
    try:
        _wait_for_checkpoint(build)
        # The parent, its resource tracker, the forkserver and one worker per job at most.
        assert len(group(proc.pid)) <= 3 + 4, group(proc.pid)
    finally:
        proc.kill()


def test_a_j_the_memory_cannot_hold_is_warned_of_and_the_default_is_lowered(tmp_path, monkeypatch):
    from dcnn.registry.data import load_study_data
    from dcnn.run import sizing
    from dcnn.run.plan import plan
    from dcnn.study.resolve import load_study

    study = load_study(rel_study(tmp_path))
    data = load_study_data(study, None, None)
    pretrains, jobs = plan(study, data, study.runs)
    todo = pretrains + jobs                                 # 4 jobs
    need = sizing.worker_bytes(todo, data)
    assert need > sizing.data_bytes(data) > 0
    said: list[str] = []
    monkeypatch.setattr(sizing.log, "warning", lambda text, *args: said.append(text % args))
    monkeypatch.setattr(sizing, "available_memory", lambda: int(2.5 * need))   # room for two workers
    assert sizing.choose_workers(8, 4, todo, data) == 4     # -j 8: one per job, as asked, and a warning
    assert said[-1].startswith(f"-j 8: 4 worker processes need about {sizing.gib(4 * need)} ") and \
        said[-1].endswith("-j 2 would fit")
    assert sizing.choose_workers(None, 16, todo, data) == 2  # the default: what fits
    assert said[-1].startswith("training 2 runs at once, not 4: each worker process needs about")
    assert sizing.choose_workers(1000, 4, todo[:1], data) == 1 and len(said) == 2   # one job: no pool, no word
    monkeypatch.setattr(sizing, "available_memory", lambda: 100 * need)
    assert sizing.choose_workers(None, 3, todo, data) == 3 and len(said) == 2


@pytest.mark.parametrize("jobs", ["0", "-3", "two", "1.5"])
def test_j_below_one_or_not_a_number_is_one_line(tmp_path, jobs):
    study = write_study(tmp_path / "study.yaml", minimal_study())
    proc = dcnn_here("run", "--study", str(study), "--build", str(tmp_path / "b"), "-j", jobs)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert f"argument -j/--jobs: {jobs!r}" in proc.stderr or f"argument -j/--jobs: {jobs} is out of range" \
        in proc.stderr, proc.stderr
    assert "(allowed: 1 or more)" in proc.stderr and not (tmp_path / "b").exists()


def test_ctrl_c_while_dcnn_loads_is_one_line(tmp_path):
    study = write_study(tmp_path / "study.yaml", minimal_study())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for delay in (0.3, 0.9, 1.6):                           # inside the imports of torch, scipy, ...
        p = subprocess.Popen([sys.executable, "-m", "dcnn", "list", "--study", str(study), "--build",
                              str(tmp_path / "b")], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        time.sleep(delay)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
        if p.returncode == 0:
            continue                                        # it had finished: nothing to interrupt
        # (-2: CPython exits by SIGINT itself when the Ctrl-C lands in code that torch runs from C)
        assert p.returncode in (130, -signal.SIGINT), err
        assert err.count("\n") == 1 and err.startswith("interrupted") and "Traceback" not in err, err


def test_a_ctrl_c_a_library_re_raised_as_its_own_error_is_still_an_interruption(tmp_path, monkeypatch, capsys):
    # CI saw it: on Python 3.11 a Ctrl-C inside a class body's __set_name__ (a library loading)
    # comes out as "RuntimeError: Error calling __set_name__", its cause the KeyboardInterrupt
    from dcnn import cli

    def wrapped(args):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise RuntimeError("Error calling __set_name__ on 'cached_property' instance") from exc

    monkeypatch.setattr(cli, "_dispatch", wrapped)
    code = cli.main(["list", "--study", str(write_study(tmp_path / "s.yaml", minimal_study())),
                     "--build", str(tmp_path / "b")])
    err = capsys.readouterr().err
    assert code == 130 and err.startswith("interrupted") and "internal error" not in err, err
    assert not (tmp_path / "b" / "logs").exists()           # no traceback kept: it was not a bug
    monkeypatch.setattr(cli, "_dispatch", lambda args: 1 / 0)
    assert cli.main(["list", "--study", str(tmp_path / "s.yaml"), "--build", str(tmp_path / "b")]) == 1
    assert "internal error: ZeroDivisionError" in capsys.readouterr().err


def _hint(stderr: str) -> list[str]:
    line = next(l for l in stderr.splitlines() if "continue with: " in l)
    return shlex.split(line.split("continue with: ", 1)[1])


def test_the_resume_hint_continues_the_same_runs_on_the_same_data(tmp_path):
    data = make_imagefolder(tmp_path / "data", classes=3, per_class=6, size=40)
    d = minimal_study()
    d["defaults"]["epochs"] = 3
    d["profiles"]["folder"] = {"data": "imagefolder", "image_size": 32}
    d["variants"] = {"cnn": d["variants"]["scratch"],
                     "cnn-fast": {**d["variants"]["scratch"], "runs": [{"lr": 0.05, "section": "2.2", "figure": 2}]},
                     "mlp": {"title": "MLP", "model": "mlp", "runs": [{"lr": 0.01, "section": "2.3", "figure": 3}]}}
    study = write_study(tmp_path / "study yaml", d)         # (a space: the hint quotes it)
    build, ref = tmp_path / "build", tmp_path / "reference"
    cmd = ["run", "cnn", "cnn-fast", "--study", str(study), "--build", str(build), "--profile", "folder", "--data",
           str(data), "-j", "2", "--device", "cpu"]
    first = _start_cmd(cmd)
    _wait_for_checkpoint(build)
    os.killpg(first.pid, signal.SIGINT)
    err = first.communicate(timeout=120)[1]
    assert first.returncode == 130, err
    hint = _hint(err)
    assert hint[:3] == ["python", "-m", "dcnn"] and sorted(hint[3:]) == sorted(cmd), hint
    again = dcnn(*hint[3:])                                 # exactly what the user is told to type
    assert again.returncode == 0 and resumed(again.stderr), again.stderr
    dcnn_here("report", "--no-pdf", "--study", str(study), "--build", str(build), "--profile", "folder", "--data",
              str(data), check=True)
    dcnn_here("report", "--run-missing", "--no-pdf", "-j", "1", "--study", str(study), "--build", str(ref),
              "--profile", "folder", "--data", str(data), check=True)
    got, want = (strip_volatile(load_results(b))["runs"] for b in (build, ref))
    assert [r["status"] for r in got] == ["complete", "complete", "missing"]
    assert got[:2] == want[:2]


def _start_cmd(cmd: list[str]):
    from conftest import dcnn_start

    return dcnn_start(*cmd, env={**os.environ, "PYTHONUNBUFFERED": "1", **SLOW_EPOCHS})
