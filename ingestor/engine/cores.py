"""How many cores this process may really use: affinity and the container's CPU quota count.

``os.cpu_count()`` is the machine's count. In a container it is the node's (say 16) while the
pod's limit may be 1 CPU, and one conversion worker per counted core would start sixteen
processes of ~80 MB each in a pod limited to a few hundred MB. The quota lives in cgroup v2's
``cpu.max`` ("max 100000" or "<quota> <period>") or cgroup v1's ``cpu.cfs_quota_us`` /
``cpu.cfs_period_us`` (-1 for none); see the kernel's Documentation/admin-guide/cgroup-v2.rst
("cpu.max") and scheduler/sched-bwc.rst. Python 3.13's ``os.process_cpu_count`` reads the
affinity only, not the quota.
"""

from __future__ import annotations

import contextlib
import math
import os
from pathlib import Path

__all__ = ["quota_cores", "usable_cores"]

_CGROUP_ROOT = Path("/sys/fs/cgroup")


def usable_cores(cgroup_root: Path = _CGROUP_ROOT, proc_cgroup: Path | None = None) -> int:
    """The fewest of: the machine's cores, the cores this process may run on, its CPU quota."""
    cores = os.cpu_count() or 1
    with contextlib.suppress(AttributeError, OSError):  # no affinity outside Linux
        cores = min(cores, len(os.sched_getaffinity(0)))
    quota = quota_cores(cgroup_root, proc_cgroup or Path("/proc/self/cgroup"))
    return max(1, min(cores, quota)) if quota is not None else max(1, cores)


def quota_cores(cgroup_root: Path, proc_cgroup: Path) -> int | None:
    """The CPU quota of this process's cgroup and its ancestors, rounded up; None when unlimited."""
    limits = [
        limit
        for folder in _cgroup_folders(cgroup_root, proc_cgroup)
        if (limit := _folder_quota(folder)) is not None
    ]
    return math.ceil(min(limits)) if limits else None


def _cgroup_folders(root: Path, proc_cgroup: Path) -> list[Path]:
    """The folders holding this process's CPU controller files, its own cgroup first."""
    relative = ""
    try:
        for line in proc_cgroup.read_text().splitlines():
            hierarchy, controllers, path = [*line.split(":", 2), "", ""][:3]
            if hierarchy == "0" or "cpu" in controllers.split(","):
                relative = path.strip("/")
                break
    except OSError:
        pass
    folders: list[Path] = []
    for base in (root, root / "cpu", root / "cpu,cpuacct"):
        # Inside a container's cgroup namespace its own cgroup is the root: "/" here.
        here = base / relative if relative else base
        while True:
            folders.append(here)
            if here == base:
                break
            here = here.parent
    return folders


def _folder_quota(folder: Path) -> float | None:
    try:
        text = (folder / "cpu.max").read_text().split()
        if len(text) == 2 and text[0] != "max":
            return int(text[0]) / int(text[1])
        if text:
            return None
    except (OSError, ValueError, ZeroDivisionError):
        pass
    try:
        quota = int((folder / "cpu.cfs_quota_us").read_text())
        period = int((folder / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None
