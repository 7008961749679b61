"""Ray past one node, tested as Ray tests itself (ray.cluster_utils.Cluster: a head and two worker
nodes in this process; conftest's ``ray_cluster``): tasks are placed on both workers; a worker node removed mid-run leaves its
tasks retried on the other, resuming from the last epoch the driver's checkpoint actor kept; the
results equal the local executor's; nothing is trained twice beyond the interrupted epochs."""
from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest
import ray

from conftest import dcnn_start, minimal_study, resumed, trace_count, write_study
from dcnn.cli import main
from dcnn.run.executors.ray import task_failure
from test_ray import cache_content

pytestmark = [pytest.mark.xdist_group("ray"), pytest.mark.slow]   # one Ray cluster at a time

def study_of_six(path):
    """Six runs after one pretraining, so that both worker nodes have work when one goes."""
    d = minimal_study()
    d["defaults"]["seeds"] = 2
    return write_study(path, d)


def nodes_of(build) -> set[str]:
    """The Ray nodes that trained the cached runs and the pretraining (each result records its node)."""
    return {json.loads(json.loads(f.read_text())["payload"])["env"].get("ray_node")
            for f in build.glob("*/*/result.json")}


def running_runs(build) -> int:
    """How many transfer runs have a checkpoint (have finished an epoch but not their last)."""
    return len(list(build.glob("runs/*/checkpoint.pt")))


def test_a_worker_node_removed_mid_run_leaves_its_tasks_to_the_other(ray_cluster, tmp_path, capsys, monkeypatch):
    study = study_of_six(tmp_path / "study.yaml")
    monkeypatch.setenv("DCNN_FAULT_TRACE", str(tmp_path / "local-trace"))
    assert main(["run", "-j", "1", "--study", str(study), "--build", str(tmp_path / "local")]) == 0
    monkeypatch.delenv("DCNN_FAULT_TRACE")
    expected, needed = cache_content(tmp_path / "local"), trace_count(tmp_path / "local-trace", "train.epoch_end")
    trace, build = tmp_path / "trace", tmp_path / "ray"
    env = {"DCNN_FAULT_TRACE": str(trace), "DCNN_FAULT_DELAY": "train.epoch_end=1.0"}
    cluster, workers = ray_cluster
    ids = {w.node_id for w in workers}
    ray.init(address=cluster.address, runtime_env={"env_vars": env}, include_dashboard=False, log_to_driver=False)
    both_busy: list[bool] = []
    removed: list[int] = []

    def remove_a_worker_mid_run():
        # Two transfer runs mid-way at once: one on each worker node (each has one CPU). Then one goes:
        # the one that trained the pretraining (its result is on disk), so that both nodes have results
        # whichever node Ray placed the pretraining on (a busy machine changes its choice).
        deadline = time.time() + 300
        while time.time() < deadline and running_runs(build) < 2:
            time.sleep(0.02)
        both_busy.append(running_runs(build) >= 2)
        done = nodes_of(build)
        removed.append(next((i for i, w in enumerate(workers) if w.node_id in done), 0))
        cluster.remove_node(workers[removed[0]], allow_graceful=False)

    thread = threading.Thread(target=remove_a_worker_mid_run)
    try:
        thread.start()
        assert main(["run", "--executor", "ray", "--study", str(study), "--build", str(build)]) == 0
        thread.join()
    finally:
        ray.shutdown()
        for i in removed:                              # the next test has two worker nodes again
            if workers[i] not in cluster.worker_nodes:
                workers[i] = cluster.add_node(num_cpus=1)
                cluster.wait_for_nodes()
    err = capsys.readouterr().err
    assert len(resumed(err)) >= 1, err                            # the removed node's task, from its epoch
    assert both_busy == [True], err                               # tasks ran on both worker nodes
    assert nodes_of(build) <= ids and len(nodes_of(build)) == 2, nodes_of(build)
    assert cache_content(build) == expected                       # every run finished, the local numbers
    # Every epoch ends once, except one interrupted by the removal (one task ran on the removed node).
    assert needed <= trace_count(trace, "train.epoch_end") <= needed + 1, (trace_count(trace, "train.epoch_end"), needed)


def test_ctrl_c_stops_the_tasks_on_every_node_after_their_epoch(ray_cluster, tmp_path):
    study = study_of_six(tmp_path / "study.yaml")
    build = tmp_path / "ray"
    # The driver in a process of its own; the delay reaches the tasks on both nodes (faults.settings).
    proc = dcnn_start("run", "--executor", "ray", "--ray-address", ray_cluster[0].address, "--study", str(study),
                      "--build", str(build), env={**os.environ, "PYTHONUNBUFFERED": "1",
                                                  "DCNN_FAULT_DELAY": "train.epoch_end=1.0"})
    deadline = time.time() + 300
    while time.time() < deadline and running_runs(build) < 2:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGINT)
    err = proc.communicate(timeout=300)[1]
    assert proc.returncode == 130, err
    after = err.split("stopping after the current epoch", 1)[1]
    ended = [line for line in after.splitlines() if line.startswith("[")]
    # The task on each worker node ends at its epoch: stopped, or finished if that was its last; none starts.
    assert 1 <= len(ended) <= 2 and any("stopped after epoch" in line for line in ended), err
    assert all("stopped after epoch" in line or "best val" in line for line in ended), err


def test_a_node_without_dcnn_is_named():
    exc = RuntimeError("ray::_train_remote() ModuleNotFoundError: No module named 'dcnn'")
    assert task_failure(exc).startswith("a node of the Ray cluster lacks dcnn: pip install it on every node")
    assert "rerun to resume" in task_failure(RuntimeError("worker died"))
