"""Where jobs run: in this process, in a pool of worker processes, or as Ray tasks.

Every executor takes jobs through ``submit`` and hands back a ``Future`` of the job's ``Outcome``;
the scheduler (schedule.py) decides what to submit and when.
"""
from __future__ import annotations

from concurrent.futures import Future

from ..plan import Job


class Executor:
    """Runs jobs through ``submit``; subclasses: inline and process pool (local.py), Ray (ray.py)."""

    workers = 1
    noun = "run"      # what a running job is called when a second Ctrl-C stops it

    def submit(self, job: Job) -> Future:
        raise NotImplementedError

    def cancel(self) -> int:
        """A second Ctrl-C: stop every running job now (each keeps its last epoch's checkpoint);
        returns how many were stopped."""
        return 0

    def close(self) -> None:
        pass
