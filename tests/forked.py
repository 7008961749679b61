"""`python -m dcnn` as a process of its own, forked from a server that has imported dcnn and its
libraries (torch, torchvision, scipy, statsmodels, matplotlib, scikit-learn) but run nothing.

The reliability tests kill, interrupt and race real processes: each needs a process of its own, and a
fresh interpreter spends about 10 s of CPU importing before it does anything (most of a kill test's
time on a 2-core machine). multiprocessing's forkserver imports once per test worker; each launch is a
fork of it. The child starts a session of its own (so that killing its process group takes it and its
worker processes, as Ctrl-C in a terminal does), takes the environment, directory and arguments it is
given, writes stdout and stderr to files, and exits with ``main``'s code, or dies of its signal, as
``python -m dcnn`` would. What it does not test, the start of a fresh interpreter, is tested by the
tests that keep ``fresh=True`` (the installed package) and by the Ray and Slurm drivers.
"""
from __future__ import annotations

import atexit
import io
import multiprocessing
import multiprocessing.util  # its exit handler joins live children; ours, registered after it, runs first
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

# What `dcnn report --run-missing --no-pdf` imports (a name that does not import is passed over).
PRELOAD = ["dcnn.cli", "dcnn.run.runner", "dcnn.run.executors.local", "dcnn.report.figures", "dcnn.report", "dcnn.report.blocks",
           "dcnn.report.latex", "dcnn.analysis.verdicts", "dcnn.results.calibrate", "dcnn.results.decide", "torchvision",
           "sklearn.datasets", "scipy.stats", "statsmodels.stats.multitest", "statsmodels.stats.weightstats",
           "statsmodels.stats.power", "matplotlib.backends.backend_svg", "matplotlib.backends.backend_pdf", "jinja2"]

_ctx = None
_live: set = set()   # started and not yet waited for: killed at exit (multiprocessing would wait for them)


@atexit.register
def _kill_the_live() -> None:
    for proc in list(_live):
        proc.kill()


def _context():
    global _ctx
    if _ctx is None:
        _ctx = multiprocessing.get_context("forkserver")
        _ctx.set_forkserver_preload(PRELOAD)
    return _ctx


def _child(args: list[str], env: dict, cwd: str, out: str, err: str) -> None:
    os.setsid()
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    for fd, path in ((1, out), (2, err)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(target, fd)
        os.close(target)
    # Unbuffered, as PYTHONUNBUFFERED=1 makes them: a process killed mid-run leaves every line it wrote.
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", write_through=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", write_through=True,
                                  errors="backslashreplace")
    sys.argv = [sys.executable, "-m", "dcnn", *args]
    from dcnn.cli import main

    sys.exit(main(list(args)))


class Forked:
    """A running `python -m dcnn ARGS`, with the parts of subprocess.Popen that the tests use."""

    def __init__(self, args, env: dict, cwd: Path):
        self._dir = tempfile.mkdtemp(prefix="dcnn-forked-")
        self._out, self._err = os.path.join(self._dir, "stdout"), os.path.join(self._dir, "stderr")
        self.args = ["dcnn", *args]
        self._proc = _context().Process(target=_child, args=(list(args), env, str(cwd), self._out, self._err))
        self._proc.start()
        self.pid = self._proc.pid
        self.returncode = None
        _live.add(self)

    def poll(self):
        if self.returncode is None and not self._proc.is_alive():
            self._proc.join()
            self.returncode = self._proc.exitcode
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Its exit code; after ``timeout`` s it is killed (with its workers) and TimeoutExpired raised:
        a hung dcnn fails its test and does not hang the suite."""
        self._proc.join(timeout)
        if self._proc.exitcode is None:
            self.kill()
            raise subprocess.TimeoutExpired(self.args, timeout, *self.output())
        self.returncode = self._proc.exitcode
        _live.discard(self)
        return self.returncode

    def output(self) -> tuple[str, str]:
        """What it wrote to stdout and stderr so far."""
        read = lambda p: Path(p).read_text(encoding="utf-8", errors="replace") if os.path.exists(p) else ""
        return read(self._out), read(self._err)

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        self.wait(timeout)
        out = self.output()
        shutil.rmtree(self._dir, ignore_errors=True)
        return out

    def kill(self) -> None:
        """SIGKILL to its process group (it and its worker processes)."""
        if self._proc.exitcode is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._proc.join()
        self.returncode = self._proc.exitcode
        _live.discard(self)

    def run(self, timeout: float) -> subprocess.CompletedProcess:
        """Wait for it, killing it after ``timeout`` s, as subprocess.run does."""
        return subprocess.CompletedProcess(self.args, self.wait(timeout), *self.communicate())
