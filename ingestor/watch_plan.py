"""How the daemon watches each connector: file-system events, polling, or a change feed.

Pure decisions from the settings and the mount table, shared by the daemon (which acts on
them, :mod:`ingestor.daemon._watch`) and ``ingestor status`` (which shows them).

* A connector with a local source (a share, an export file) is watched by default when that
  source lies on a local file system: its inotify events start a run of the changed files.
* Events are not trusted on network and FUSE mounts (NFS, SMB/CIFS, sshfs, ...): the kernel
  raises them only for changes made through this host, not for edits made on the server or
  another client. A watched source there is polled every ``watch_interval`` instead (a stat
  of every file, no reads), and is watched only when ``watch: true`` asks for it.
* A wiki (an :class:`~connectors.base.Incremental` connector) asks its change feed every
  ``watch_interval`` when ``watch: true``: the run is its ordinary incremental one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ingestor.connectors.base import (
    ConnectorSettings,
    Incremental,
    format_duration,
    load_connector_classes,
)

__all__ = [
    "MOUNTINFO",
    "WatchPlan",
    "events_unreliable",
    "mount_of",
    "plan_watch",
    "why_unwatched",
]

MOUNTINFO = Path("/proc/self/mountinfo")
#: File systems whose inotify events miss changes made elsewhere (on the server, another client).
NETWORK_FS_TYPES = frozenset(
    {
        "nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "9p", "afs", "ceph", "glusterfs",
        "lustre", "gpfs", "davfs", "fuse", "virtiofs", "ocfs2", "gfs2", "beegfs", "orangefs",
    }
)  # fmt: skip

WatchMethod = Literal["events", "polling", "feed"]


@dataclass(frozen=True, slots=True)
class WatchPlan:
    """How one connector is watched."""

    connector: str
    method: WatchMethod
    #: What is watched: the share's folder (an export file's folder); None for a feed.
    path: Path | None
    #: Seconds between polls of a feed or a polled share.
    interval: float
    #: For status: the method and why it was chosen.
    why: str
    #: Only this file of ``path`` matters (a watched export file); None: the whole tree.
    only_file: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "method": self.method,
            "path": None if self.path is None else str(self.path),
            "interval_seconds": self.interval,
            "why": self.why,
        }


def events_unreliable(fs_type: str) -> bool:
    """Whether inotify misses changes made elsewhere on a file system of this type."""
    return fs_type in NETWORK_FS_TYPES or fs_type.startswith("fuse.")


def mount_of(path: Path, mountinfo: str) -> tuple[str, str] | None:
    """``(mount point, file system type)`` of the mount holding ``path`` (resolved), from the
    text of ``/proc/self/mountinfo``; None when no line covers it."""
    target = os.path.realpath(path)
    best: tuple[str, str] | None = None
    for line in mountinfo.splitlines():
        fields = line.split()
        if " - " not in line or len(fields) < 5:
            continue
        point = _unescape(fields[4])
        fs_type = line.split(" - ", 1)[1].split()[0]
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= len(best[0])):
            best = (point, fs_type)  # the last of stacked mounts on one point wins
    return best


def plan_watch(settings: ConnectorSettings, mountinfo: str | None = None) -> WatchPlan | None:
    """How the daemon watches ``settings``' source; None when it is not watched.

    Args:
        mountinfo: The mount table's text; read from ``/proc/self/mountinfo`` when None.
    """
    if settings.watch is False or not settings.enabled:
        return None
    interval = settings.watch_interval.total_seconds()
    every = format_duration(settings.watch_interval)
    local = settings.local_source()
    if local is None:
        cls = load_connector_classes().get(settings.type)
        if settings.watch and cls is not None and issubclass(cls, Incremental):
            return WatchPlan(settings.name, "feed", None, interval, f"change feed every {every}")
        return None
    is_file = local.is_file() or (not local.exists() and bool(local.suffix))
    folder, only = (local.parent, local.name) if is_file else (local, None)
    if mountinfo is None:
        mountinfo = _read_mountinfo()
    mount = mount_of(folder, mountinfo)
    fs_type = mount[1] if mount else "unknown"
    network = events_unreliable(fs_type)
    if settings.watch is None and network:
        return None  # polling a network share is opt-in: it stats every file each time
    if settings.watch_method == "polling":
        why = f"polling every {every} (watch_method: polling)"
        return WatchPlan(settings.name, "polling", folder, interval, why, only)
    if settings.watch_method == "auto" and network:
        assert mount is not None
        why = (
            f"polling every {every}: {mount[0]} is a {fs_type} mount, whose changes made "
            "elsewhere raise no file-system events"
        )
        return WatchPlan(settings.name, "polling", folder, interval, why, only)
    why = f"file-system events ({fs_type})"
    return WatchPlan(settings.name, "events", folder, interval, why, only)


def why_unwatched(settings: ConnectorSettings, mountinfo: str | None = None) -> str | None:
    """Why a local source is not watched by default (a network or FUSE mount), for status."""
    local = settings.local_source()
    if settings.watch is not None or not settings.enabled or local is None:
        return None
    mount = mount_of(local, _read_mountinfo() if mountinfo is None else mountinfo)
    if mount is None or not events_unreliable(mount[1]):
        return None
    return (
        f"not watched: {mount[0]} is a {mount[1]} mount, whose changes made elsewhere raise no "
        f"file-system events; watch: true polls it every {format_duration(settings.watch_interval)}"
    )


def _read_mountinfo() -> str:
    try:
        return MOUNTINFO.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""  # not Linux: events, as watchfiles offers them everywhere


def _unescape(field: str) -> str:
    """Mount points escape space, tab, newline and backslash as octal (``\\040``)."""
    for code in ("040", "011", "012", "134"):
        field = field.replace("\\" + code, chr(int(code, 8)))
    return field
