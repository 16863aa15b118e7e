"""Notion export file names: the 32-hex page id, the title, junk files (pure functions).

Notion names every page file ``<Title> <id>.<ext>`` (``.md``, ``.html``, ``.csv`` and a
``<Title> <id>_all.csv`` variant for databases), truncates the title to about 50 characters
(sometimes in the middle of a character) and puts a page's children in a folder named like
the page without its extension.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath

__all__ = [
    "JUNK_NAMES",
    "NamedFile",
    "fit_name",
    "format_uuid",
    "is_junk",
    "parse_name",
    "repair_title",
]

#: Operating-system droppings that are never part of an export.
JUNK_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini", "ehthumbs.db"})
_ID_AT_END = re.compile(r"^(?P<title>.*?)[ _-]*(?P<id>[0-9a-fA-F]{32})(?P<all>_all)?$", re.S)
_UUID = re.compile(
    r"([0-9a-fA-F]{8})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{12})"
)
_SPACES = re.compile(r"\s+")
#: What Linux file systems allow in one path segment, in bytes (NAME_MAX).
NAME_MAX_BYTES = 255
_KEPT_TAIL = re.compile(r"(?:[ _-]*[0-9a-fA-F]{32}(?:_all)?)?(?:\.[A-Za-z0-9]{1,10})?$")


@dataclass(frozen=True, slots=True)
class NamedFile:
    """What a file or folder name of an export says.

    Attributes:
        page_id: 32 lowercase hex digits, or None when the name carries no id.
        title: The title part of the name (may be truncated by Notion), tidied.
        extension: Lower-case suffix with its dot (``.md``), empty for folders.
        all_columns: True for a ``<Title> <id>_all.csv`` database file.
    """

    page_id: str | None
    title: str
    extension: str
    all_columns: bool = False


def is_junk(rel_path: str) -> bool:
    """Whether a path inside an export is OS junk (``__MACOSX/``, ``.DS_Store``, ``._x``...).

    Args:
        rel_path: POSIX path relative to the export root.

    Returns:
        True when the file must be ignored.
    """
    parts = [part for part in rel_path.split("/") if part]
    if any(part == "__MACOSX" for part in parts):
        return True
    name = parts[-1] if parts else ""
    return name.lower() in JUNK_NAMES or name.startswith("._")


def parse_name(name: str, *, is_dir: bool = False) -> NamedFile:
    """Split a file or folder name into title, page id and extension.

    Args:
        name: One path segment, e.g. ``Getting Started 152bb52ee2b580179846fd78b2b60ea9.md``.
        is_dir: The name is a folder (no extension is split off).

    Returns:
        The parsed name; ``page_id`` is None when no 32-hex id ends the stem.
    """
    path = PurePosixPath(name)
    stem, extension = (name, "") if is_dir else (path.stem, path.suffix.lower())
    match = _ID_AT_END.match(stem)
    if match is None:
        return NamedFile(page_id=None, title=repair_title(stem), extension=extension)
    return NamedFile(
        page_id=match.group("id").lower(),
        title=repair_title(match.group("title")),
        extension=extension,
        all_columns=match.group("all") is not None,
    )


def repair_title(text: str) -> str:
    """Tidy a title taken from a file name, including one cut in the middle of a character.

    Notion truncates long titles; a cut inside a UTF-16 surrogate pair or a UTF-8 sequence
    leaves a lone surrogate, a U+FFFD replacement character or a dangling combining mark.
    Those are removed, whitespace is collapsed and the text is NFC-normalized (macOS zips
    store decomposed names).

    Args:
        text: The raw title part of a name.

    Returns:
        The repaired title (possibly empty).
    """
    cleaned = "".join(ch for ch in text if not 0xD800 <= ord(ch) <= 0xDFFF)
    cleaned = unicodedata.normalize("NFC", cleaned).rstrip("\ufffd").lstrip("\ufffd")
    # a variation selector or zero-width joiner left at the end belongs to a cut emoji
    cleaned = cleaned.rstrip("\u200d\ufe0f\ufe0e")
    return _SPACES.sub(" ", cleaned).strip()


def fit_name(name: str, limit: int = NAME_MAX_BYTES) -> str:
    """A path segment short enough to be written on Linux, keeping what identifies it.

    macOS and Windows count a name's length in characters, Linux in UTF-8 bytes: an attachment
    named with 120 Cyrillic or 90 CJK characters is valid where the export was made and too
    long here. The title part is cut (at a character boundary) and the page id and extension
    are kept, so pages keep their identity; a name without an id gets a short hash of the full
    name, so two long names never become one.

    Args:
        name: One path segment.
        limit: Bytes allowed.

    Returns:
        ``name`` itself when it fits, else the shortened name.
    """
    if len(name.encode("utf-8", "surrogatepass")) <= limit:
        return name
    tail_match = _KEPT_TAIL.search(name)
    tail = tail_match.group(0) if tail_match else ""
    if not re.search(r"[0-9a-fA-F]{32}", tail):
        tail = "~" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8] + tail
    room = max(limit - len(tail.encode("utf-8", "surrogatepass")), 1)
    head = name[: len(name) - len(tail_match.group(0)) if tail_match else len(name)]
    cut = head.encode("utf-8", "surrogatepass")[:room].decode("utf-8", "ignore").rstrip()
    return cut + tail


def format_uuid(page_id: str) -> str:
    """``1a2b...`` (32 hex) as ``1a2b3c4d-...`` (8-4-4-4-12), the form Notion's API uses.

    Args:
        page_id: 32 hex digits, with or without dashes.

    Returns:
        The dashed lowercase form.
    """
    match = _UUID.fullmatch(page_id)
    if match is None:
        raise ValueError(f"not a Notion page id: {page_id!r}")
    return "-".join(match.groups()).lower()
