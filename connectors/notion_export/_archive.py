"""Safe extraction of Notion export zips into a private temporary folder.

Every member is checked before a byte is written: no absolute path, drive letter or ``..``
segment, no symbolic link, no device; the declared and the actual sizes count against a total
budget, a file-count budget and a compression-ratio limit (zip bombs). Files are written with
exclusive-create under the extraction folder only, and each target path is checked to stay
inside it. A zip that holds nothing but zips (how Notion wraps big exports) is unpacked one
level further. Any problem raises :class:`ConnectorError` naming the zip and the member.

Zips found beside the configured one or in a folder where exports land must be regular files
there: a symbolic link among them is skipped with a warning (it could lead anywhere), and each
part is opened without following a link swapped in since (``O_NOFOLLOW``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ingestor.connectors.notion_export._names import fit_name, is_junk
from ingestor.errors import ConnectorError

__all__ = [
    "ExtractionLimits",
    "export_group",
    "export_parts",
    "extract_zips",
    "newest_export",
    "newest_unpacked_export",
]

log = logging.getLogger("ingestor.connectors.notion_export")

_PART_SUFFIX = re.compile(r"^(?P<base>.+?)-Part-(?P<n>\d+)$", re.I)
_DRIVE = re.compile(r"^[A-Za-z]:")
#: The folder an export zip unpacks to (``Export-<uuid>``, ``ExportBlock-<uuid>-Part-2``...).
_UNPACKED_EXPORT = re.compile(
    r"^Export(?:Block)?-[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}"
    r"(?:-Part-\d+)?$",
    re.I,
)
_CHUNK = 1 << 16
#: Members smaller than this are never called bombs: tiny text compresses very well.
_RATIO_FLOOR_BYTES = 1 << 20
#: General purpose flag bit 0 of a zip member: encrypted (PKWARE APPNOTE 4.4.4).
_ENCRYPTED = 0x1
#: How deep zips inside zips are opened.
_MAX_NESTING = 3


@dataclass(frozen=True, slots=True)
class ExtractionLimits:
    """Budgets one export extraction may not exceed."""

    max_total_bytes: int
    max_files: int
    max_ratio: float


@dataclass(slots=True)
class _Budget:
    limits: ExtractionLimits
    written: int = 0
    files: int = 0
    seen: set[str] = field(default_factory=set)


def export_group(zip_path: Path) -> str:
    """The export a zip belongs to: its stem without a ``-Part-N`` suffix.

    Args:
        zip_path: A ``.zip`` file.

    Returns:
        E.g. ``Export-d2b1...`` for ``Export-d2b1...-Part-2.zip``.
    """
    match = _PART_SUFFIX.match(zip_path.stem)
    return match.group("base") if match else zip_path.stem


def export_parts(zip_path: Path) -> list[Path]:
    """All parts of the export a zip belongs to: itself, or every ``-Part-N.zip`` beside it.

    Args:
        zip_path: The configured ``.zip`` file.

    Returns:
        The parts, sorted by name.
    """
    if _PART_SUFFIX.match(zip_path.stem) is None:
        return [zip_path]
    group = export_group(zip_path)
    siblings = [
        p for p in zip_path.parent.glob("*.zip") if _is_plain_file(p) and export_group(p) == group
    ]
    return sorted(set(siblings) | {zip_path})


def _is_plain_file(path: Path) -> bool:
    """A regular file, not a link (a link among export zips is skipped with a warning)."""
    try:
        info = path.lstat()
    except OSError:
        return False
    if stat.S_ISLNK(info.st_mode):
        log.warning("skipped %s: a symbolic link; export zips must be files in the folder", path)
        return False
    return stat.S_ISREG(info.st_mode)


def newest_export(folder: Path) -> list[Path]:
    """The zips of the newest export in a folder where exports land (all its parts).

    Args:
        folder: A folder holding ``*.zip`` files.

    Returns:
        The parts of the export whose newest part has the latest mtime, sorted by name;
        empty when the folder holds no zip.
    """
    groups: dict[str, list[Path]] = {}
    for path in folder.iterdir():
        if path.suffix.lower() == ".zip" and not path.name.startswith(".") and _is_plain_file(path):
            groups.setdefault(export_group(path), []).append(path)
    if not groups:
        return []

    def newest_mtime(parts: list[Path]) -> tuple[float, str]:
        return max(p.lstat().st_mtime for p in parts), min(p.name for p in parts)

    newest = max(groups, key=lambda group: newest_mtime(groups[group]))
    return sorted(groups[newest])


def newest_unpacked_export(folder: Path) -> list[str]:
    """The folders of the newest unpacked export, when a folder holds several side by side.

    Admins who unpack each export beside the last one get ``Export-<old uuid>/`` and
    ``Export-<new uuid>/`` in one folder; reading both would keep pages the newer export
    dropped and let an old copy of a page win. The newest export is the one whose folders
    hold the most recent modification time (unzip restores the export's own times); an
    export unpacked part by part (``Export-<uuid>-Part-1/``, ``-Part-2/``) keeps all its parts.

    Args:
        folder: The configured folder.

    Returns:
        The names of the newest export's folders, sorted; empty when the folder holds fewer
        than two exports (then it is read as one export).
    """
    groups: dict[str, list[str]] = {}
    stamps: dict[str, float] = {}
    for entry in os.scandir(folder):
        if entry.is_dir(follow_symlinks=False) and _UNPACKED_EXPORT.match(entry.name):
            group = export_group(Path(entry.name)).lower()
            groups.setdefault(group, []).append(entry.name)
            stamps[group] = max(stamps.get(group, 0.0), _newest_mtime(entry.path))
    if len(groups) < 2:
        return []
    newest = max(groups, key=lambda group: (stamps[group], group))
    log.info(
        "notion export: %d unpacked exports in %s; reading the newest, %s",
        len(groups),
        folder,
        ", ".join(sorted(groups[newest])),
    )
    return sorted(groups[newest])


def _newest_mtime(path: str) -> float:
    """The latest modification time of a folder and the entries directly inside it."""
    newest = os.lstat(path).st_mtime
    with contextlib.suppress(OSError), os.scandir(path) as entries:
        for entry in entries:
            newest = max(newest, entry.stat(follow_symlinks=False).st_mtime)
    return newest


def extract_zips(zips: Sequence[Path], target: Path, limits: ExtractionLimits) -> None:
    """Extract one export (one or several parts) into ``target``.

    Args:
        zips: The parts, extracted in order into the same folder.
        target: An empty private folder.
        limits: Size, count and ratio budgets shared by all parts and nested zips.

    Raises:
        ConnectorError: A part is corrupt, truncated or unsafe, or a budget is exceeded.
    """
    budget = _Budget(limits)
    root = os.path.realpath(target)
    for path in zips:
        try:
            with _open_part(path) as file, zipfile.ZipFile(file) as archive:
                _extract(archive, path.name, root, budget, depth=0)
        except ConnectorError:
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError) as exc:
            raise ConnectorError(f"{path}: corrupt or truncated zip: {exc}") from exc
        except NotImplementedError as exc:  # unknown compression method or encryption
            raise ConnectorError(f"{path}: unsupported zip: {exc}") from exc
        except RuntimeError as exc:  # encrypted members need a password
            raise ConnectorError(f"{path}: cannot read zip: {exc}") from exc
        except OSError as exc:
            raise ConnectorError(f"{path}: cannot extract: {exc.strerror or exc}") from exc


def _open_part(path: Path) -> BinaryIO:
    """Open one zip without following a link in its place; only a regular file is read."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ConnectorError(f"{path}: not a regular file; export refused")
    return os.fdopen(fd, "rb")


def _member_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800 and not name.isascii():
        # no UTF-8 flag: zipfile decoded the bytes as cp437, but Notion writes UTF-8
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("utf-8")
    return name.replace("\\", "/")


def _safe_parts(name: str, where: str) -> list[str]:
    if "\x00" in name:
        raise ConnectorError(f"{where}: member name contains a NUL byte; export refused")
    if name.startswith("/") or _DRIVE.match(name):
        raise ConnectorError(f"{where}: absolute path in zip; export refused")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ConnectorError(f"{where}: path escapes the export ('..'); export refused")
    return parts


def _is_nested_wrapper(members: list[tuple[zipfile.ZipInfo, str]]) -> bool:
    files = [name for info, name in members if not info.is_dir()]
    return bool(files) and all(PurePosixPath(n).suffix.lower() == ".zip" for n in files)


def _extract(archive: zipfile.ZipFile, label: str, root: str, budget: _Budget, depth: int) -> None:
    members = [
        (info, _member_name(info)) for info in archive.infolist() if not is_junk(_member_name(info))
    ]
    wrapper = _is_nested_wrapper(members)
    if wrapper and depth >= _MAX_NESTING:
        raise ConnectorError(
            f"{label}: zips nested more than {_MAX_NESTING} deep, no page in them; export refused"
        )
    for info, name in members:
        where = f"{label}: {name!r}"
        parts = _safe_parts(name, where)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise ConnectorError(f"{where}: symbolic link in zip; export refused")
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise ConnectorError(f"{where}: not a regular file (device, FIFO...); export refused")
        if not parts:
            continue
        if info.flag_bits & _ENCRYPTED:
            raise ConnectorError(
                f"{where}: encrypted (password-protected) member; export refused. "
                "Use the zip Notion or Confluence wrote, or re-pack it without a password"
            )
        _check_budget(info, where, budget)
        fitted = [fit_name(part) for part in parts]
        if fitted != parts:
            log.warning("%s: name too long for this file system; unpacked as %r", where, fitted)
        try:
            if info.is_dir():
                _make_dirs(root, fitted, where)
            elif wrapper:
                _extract_nested(archive, info, f"{label} > {name}", root, budget, depth)
            else:
                _write_member(archive, info, root, fitted, where, budget)
        except OSError as exc:  # the member's name is what the admin needs to see
            raise ConnectorError(f"{where}: cannot extract: {exc.strerror or exc}") from exc


def _extract_nested(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    label: str,
    root: str,
    budget: _Budget,
    depth: int,
) -> None:
    # zipfile must seek in the inner zip: spool it to a hidden file inside the private folder
    spool = os.path.join(root, f".nested-{depth}-{budget.files}.zip")
    _write_member(archive, info, root, [os.path.basename(spool)], label, budget)
    try:
        try:
            with zipfile.ZipFile(spool) as inner:
                _extract(inner, label, root, budget, depth + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise ConnectorError(f"{label}: corrupt or truncated zip: {exc}") from exc
    finally:
        os.unlink(spool)
        budget.written -= info.file_size  # the spool is gone; its members were counted


def _check_budget(info: zipfile.ZipInfo, where: str, budget: _Budget) -> None:
    limits = budget.limits
    budget.files += 1
    if budget.files > limits.max_files:
        raise ConnectorError(
            f"{where}: export has more than {limits.max_files:,} files (max_export_files)"
        )
    if budget.written + info.file_size > limits.max_total_bytes:
        raise ConnectorError(
            f"{where}: export would unpack to more than {limits.max_total_bytes:,} bytes "
            "(zip bomb? if the export is genuine, raise max_export_bytes)"
        )
    if info.file_size > _RATIO_FLOOR_BYTES:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_ratio:
            raise ConnectorError(
                f"{where}: compression ratio {ratio:,.0f}:1 is over {limits.max_ratio:g}:1 "
                "(zip bomb? if the file is genuine, raise max_compression_ratio)"
            )


def _make_dirs(root: str, parts: list[str], where: str) -> str:
    folder = os.path.join(root, *parts)
    _check_inside(root, folder, where)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    _check_inside(root, os.path.realpath(folder), where)
    return folder


def _check_inside(root: str, path: str, where: str) -> None:
    if os.path.commonpath([root, os.path.abspath(path)]) != root:
        raise ConnectorError(f"{where}: path escapes the extraction folder; export refused")


def _write_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    root: str,
    parts: list[str],
    where: str,
    budget: _Budget,
) -> None:
    folder = _make_dirs(root, parts[:-1], where) if len(parts) > 1 else root
    target = os.path.join(folder, parts[-1])
    _check_inside(root, target, where)
    key = "/".join(parts)
    if key in budget.seen:  # the same file in two parts: the later copy wins
        os.unlink(target)
    budget.seen.add(key)
    limit = budget.limits.max_total_bytes
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(target, flags, 0o600)
    with os.fdopen(fd, "wb") as out, archive.open(info) as source:
        while chunk := source.read(_CHUNK):
            budget.written += len(chunk)
            if budget.written > limit:  # declared sizes can lie; actual bytes cannot
                raise ConnectorError(
                    f"{where}: export unpacks to more than {limit:,} bytes "
                    "(zip bomb? if the export is genuine, raise max_export_bytes)"
                )
            out.write(chunk)
