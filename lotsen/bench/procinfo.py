"""Resident memory of the stack's processes, read from /proc (Linux)."""

from __future__ import annotations

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
