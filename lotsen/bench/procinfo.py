"""Resident memory and CPU time of the stack's processes, read from /proc (Linux)."""

from __future__ import annotations

import os
from pathlib import Path


def rss_mb(pid: int) -> float | None:
    """VmRSS of a process and its children, in MB; None if it is gone."""
    total_kb = 0
    for process in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{process}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            if process == pid:
                return None
    return total_kb / 1024


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        direct = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return found
    for child in direct:
        found += [child, *_children(child)]
    return found


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process and its children so far; None if it is gone.

    Read before and after a load level, it tells how much CPU each process spends per
    message — the figure that bounds throughput on a machine with few cores.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for process in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            if process == pid:
                return None
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total
