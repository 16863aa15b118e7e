"""How each connector is watched: the mount table decides events or polling, wikis poll feeds.

The mount tables are /proc/self/mountinfo lines in the kernel's documented format
(Documentation/filesystems/proc.rst, "3.5 /proc/<pid>/mountinfo"): mount point in field 5,
octal escapes for spaces, the file system type after the ``-`` separator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingestor.connectors.dokuwiki import DokuWikiSettings
from ingestor.connectors.filesystem import FilesystemSettings
from ingestor.connectors.mediawiki import MediaWikiSettings
from ingestor.watch_plan import (
    MOUNTINFO,
    events_unreliable,
    mount_of,
    plan_watch,
    why_unwatched,
)

ROOT_EXT4 = "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"


def mounts(*extra: str) -> str:
    return ROOT_EXT4 + "".join(f"{line}\n" for line in extra)


def nfs(point: str) -> str:
    return f"95 22 0:52 / {point} rw,relatime shared:60 - nfs4 filer:/export/kb rw,vers=4.2"


def share(root: Path, **extra: Any) -> FilesystemSettings:
    return FilesystemSettings.model_validate(
        {"name": "kb", "url": "https://kb.example.com/", "root": root} | extra
    )


def test_the_deepest_mount_holding_a_path_is_found(tmp_path: Path) -> None:
    table = mounts(
        nfs(str(tmp_path)),
        f"96 95 0:53 / {tmp_path}/with\\040space rw - fuse.sshfs me@host:/x rw",
    )
    assert mount_of(tmp_path / "a" / "b", table) == (str(tmp_path), "nfs4")
    assert mount_of(tmp_path / "with space" / "c", table) == (
        f"{tmp_path}/with space",
        "fuse.sshfs",
    )
    assert mount_of(Path("/etc"), table) == ("/", "ext4")
    assert mount_of(tmp_path, "") is None


def test_network_and_fuse_file_systems_are_polled() -> None:
    for fs_type in ("nfs", "nfs4", "cifs", "smb3", "fuse.sshfs", "fuse.rclone", "9p"):
        assert events_unreliable(fs_type), fs_type
    for fs_type in ("ext4", "xfs", "btrfs", "tmpfs", "zfs", "overlay", "fuseblk"):
        assert not events_unreliable(fs_type), fs_type


def test_a_local_share_is_watched_through_events_by_default(tmp_path: Path) -> None:
    plan = plan_watch(share(tmp_path), mounts())
    assert plan is not None
    assert (plan.method, plan.path, plan.why) == ("events", tmp_path, "file-system events (ext4)")
    assert plan_watch(share(tmp_path, watch=False), mounts()) is None
    polled = plan_watch(share(tmp_path, watch_method="polling", watch_interval="10s"), mounts())
    assert polled is not None and (polled.method, polled.interval) == ("polling", 10.0)


def test_a_share_on_nfs_is_polled_only_when_asked_and_says_why(tmp_path: Path) -> None:
    table = mounts(nfs(str(tmp_path)))
    assert plan_watch(share(tmp_path), table) is None  # polling a whole share is opt-in
    assert why_unwatched(share(tmp_path), table) == (
        f"not watched: {tmp_path} is a nfs4 mount, whose changes made elsewhere raise no "
        "file-system events; watch: true polls it every 1m"
    )
    assert why_unwatched(share(tmp_path), mounts()) is None  # a local disk: watched
    assert why_unwatched(share(tmp_path, watch=False), table) is None  # turned off on purpose
    plan = plan_watch(share(tmp_path, watch=True), table)
    assert plan is not None and plan.method == "polling"
    assert plan.why == (
        f"polling every 1m: {tmp_path} is a nfs4 mount, whose changes made elsewhere raise "
        "no file-system events"
    )
    forced = plan_watch(share(tmp_path, watch=True, watch_method="events"), table)
    assert forced is not None and forced.method == "events"


def test_wikis_poll_their_change_feed_only_when_asked() -> None:
    mw = {"name": "wiki", "url": "https://wiki.example.com/", "api_url": "https://w/api.php"}
    assert plan_watch(MediaWikiSettings.model_validate(mw)) is None
    plan = plan_watch(MediaWikiSettings.model_validate(mw | {"watch": True}))
    assert plan is not None and (plan.method, plan.path, plan.interval) == ("feed", None, 60.0)
    dw = {"name": "dw", "url": "https://dw.example.com/", "wiki_url": "https://dw.example.com/"}
    plan = plan_watch(
        DokuWikiSettings.model_validate(dw | {"watch": True, "watch_interval": "30s"})
    )
    assert plan is not None and plan.why == "change feed every 30s"


def test_this_machines_mount_table_is_read() -> None:
    if not MOUNTINFO.exists():
        return
    found = mount_of(Path("/"), MOUNTINFO.read_text())
    assert found is not None and found[0] == "/"
