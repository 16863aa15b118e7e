"""The folder ``ingestor preview --out`` writes into: it never deletes what it did not write.

``--out`` must be a new folder, an empty one, or one an earlier preview wrote: such a folder
holds :data:`MARKER`, a list of every file preview wrote there, one path a line. A new preview
deletes exactly those files (never following a symlink, never leaving the folder), removes the
connector folders they leave empty, and writes the new pages with exclusive creates: a file
preview did not write is never deleted or overwritten. Any other non-empty folder is refused
with :class:`~ingestor.errors.UsageError` (exit code 2), naming a file found there.

Folders preview creates are 0700 and its files 0600, whatever the umask: they hold every page's
HTML, as the state database does (an existing ``--out`` folder keeps its mode).
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from ingestor.errors import UsageError

__all__ = ["MARKER", "PreviewFolder"]

#: Marks a folder preview wrote, and lists the files it wrote there.
MARKER = ".fin-ingestor-preview"
_HEADER = "# written by fin-ingestor preview; the next preview deletes only the files listed\n"


class PreviewFolder:
    """An output folder claimed for one preview run: write files only through :meth:`write`."""

    def __init__(self, root: Path) -> None:
        """Use :meth:`claim`."""
        self.root = root
        self._marker = root / MARKER

    @classmethod
    def claim(cls, out: Path) -> PreviewFolder:
        """Create ``out``, or take over an empty folder or one an earlier preview wrote.

        Raises:
            UsageError: ``out`` is not a folder, or holds files preview did not write.
        """
        if out.is_symlink() or (out.exists() and not out.is_dir()):
            raise UsageError(f"preview --out {out}: not a folder")
        if not out.exists():
            out.parent.mkdir(parents=True, exist_ok=True)
            _private_folder(out)
        folder = cls(out)
        if folder._marker.is_file() and not folder._marker.is_symlink():
            folder._delete_listed()
        else:
            foreign = next(iter(sorted(out.iterdir())), None)
            if foreign is not None:
                raise UsageError(
                    f"preview --out {out}: the folder holds files preview did not write "
                    f"({foreign.name!r}); preview writes only into a new or empty folder, or "
                    f"one it wrote before (with a {MARKER} file), so that it never deletes "
                    "anything else. Choose another folder."
                )
        _create(folder._marker, _HEADER)
        return folder

    def subfolder(self, name: str) -> None:
        """Create the folder ``name`` (one component) if it is missing."""
        path = self.root / name
        if not path.is_dir() or path.is_symlink():
            _private_folder(path)

    def write(self, rel: str, text: str) -> None:
        """Write a new file ``rel`` (POSIX, under the folder) and list it in the marker.

        Raises:
            UsageError: A file preview did not write is in the way.
        """
        with open(self._marker, "a", encoding="utf-8") as marker:
            marker.write(rel + "\n")  # listed first: a crash leaves no unlisted file behind
        try:
            _create(self.root / rel, text)
        except FileExistsError:
            raise UsageError(
                f"preview --out {self.root}: {rel} exists and preview did not write it; "
                "move it away or choose another folder"
            ) from None

    def _delete_listed(self) -> None:
        listed = self._marker.read_text(encoding="utf-8").splitlines()
        emptied: set[Path] = set()
        for line in listed:
            path = self._inside(line)
            if path is None or path.is_symlink() or not path.is_file():
                continue
            path.unlink()
            if path.parent != self.root:
                emptied.add(path.parent)
        for folder in emptied:
            if not any(folder.iterdir()):
                folder.rmdir()
        self._marker.unlink()

    def _inside(self, line: str) -> Path | None:
        """The file a marker line names, if it is a plain path inside the folder (a marker
        edited to name ``../x`` or a symlinked folder is not obeyed)."""
        rel = PurePosixPath(line.strip())
        if line.startswith("#") or not rel.parts or rel.is_absolute() or ".." in rel.parts:
            return None
        path = self.root.joinpath(*rel.parts)
        parent = path.parent
        while parent != self.root:
            if parent.is_symlink():
                return None
            parent = parent.parent
        return path


def _private_folder(path: Path) -> None:
    path.mkdir(mode=0o700)
    os.chmod(path, 0o700)  # mkdir's mode is masked by the umask; 0700 must hold whatever it is


def _create(path: Path, text: str) -> None:
    """Create ``path`` (it must not exist), private to this user, holding ``text``."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    os.fchmod(fd, 0o600)  # exactly, whatever the umask took away
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
