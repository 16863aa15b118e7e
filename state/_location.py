"""Whether a state database can live at a path: checked by ``ingestor validate`` before a
daemon finds out by failing (a config installed in read-only ``/etc`` with a relative
``state.path`` would otherwise fail every start)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["location_problem"]


def location_problem(path: Path) -> str | None:
    """Why this process could not create or write the state database at ``path``, or None.

    Args:
        path: The database file (it may not exist yet, nor its folders).

    Returns:
        A one-line reason naming the folder or file at fault.
    """
    path = Path(path).expanduser().absolute()
    if path.is_dir():
        return f"{path} is a directory; give the database file's path"
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            return f"{path} exists but this user (uid {os.getuid()}) cannot read and write it"
        folder = path.parent
    else:
        folder = path.parent
        while not folder.exists():
            if folder.parent == folder:
                break
            folder = folder.parent
    if not folder.is_dir():
        return f"{folder} is not a folder, so {path} cannot be created"
    if not os.access(folder, os.W_OK | os.X_OK):
        return (
            f"{folder} is not writable by this user (uid {os.getuid()}), so {path} cannot be "
            "created (the lock and journal files live beside the database)"
        )
    return None
