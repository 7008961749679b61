"""The Ray executor on a real Ray cluster of two worker nodes (conftest's ``ray_cluster``, shared by
the Ray tests: each start costs 10-20 s here): a task whose worker dies resumes from its last epoch and
the cache is the local executor's, a second Ctrl-C cancels the tasks, a missing Ray is bad input. (A
worker node removed mid-run, and one Ctrl-C: test_ray_cluster.py.)"""
import json
import os
import signal
import sys
import time

import pytest
import ray  # installed by the test set-up (`.[test,ray]`): a missing Ray must fail, not skip

from conftest import dcnn_start, minimal_study, resumed, wait_for_checkpoint, write_study
from dcnn.cli import main

pytestmark = pytest.mark.xdist_group("ray")   # one local Ray cluster at a time


def cache_content(build):
    """Every cached file's payload, keyed by its path under the build dir, without times and hosts."""
    out = {}
    for f in sorted(build.glob("*/*/result.json")):
        payload = json.loads(json.loads(f.read_text())["payload"])
        for k in ("train_seconds", "finished_at", "env"):
            payload.pop(k)
        for h in payload["history"]:
            h.pop("seconds")
        out[str(f.relative_to(build))] = payload
    out["backbones"] = sorted(str(p.relative_to(build)) for p in build.glob("pretrain/*/backbone.pt"))
    return out


@pytest.fixture(scope="module")
def local_cache(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("local")
    study = write_study(tmp / "study.yaml", minimal_study())
    assert main(["run", "-j", "1", "--study", str(study), "--build", str(tmp / "build")]) == 0
    return study, cache_content(tmp / "build")


def test_a_ray_task_whose_worker_dies_resumes_from_its_last_finished_epoch(local_cache, ray_cluster, tmp_path,
                                                                           capsys):
    study, expected = local_cache
    cluster, _ = ray_cluster
    # The second epoch end in some Ray worker process kills that process alone (once): its task has a
    # checkpoint by then (kept on the driver), so Ray's retry of the task resumes from it.
    env = {"DCNN_FAULT": "train.epoch_end:2=killself", "DCNN_FAULT_ONCE": str(tmp_path / "fired")}
    ray.init(address=cluster.address, include_dashboard=False, log_to_driver=False, runtime_env={"env_vars": env})
    try:
        assert main(["run", "--executor", "ray", "--study", str(study), "--build", str(tmp_path / "ray")]) == 0
    finally:
        ray.shutdown()
    err = capsys.readouterr().err
    assert (tmp_path / "fired").exists(), err
    assert len(resumed(err)) == 1, err                                 # one task continued, from its checkpoint
    assert cache_content(tmp_path / "ray") == expected


def test_a_missing_ray_is_bad_input_naming_the_install_command(tmp_path, capsys, monkeypatch):
    study = write_study(tmp_path / "study.yaml", minimal_study())
    monkeypatch.setitem(sys.modules, "ray", None)                      # `import ray` raises ImportError
    assert main(["run", "--executor", "ray", "--study", str(study), "--build", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'dcnn[ray]'" in err


def test_a_second_ctrl_c_cancels_the_running_ray_tasks_at_once(local_cache, ray_cluster, tmp_path):
    # (One Ctrl-C, each task stopping after its epoch: test_ray_cluster.py.)
    study, expected = local_cache
    build = tmp_path / "build"
    # The driver in a process of its own; the delay reaches the tasks on the nodes (faults.settings).
    proc = dcnn_start("run", "--executor", "ray", "--ray-address", ray_cluster[0].address, "--study", str(study),
                      "--build", str(build), env={**os.environ, "PYTHONUNBUFFERED": "1",
                                                  "DCNN_FAULT_DELAY": "train.step=0.5"})
    wait_for_checkpoint(build, 180)
    os.killpg(proc.pid, signal.SIGINT)
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGINT)
    err = proc.communicate(timeout=180)[1]
    assert proc.returncode == 130, err
    assert "running Ray task" in err and "at once" in err, err
    # The rest, with the local executor: every run resumes or is cached, and the cache is the local one.
    assert main(["run", "-j", "1", "--study", str(study), "--build", str(build)]) == 0
    assert cache_content(build) == expected
