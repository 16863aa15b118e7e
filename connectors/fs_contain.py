"""Containment: find and open files under a root so that no byte from outside it is ever read.

Used by every connector that reads a folder it does not own (a file share, an unpacked Notion
export). A path is never handed to the kernel whole: :class:`ContainedRoot` opens the root, then
each folder of the path *relative to the folder before it* with ``O_NOFOLLOW | O_DIRECTORY``
(``openat``), and the file itself with ``O_NOFOLLOW``. So the kernel never follows a symbolic
link on our behalf, and swapping a file or a folder for a link between listing and reading
changes nothing: the swapped-in link is met here, like any other.

A symbolic link is followed only when the connector allows it, and only by reading it
(``readlinkat``) and walking its target the same way, component by component: ``..`` may not
climb above the root, an absolute target must name a path under the root (as configured or as
resolved), and at most :data:`MAX_LINKS` links are followed per path. A link that leads out
raises :class:`~ingestor.errors.OutsideRoot` ("symlink leaves the share: users.txt ->
/etc/passwd"), which is a :class:`~ingestor.errors.PageSkipped`: the engine counts the page as
skipped and takes down what an earlier run published from it.

Only regular files are opened: the kind is checked with ``lstat`` before the open (so a FIFO,
socket or device is never opened) and again with ``fstat`` after it, with the same device and
inode, so nothing swapped in between is read. Files on the ``/proc``, ``/sys`` and ``/dev`` file
systems are refused even when bind-mounted inside a root, and a root under those folders (or
``/`` itself, which holds them) is refused when the config is loaded.

Hard links cannot be told apart from the file they link to: the kernel keeps no "original".
With the usual ``fs.protected_hardlinks = 1`` only someone who owns a file (or may read and
write it) can link to it, and a link must live on the same file system, so a hard link shows
nothing its maker could not copy in. Connectors therefore allow them by default and can refuse
every file with more than one link (``hard_links: skip``), for shares where that does not hold.

Not covered: a mount point inside the root (only an administrator can make one; what is mounted
there is then part of the share), and a device node made inside the root by someone allowed to
``mknod`` in the short time between the ``lstat`` and the open (the ``fstat`` after it still
refuses to read it).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ingestor.errors import ConnectorError, OutsideRoot, PageSkipped

__all__ = [
    "FORBIDDEN_ROOTS",
    "MAX_LINKS",
    "ContainedRoot",
    "Found",
    "HardLinks",
    "check_root",
    "read_bounded",
    "split_rel",
]

#: Folders whose files are never read (kernel and device interfaces, not documents).
FORBIDDEN_ROOTS = ("/proc", "/sys", "/dev")
#: Links followed while resolving one path, as the kernel's own limit (ELOOP).
MAX_LINKS = 40
HardLinks = Literal["allow", "skip"]

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW | _CLOEXEC
# O_NONBLOCK and O_NOCTTY: should a FIFO or a terminal slip past the lstat, opening it must
# neither hang the sync nor take it over.
_FILE_FLAGS = os.O_RDONLY | _NOFOLLOW | _CLOEXEC | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISLNK, "a symbolic link"),
)


def check_root(path: str) -> str:
    """Refuse a root that is, or lies under, ``/proc``, ``/sys`` or ``/dev``, or is ``/``.

    Args:
        path: The configured root (absolute).

    Returns:
        The root with links resolved.

    Raises:
        ValueError: The root is one of those folders (message for the config error).
    """
    real = os.path.realpath(path)
    for candidate in dict.fromkeys((os.path.abspath(path), real)):
        if candidate == "/":
            raise ValueError(f"{path}: the whole file system cannot be a root (it holds /proc)")
        for forbidden in FORBIDDEN_ROOTS:
            if candidate == forbidden or candidate.startswith(forbidden + "/"):
                raise ValueError(
                    f"{path}: under {forbidden}, which holds kernel or device files, not pages"
                )
    return real


def split_rel(rel: str) -> list[str]:
    """The components of a root-relative POSIX path.

    Raises:
        ConnectorError: ``rel`` is empty, absolute or has a ``..`` segment.
    """
    parts = [part for part in rel.split("/") if part not in ("", ".")]
    if not parts or rel.startswith("/") or ".." in parts or "\x00" in rel:
        raise ConnectorError(f"{rel!r}: not a path inside the root")
    return parts


@dataclass(frozen=True, slots=True)
class Found:
    """Where a path leads inside the root.

    Attributes:
        parts: Its real components under the root, links resolved.
        info: ``lstat`` of what is there (never a link).
    """

    parts: tuple[str, ...]
    info: os.stat_result

    @property
    def rel(self) -> str:
        return "/".join(self.parts)


class ContainedRoot:
    """Finds and opens paths under one root folder without ever leaving it.

    Thread-safe: every call opens its own descriptors and closes them before returning.
    """

    def __init__(
        self,
        root: str,
        *,
        follow_symlinks: bool,
        noun: str = "share",
        hard_links: HardLinks = "allow",
    ) -> None:
        """
        Args:
            root: The folder; ``..`` and absolute link targets are measured against it.
            follow_symlinks: Follow links that stay inside; when False every link is refused.
            noun: What the root is, for messages ("symlink leaves the share: ...").
            hard_links: ``skip`` refuses files with more than one hard link.
        """
        self.root = os.path.abspath(root)
        self.follow_symlinks = follow_symlinks
        self.noun = noun
        self.hard_links = hard_links
        real = os.path.realpath(self.root)
        self._prefixes = tuple(dict.fromkeys((self.root, real)))
        self._forbidden_devices = _forbidden_devices()

    # -- opening -----------------------------------------------------------------------------

    def open_root(self) -> int:
        """A descriptor of the root folder (the caller closes it).

        Raises:
            OSError: It is gone, not a folder, or unreadable.
        """
        return os.open(self.root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC)

    def open_dir(self, parts: Sequence[str]) -> int:
        """A descriptor of the folder at ``parts`` under the root (``()`` is the root).

        Raises:
            OutsideRoot: A link on the way leads out of the root.
            PageSkipped: A link on the way while links are not followed.
            OSError: Gone, not a folder, unreadable, a link loop.
        """
        if not parts:
            return self.open_root()
        parent, found = self._walk(list(parts), "/".join(parts))
        try:
            if not stat.S_ISDIR(found.info.st_mode):
                raise NotADirectoryError(errno.ENOTDIR, "not a folder", found.rel)
            return os.open(found.parts[-1], _DIR_FLAGS, dir_fd=parent)
        finally:
            os.close(parent)

    def lookup(self, parts: Sequence[str]) -> Found:
        """Where ``parts`` leads, links resolved inside the root; nothing is opened but folders.

        Raises:
            OutsideRoot: A link on the way leads out of the root.
            PageSkipped: A link on the way while links are not followed.
            OSError: Gone (FileNotFoundError), unreadable, a link loop.
        """
        parent, found = self._walk(list(parts), "/".join(parts))
        os.close(parent)
        return found

    def open_file(self, rel: str, *, listed: tuple[int, int] | None = None) -> int:
        """Open the regular file ``rel`` for reading; the caller closes the descriptor.

        Args:
            rel: Root-relative POSIX path as listed.
            listed: (device, inode) the listing saw there, when known.

        Raises:
            OutsideRoot: A link leads out of the root, or the file is on /proc, /sys or /dev.
            PageSkipped: Not a regular file, a link while links are not followed, or a
                file with several hard links while ``hard_links`` is ``skip``.
            ConnectorError: Not a path inside the root; replaced since it was listed.
            OSError: Gone (FileNotFoundError) or unreadable.
        """
        parent, found = self._walk(split_rel(rel), rel)
        try:
            self._check_kind(found.info, rel)
            fd = os.open(found.parts[-1], _FILE_FLAGS, dir_fd=parent)
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # became a link after the lstat: never followed here
                raise ConnectorError(
                    f"{rel}: replaced while being opened; read again next run"
                ) from None
            raise
        finally:
            os.close(parent)
        try:
            info = os.fstat(fd)
            self._check_kind(info, rel)
            if (info.st_dev, info.st_ino) != (found.info.st_dev, found.info.st_ino):
                raise ConnectorError(f"{rel}: replaced while being opened; read again next run")
            if listed is not None and listed != (info.st_dev, info.st_ino):
                raise ConnectorError(
                    f"{rel}: another file took its place after the listing; read again next run"
                )
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _check_kind(self, info: os.stat_result, rel: str) -> None:
        if not stat.S_ISREG(info.st_mode):
            raise PageSkipped(f"{rel}: not a regular file ({describe(info)}); nothing is read")
        if info.st_dev in self._forbidden_devices:
            raise OutsideRoot(f"{rel}: a kernel or device file (/proc, /sys, /dev); not read")
        if self.hard_links == "skip" and info.st_nlink > 1:
            raise PageSkipped(
                f"{rel}: has {info.st_nlink} hard links and hard_links is 'skip'; not read"
            )

    # -- resolving ---------------------------------------------------------------------------

    def _walk(self, pending: list[str], rel: str) -> tuple[int, Found]:
        """Walk ``pending`` from the root; returns the open parent folder and the last entry."""
        stack = [self.open_root()]
        names: list[str] = []
        links: list[str] = []  # "where -> target" of each link followed, for messages
        pending.reverse()  # popped from the end
        try:
            while True:
                name = pending.pop()
                if name in ("", ".", ".."):
                    if name == "..":
                        if len(stack) == 1:
                            raise OutsideRoot(self._leaves(rel, links[-1] if links else rel))
                        os.close(stack.pop())
                        names.pop()
                    if not pending:  # the path ends in a folder: take it from its parent
                        pending = _step_back(stack, names)
                    continue
                info = os.stat(name, dir_fd=stack[-1], follow_symlinks=False)
                if stat.S_ISLNK(info.st_mode):
                    where = "/".join([*names, name])
                    target = self._link_target(stack[-1], name, where, rel, len(links))
                    links.append(f"{where} -> {target}")
                    if target.startswith("/"):
                        self._rewind(stack, names)
                        pending.extend(reversed(self._under_root(target, links[-1], rel)))
                    else:
                        pending.extend(reversed(target.split("/")))
                    continue
                if not pending:
                    return stack.pop(), Found(parts=(*names, name), info=info)
                stack.append(_open_subdir(stack[-1], name, info, rel))
                names.append(name)
        finally:
            for fd in stack:
                os.close(fd)

    def _link_target(self, dir_fd: int, name: str, where: str, rel: str, followed: int) -> str:
        if not self.follow_symlinks:
            raise PageSkipped(f"{rel}: {where} is a symbolic link and follow_symlinks is false")
        if followed >= MAX_LINKS:
            raise OSError(errno.ELOOP, "too many levels of symbolic links", rel)
        target = os.readlink(name, dir_fd=dir_fd)
        if not target:
            raise FileNotFoundError(errno.ENOENT, "empty symbolic link", where)
        return target

    def _under_root(self, target: str, link: str, rel: str) -> list[str]:
        for prefix in self._prefixes:
            if target == prefix or target.startswith(prefix + "/"):
                return target[len(prefix) :].split("/")
        raise OutsideRoot(self._leaves(rel, link))

    def _leaves(self, rel: str, link: str) -> str:
        head = f"symlink leaves the {self.noun}: "
        # "a -> /etc/passwd" for a link named as listed; "docs/x.md: docs -> /etc" otherwise
        if link.split(" -> ", 1)[0] == rel:
            return head + link
        return f"{rel}: {head}{link}"

    @staticmethod
    def _rewind(stack: list[int], names: list[str]) -> None:
        while len(stack) > 1:
            os.close(stack.pop())
        names.clear()


def read_bounded(fd: int, rel: str, limit: int, setting: str) -> bytes:
    """Read an open file (and close it) when it holds at most ``limit`` bytes.

    Raises:
        ConnectorError: It is larger than ``limit`` (the key named ``setting``) or unreadable.
    """
    with os.fdopen(fd, "rb") as file:
        try:
            size = os.fstat(file.fileno()).st_size
            if size > limit:
                raise ConnectorError(f"{rel}: file is {size:,} bytes, over {setting} ({limit:,})")
            data = file.read(limit + 1)
        except OSError as exc:
            raise ConnectorError(f"{rel}: cannot read: {exc.strerror or exc}") from exc
    if len(data) > limit:  # it grew between fstat and read
        raise ConnectorError(f"{rel}: file is over {setting} ({limit:,})")
    return data


def describe(info: os.stat_result) -> str:
    """What kind of file ``info`` describes, for messages ("a FIFO")."""
    for test, label in _KINDS:
        if test(info.st_mode):
            return label
    return "not a regular file" if not stat.S_ISREG(info.st_mode) else "a file"


def _open_subdir(dir_fd: int, name: str, info: os.stat_result, rel: str) -> int:
    if not stat.S_ISDIR(info.st_mode):
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", rel)
    # O_NOFOLLOW: a folder swapped for a link since the lstat fails here (ELOOP), never followed
    return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)


def _step_back(stack: list[int], names: list[str]) -> list[str]:
    """A path ending in a folder ("x/.", "..", "."): look it up again by name from its parent."""
    if not names:  # the root itself: a link to it is a loop as far as listing goes
        raise IsADirectoryError(errno.EISDIR, "leads to the root folder itself", "")
    os.close(stack.pop())
    return [names.pop()]


def _forbidden_devices() -> frozenset[int]:
    """Devices of the /proc, /sys and /dev file systems (those not on the / file system)."""
    try:
        system = os.stat("/").st_dev
    except OSError:
        return frozenset()
    devices = set()
    for folder in FORBIDDEN_ROOTS:
        try:
            device = os.stat(folder).st_dev
        except OSError:
            continue
        if device != system:
            devices.add(device)
    return frozenset(devices)
