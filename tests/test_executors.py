"""executors/: one factory from one context; the pool turns a worker that died into an outcome."""
import os
import signal
import threading

from dcnn.executors import ExecContext, make_executor
from dcnn.executors.local import InlineExecutor, PoolExecutor
from dcnn.plan import Job, JobKind
from dcnn.settings import RunConfig


def _ctx(tmp_path, workers):
    import multiprocessing as mp

    return ExecContext(str(tmp_path), "cpu", workers, mp.get_context("spawn").Event() if workers > 1 else threading.Event())


def test_the_factory_picks_the_executor_from_the_context(tmp_path):
    assert isinstance(make_executor("local", _ctx(tmp_path, 1)), InlineExecutor)
    pool = make_executor("local", _ctx(tmp_path, 2))
    try:
        assert isinstance(pool, PoolExecutor) and pool.workers == 2
    finally:
        pool.close()


def _die(*args):
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_worker_that_dies_is_an_outcome_not_an_exception(tmp_path, monkeypatch):
    import dcnn.executors.local as local

    pool = make_executor("local", _ctx(tmp_path, 2))
    try:
        monkeypatch.setattr(local, "_execute_in_worker", _die)     # pickled by reference into the workers
        job = Job(JobKind.RUN, "k" * 64, "a run", RunConfig(model="scratch_cnn", lr=0.1, seed=0))
        outcome = pool.submit(job).result(timeout=120)
        assert outcome.status == "lost" and "died" in outcome.message      # (a fresh pool then serves: test_reliability)
    finally:
        pool.close()
