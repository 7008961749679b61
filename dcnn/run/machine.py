"""This machine, as the runs record it: its CPU's model and the cores this process may use."""
from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Optional


def cpu_model() -> str:
    """The CPU's model name (Linux: /proc/cpuinfo), else what the platform says."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cores() -> int:
    """The CPU cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def available_memory() -> Optional[int]:
    """Bytes of memory this process could still use: the kernel's MemAvailable, or less where a cgroup
    (a container, a Slurm job) limits it; None where neither can be read."""
    have = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                have = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text())
        if limit != "max":
            have = min(have if have is not None else int(limit), int(limit) - used)
    except (OSError, ValueError):
        pass
    return max(have, 0) if have is not None else None
