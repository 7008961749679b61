"""executors/: one factory from one context; the pool turns a worker that died into an outcome."""
import os
import signal
import threading

from dcnn.run.executors import ExecContext, make_executor
from dcnn.run.executors.local import InlineExecutor, PoolExecutor, pool_context
from dcnn.run.plan import Job, JobKind
from dcnn.study.settings import RunConfig


def _ctx(tmp_path, workers):
    return ExecContext(str(tmp_path), "cpu", workers, pool_context().Event() if workers > 1 else threading.Event())


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
    import dcnn.run.executors.local as local

    pool = make_executor("local", _ctx(tmp_path, 2))
    try:
        monkeypatch.setattr(local, "_execute_in_worker", _die)     # pickled by reference into the workers
        job = Job(JobKind.RUN, "k" * 64, "a run", RunConfig(model="scratch_cnn", lr=0.1, seed=0))
        outcome = pool.submit(job).result(timeout=120)
        assert outcome.status == "lost" and "died" in outcome.message      # (a fresh pool then serves: test_reliability)
    finally:
        pool.close()


def _die_holding_the_events_lock(*args):
    from dcnn.run.executors import local

    local._worker.events._wlock.acquire()     # as when killed while its feeder thread sends an epoch
    os.kill(os.getpid(), signal.SIGKILL)


def _send_an_epoch(*args):
    from dcnn.run.executors import local

    local._worker.events.put(("a run", 1, 2, {}))
    return "sent"


def test_a_worker_killed_while_sending_an_epoch_leaves_no_worker_hanging(tmp_path, monkeypatch):
    """Seen in CI: a worker killed holding the events queue's write lock left the next pool's workers
    hanging at their exit (flushing to that queue), and `dcnn report -j 2` never returned. A fresh pool
    gets a fresh queue."""
    import multiprocessing as mp

    import dcnn.run.executors.local as local

    ctx = _ctx(tmp_path, 2)
    ctx.events = pool_context().Queue()
    pool = make_executor("local", ctx)
    job = Job(JobKind.RUN, "k" * 64, "a run", RunConfig(model="scratch_cnn", lr=0.1, seed=0))
    closed = threading.Thread(target=pool.close, daemon=True)
    try:
        monkeypatch.setattr(local, "_execute_in_worker", _die_holding_the_events_lock)
        assert pool.submit(job).result(timeout=120).status == "lost"
        monkeypatch.setattr(local, "_execute_in_worker", _send_an_epoch)
        assert pool.submit(job).result(timeout=120) == "sent"              # a fresh pool took it
        assert ctx.events.get(timeout=30) == ("a run", 1, 2, {})          # ... and its epoch arrived
        closed.start()
        closed.join(timeout=60)
        assert not closed.is_alive(), "the pool's workers hang at their exit"
    finally:
        for proc in mp.active_children():
            proc.kill()
