"""Fault injection for the reliability tests: ``DCNN_FAULT=<point>[:<n>][=<action>]``.

At the n-th time (default 1st) this process reaches ``<point>``, the action happens:
``kill`` (default) SIGKILLs the whole process group, as a user's ``kill -9`` of ``dcnn run``
would; ``killself`` SIGKILLs only this process, as the kernel's out-of-memory killer would kill one
worker; ``enospc`` / ``erofs`` raise the error a full disk / a read-only file system gives; ``raise``
raises a RuntimeError, as an out-of-memory error would. Unset, ``hit`` costs two dict lookups.

``DCNN_FAULT_ONCE=<file>``: the fault fires only while that file does not exist (it is created
first), so a restarted worker or a rerun does not fire it again.
``DCNN_FAULT_DELAY=<point>=<seconds>``: sleep at every hit of that point (slows a run down so that
a test can interrupt it at a known place).
``DCNN_FAULT_TRACE=<file>`` appends every point reached to that file.
"""
from __future__ import annotations

import errno
import os
import signal
import time

_counts: dict[str, int] = {}


def settings() -> dict[str, str]:
    """This process's DCNN_FAULT* variables: an executor whose tasks start on other machines (Ray)
    hands them on, so that a fault or a delay set for a test reaches every node."""
    return {k: v for k, v in os.environ.items() if k.startswith("DCNN_FAULT")}


def _parse(spec: str) -> tuple[str, int, str]:
    spec, _, action = spec.partition("=")
    point, _, n = spec.partition(":")
    return point, int(n or 1), action or "kill"


def _delay(point: str) -> None:
    spec = os.environ.get("DCNN_FAULT_DELAY")
    if spec:
        target, _, seconds = spec.partition("=")
        if target == point:
            time.sleep(float(seconds))


def _first_time() -> bool:
    """False when DCNN_FAULT_ONCE names a file that exists (the fault fired before)."""
    marker = os.environ.get("DCNN_FAULT_ONCE")
    if not marker:
        return True
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def hit(point: str) -> None:
    trace = os.environ.get("DCNN_FAULT_TRACE")
    if trace:  # the tests read the points a run passes, to pick where to kill it
        with open(trace, "a") as f:
            f.write(point + "\n")
    _delay(point)
    spec = os.environ.get("DCNN_FAULT")
    if not spec:
        return
    target, n, action = _parse(spec)
    if target != point:
        return
    _counts[point] = _counts.get(point, 0) + 1
    if _counts[point] != n or not _first_time():
        return
    if action == "kill":
        try:
            os.killpg(os.getpgid(0), signal.SIGKILL)
        finally:
            os.kill(os.getpid(), signal.SIGKILL)
    if action == "killself":
        os.kill(os.getpid(), signal.SIGKILL)
    if action == "enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    if action == "erofs":
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))
    if action == "raise":
        raise RuntimeError(f"injected failure at {point} (simulated out of memory)")
    raise ValueError(f"DCNN_FAULT: unknown action '{action}' (allowed: kill, killself, enospc, erofs, raise)")
