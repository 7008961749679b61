"""What the terminal shows while a study trains: run k of n, epochs, losses, time left.

A live table (rich) on a terminal, one line per finished run otherwise (logs, CI, tests). Worker
processes report finished epochs through a queue that ``pump_events`` drains into the Reporter.
"""
from __future__ import annotations

import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from .execute import Outcome
    from .plan import Job


def fmt_time(s: float) -> str:
    s = max(0, int(round(s)))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else (f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s")


def counted(jobs: list["Job"]) -> str:
    """"6 runs and 1 pretraining": a study's runs and its own backbones' pretraining, named apart."""
    pre = sum(j.is_pretraining for j in jobs)
    runs = len(jobs) - pre
    parts = [f"{runs} run{'s' if runs != 1 else ''}"] if runs or not pre else []
    parts += [f"{pre} backbone pretraining{'s' if pre != 1 else ''}"] if pre else []
    return " and ".join(parts)


class Reporter:
    """Run k of n, epoch, losses, time left: a live table on a terminal, one line per run otherwise."""

    def __init__(self, stream=None, live: Optional[bool] = None):
        self.stream = stream or sys.stderr
        self.live_mode = self.stream.isatty() if live is None else live
        self.total = self.done = 0
        self.cost_total = self.cost_done = 0.0
        self.t0 = time.perf_counter()
        self.running: dict[str, tuple["Job", int, Optional[dict]]] = {}
        self._live = None
        self._lock = threading.Lock()

    def say(self, text: str) -> None:
        if self._live is not None:
            self._live.console.print(text, highlight=False)
        else:
            print(text, file=self.stream, flush=True)

    def start(self, todo: list["Job"], cached: list["Job"]) -> None:
        self.total = len(todo)
        self.cost_total = sum(j.cost for j in todo)
        self.t0 = time.perf_counter()
        if not todo:
            self.say(f"nothing to train: {counted(cached)} {'is' if len(cached) == 1 else 'are'} cached")
            return
        self.say(f"{counted(todo)} to train" + (f"; {counted(cached)} cached" if cached else ""))
        if self.live_mode:
            from rich.console import Console
            from rich.live import Live

            self._live = Live(self._render(), console=Console(file=self.stream), refresh_per_second=4,
                              transient=True)
            self._live.start()

    def eta(self) -> str:
        elapsed = time.perf_counter() - self.t0
        partial = sum(j.cost * (e / j.config.epochs) for j, e, _ in self.running.values())
        done = self.cost_done + partial
        if done <= 0 or elapsed < 1:
            return "?"
        return fmt_time(elapsed * (self.cost_total - done) / done)

    def _render(self):
        from rich.table import Table

        table = Table(box=None, title=f"run {self.done}/{self.total} done · time left ~{self.eta()}",
                      title_justify="left")
        for col in ("run", "epoch", "train", "val", "acc"):
            table.add_column(col)
        for job, epoch, row in list(self.running.values()):
            table.add_row(job.label, f"{epoch}/{job.config.epochs}",
                          f"{row['train_loss']:.3f}" if row else "", f"{row['val_loss']:.3f}" if row else "",
                          f"{row['val_acc']:.2f}" if row else "")
        return table

    def _refresh(self) -> None:
        if self._live is not None:
            self._live.update(self._render())

    def started(self, job: "Job") -> None:
        with self._lock:
            self.running[job.key] = (job, 0, None)
            self._refresh()

    def epoch(self, key: str, epoch: int, row: dict) -> None:
        with self._lock:
            if key in self.running:
                self.running[key] = (self.running[key][0], epoch, row)
            self._refresh()

    def retrying(self, job: "Job") -> None:
        with self._lock:
            self.running.pop(job.key, None)
            self.say(f"{job.label}: its worker process died; training it again from its last finished epoch")
            self._refresh()

    def skipped(self, job: "Job") -> None:
        with self._lock:
            self.running.pop(job.key, None)
            self.total -= 1
            self.cost_total -= job.cost
            self._refresh()

    def waiting(self, job: "Job") -> None:
        """A job whose lock another process took first: not running here (it is tried again later)."""
        with self._lock:
            self.running.pop(job.key, None)
            self._refresh()

    def finished(self, job: "Job", outcome: "Outcome") -> None:
        with self._lock:
            self.running.pop(job.key, None)
            self.done += 1
            self.cost_done += job.cost
            best = f"best val {outcome.best_val_loss:.3f}" if outcome.best_val_loss is not None else ""
            detail = {"failed": f"FAILED: {outcome.message}",
                      "interrupted": f"stopped after epoch {outcome.epochs_done} of {outcome.epochs} "
                                     f"(its checkpoint is kept)",
                      "diverged": f"diverged {best}"}.get(outcome.status, best)
            resumed = (f"; resumed at epoch {outcome.resumed_at} of {outcome.epochs}, {outcome.steps} steps"
                       if outcome.resumed_at is not None else "")
            self.say(f"[{self.done}/{self.total}] {job.label}: {detail} ({outcome.seconds:.1f}s{resumed}) "
                     f"· time left ~{self.eta()}")
            self._refresh()

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


class EventSink:
    """The inline executor's stand-in for the workers' event queue."""

    def __init__(self, reporter: Reporter):
        self.reporter = reporter

    def put(self, item: tuple) -> None:
        self.reporter.epoch(*item)


def pump_events(ctx: Any, reporter: Reporter, done: Any) -> None:
    """The workers' epochs, from ``ctx.events`` (re-read: a fresh pool brings a fresh queue), until
    ``done`` is set. Nothing here writes to the queue: a worker killed while sending holds its lock."""
    import queue

    while not done.is_set():
        try:
            item = ctx.events.get(timeout=0.2)
        except queue.Empty:
            continue
        except (EOFError, OSError):
            return
        reporter.epoch(*item)
