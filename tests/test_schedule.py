"""schedule.py with a stand-in executor: pretraining first, then the longest first; a job whose worker
died (an outcome of ``lost``) is retried once and then recorded as failed; cached jobs are skipped."""
import threading
from concurrent.futures import Future

from dcnn.run.execute import Outcome
from dcnn.run.executors import Executor
from dcnn.run.plan import Job, JobKind
from dcnn.run.progress import Reporter
from dcnn.run.schedule import Scheduler
from dcnn.study.settings import RunConfig
from dcnn.store.build import Store


class Scripted(Executor):
    """Runs nothing: answers each submitted job with the next of its scripted statuses."""

    def __init__(self, script):
        self.script, self.order = script, []

    def submit(self, job):
        self.order.append(job.label)
        fut = Future()
        fut.set_result(Outcome(job.key, self.script.get(job.label, ["complete"]).pop(0)))
        return fut


def _job(label, cost, kind=JobKind.RUN):
    cfg = RunConfig(model="scratch_cnn", lr=0.1, seed=0)
    return Job(kind, label.replace(" ", "") * 4 + "0" * 40, label, cfg, cost=cost)


def _run(tmp_path, jobs, script):
    ex = Scripted(script)
    summary = Scheduler(jobs, [], [j for j in jobs if j.is_pretraining], Store(tmp_path), ex, force=False,
                        reporter=Reporter(live=False), stop=threading.Event()).run()
    return summary, ex.order


def test_pretraining_first_then_the_longest_first(tmp_path):
    jobs = [_job("short", 1.0), _job("long", 9.0), _job("pre", 2.0, JobKind.PRETRAIN), _job("mid", 5.0)]
    summary, order = _run(tmp_path, jobs, {})
    assert order == ["pre", "long", "mid", "short"] and summary.trained == 4 and not summary.failed


def test_a_lost_job_is_retried_once_then_failed(tmp_path):
    summary, order = _run(tmp_path, [_job("a", 1.0), _job("b", 2.0)], {"a": ["lost", "complete"],
                                                                        "b": ["lost", "lost"]})
    assert order.count("a") == 2 and order.count("b") == 2
    assert summary.trained == 1 and [label for label, _ in summary.failed] == ["b"]
