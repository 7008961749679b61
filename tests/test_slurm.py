"""--executor slurm through submitit, without a cluster: submitit's local executor runs the same jobs
as subprocesses (the same pickling, preemption signal and requeueing as on Slurm). The numbers are
the local executor's; a killed job resumes; a preempted job is requeued and resumes; Ctrl-C stops
every job after its epoch and a second one cancels them; no sbatch is one line, exit 2."""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import (checkpoint_epochs, dcnn_start, minimal_study, progress_lines, resumed, wait_for_checkpoint,
                      write_study)
from dcnn.cli import main
from test_ray import cache_content

pytestmark = pytest.mark.xdist_group("slurm")


@pytest.fixture(scope="module")
def local_cache(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("local")
    study = write_study(tmp / "study.yaml", minimal_study())
    assert main(["run", "-j", "1", "--study", str(study), "--build", str(tmp / "build")]) == 0
    return study, cache_content(tmp / "build")


@pytest.fixture(scope="module")
def one_run(tmp_path_factory):
    """A study of one run of three epochs, without pretraining: one job, for what happens to a job
    (each job is an interpreter of its own, which imports torch: ~6 s of CPU here)."""
    tmp = tmp_path_factory.mktemp("one")
    d = minimal_study()
    d["variants"] = {"scratch": d["variants"]["scratch"]}
    d["defaults"]["epochs"] = 3
    study = write_study(tmp / "study.yaml", d)
    assert main(["run", "-j", "1", "--study", str(study), "--build", str(tmp / "build")]) == 0
    return study, cache_content(tmp / "build")


@pytest.fixture
def local_cluster(monkeypatch):
    monkeypatch.setenv("DCNN_SUBMITIT_CLUSTER", "local")


def run_slurm(study, build) -> int:
    return main(["run", "--executor", "slurm", "--study", str(study), "--build", str(build)])


def jobs(build: Path) -> list[str]:
    return sorted(p.name for p in (build / "slurm").iterdir() if p.name.isdigit())


def test_slurm_jobs_give_the_local_executors_numbers(local_cache, local_cluster, tmp_path, capsys):
    study, expected = local_cache
    assert run_slurm(study, tmp_path / "b") == 0
    assert "4 trained" in capsys.readouterr().err
    assert cache_content(tmp_path / "b") == expected
    assert len(list((tmp_path / "b" / "slurm").glob("*/*_submitted.pkl"))) == 4   # one job per run


def test_a_killed_job_resumes_from_its_last_finished_epoch(one_run, local_cluster, tmp_path, capsys, monkeypatch):
    study, expected = one_run
    monkeypatch.setenv("DCNN_FAULT", "train.epoch_end:2=killself")   # the job's process dies, once
    monkeypatch.setenv("DCNN_FAULT_ONCE", str(tmp_path / "fired"))
    assert run_slurm(study, tmp_path / "b") == 0
    err = capsys.readouterr().err
    assert (tmp_path / "fired").exists(), err
    assert len(resumed(err)) == 1, err
    assert cache_content(tmp_path / "b") == expected


def _job_processes(build: Path) -> list[int]:
    """The task processes of the running local jobs (children of each job's controller)."""
    out = []
    for job in jobs(build) if (build / "slurm").exists() else []:
        children = Path(f"/proc/{job}/task/{job}/children")
        if children.exists():
            out += [int(p) for p in children.read_text().split()]
    return out


def test_a_preempted_job_is_requeued_and_resumes(one_run, local_cluster, tmp_path, capsys, monkeypatch):
    study, expected = one_run
    monkeypatch.setenv("DCNN_FAULT_DELAY", "train.epoch_end=0.3")
    build = tmp_path / "b"
    preempted: list[int] = []

    def preempt():   # the signal Slurm sends before preempting a job (submitit's SIGUSR2), once
        deadline = time.time() + 240
        while not preempted and time.time() < deadline:
            if checkpoint_epochs(build):
                for pid in _job_processes(build):
                    os.kill(pid, signal.SIGUSR2)
                    preempted.append(pid)
                    break
            time.sleep(0.05)

    thread = threading.Thread(target=preempt)
    thread.start()
    assert run_slurm(study, build) == 0
    thread.join()
    assert preempted, "no job was running long enough to preempt"
    logs = "".join(p.read_text() for p in (build / "slurm").rglob("*_log.*"))
    assert "this job is preempted" in logs and "Requeued job" in logs
    assert cache_content(build) == expected


def _start(study, build, env):
    """The driver in a process of its own (its jobs are submitit's subprocesses)."""
    return dcnn_start("run", "--executor", "slurm", "--study", str(study), "--build", str(build),
                      env={**os.environ, "PYTHONUNBUFFERED": "1", "DCNN_SUBMITIT_CLUSTER": "local", **env})


def test_ctrl_c_stops_every_job_after_its_epoch_and_a_second_one_cancels_them(local_cache, tmp_path):
    study, expected = local_cache
    build = tmp_path / "build"
    proc = _start(study, build, {"DCNN_FAULT_DELAY": "train.epoch_end=0.5"})
    wait_for_checkpoint(build, 240)
    os.kill(proc.pid, signal.SIGINT)          # the driver only, as a terminal's Ctrl-C would reach it
    err = proc.communicate(timeout=240)[1]
    assert proc.returncode == 130, err
    assert [d for d in progress_lines(err).values() if d.startswith("stopped after epoch")], err
    build2 = tmp_path / "build2"
    proc = _start(study, build2, {"DCNN_FAULT_DELAY": "train.step=0.5"})
    wait_for_checkpoint(build2, 240)
    os.kill(proc.pid, signal.SIGINT)
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGINT)
    err = proc.communicate(timeout=240)[1]
    assert proc.returncode == 130, err
    assert "running Slurm job" in err and "at once" in err, err
    deadline = time.monotonic() + 20          # submitit's local cancel is a SIGTERM and a wait: slow under load
    while _job_processes(build2) and time.monotonic() < deadline:
        time.sleep(0.25)
    assert not _job_processes(build2), "a cancelled job is still running 20 s after the second Ctrl-C"
    for b in (build, build2):   # every run resumes or is cached, and the cache is the local one
        assert main(["run", "-j", "1", "--study", str(study), "--build", str(b)]) == 0
        assert cache_content(b) == expected


def test_without_sbatch_or_submitit_it_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    study = write_study(tmp_path / "study.yaml", minimal_study())
    monkeypatch.setenv("PATH", str(tmp_path))                          # no sbatch here
    monkeypatch.delenv("DCNN_SUBMITIT_CLUSTER", raising=False)
    assert run_slurm(study, tmp_path / "b") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "sbatch and srun are not on PATH" in err
    fake = tmp_path / "sbatch"                                         # an sbatch, and no srun: submitit
    fake.write_text("#!/bin/sh\necho 'Submitted batch job 1'\n")      # would have trained here, unsaid
    fake.chmod(0o755)
    assert run_slurm(study, tmp_path / "b") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--executor slurm: srun is not on PATH" in err
    monkeypatch.setitem(sys.modules, "submitit", None)
    assert run_slurm(study, tmp_path / "b") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'dcnn[slurm]'" in err
