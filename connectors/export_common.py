"""What the export connectors (Notion, Confluence HTML exports) share: their settings' path
rules and zip-bomb budgets, and the private folder an export is unpacked into."""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, ValidationInfo, field_validator

from ingestor.connectors.base import ConnectorSettings, resolve_config_path
from ingestor.connectors.fs_contain import check_root

if TYPE_CHECKING:
    from ingestor.connectors.notion_export._archive import ExtractionLimits

__all__ = ["ExportSettings", "UnpackFolder"]


class ExportSettings(ConnectorSettings):
    """Keys of every connector that reads an export (each kind describes its ``path``)."""

    path: Path = Field(description="The export: a .zip file, a folder of them, or unpacked.")
    max_file_bytes: int = Field(
        default=5_000_000, gt=0, description="Page files larger than this many bytes are refused."
    )
    max_export_bytes: int = Field(
        default=4_000_000_000,
        gt=0,
        description="An export unpacking to more bytes than this is refused (zip bomb guard).",
    )
    max_export_files: int = Field(
        default=200_000, gt=0, description="An export holding more files than this is refused."
    )
    max_compression_ratio: float = Field(
        default=200.0,
        gt=1.0,
        description=(
            "A zip member over 1 MiB that unpacks to more than this many times its compressed "
            "size is refused (zip bomb guard)."
        ),
    )

    @field_validator("path", mode="after")
    @classmethod
    def _path_is_an_export(cls, value: Path, info: ValidationInfo) -> Path:
        path = resolve_config_path(value, info)
        check_root(str(path))
        if path.exists() and not (path.is_dir() or path.suffix.lower() == ".zip"):
            raise ValueError(f"not a .zip file or a folder: {path}")
        return path  # a missing export is a run failure, not a config error (a late mount)

    def local_source(self) -> Path | None:
        return self.path

    def source_problems(self) -> list[str]:
        if not self.path.exists():
            return [f"path: export does not exist (yet?): {self.path}"]
        return []

    def extraction_limits(self) -> ExtractionLimits:
        # imported here: the zip rules live in the Notion package, which imports this module
        from ingestor.connectors.archive_safety import ExtractionLimits

        return ExtractionLimits(
            max_total_bytes=self.max_export_bytes,
            max_files=self.max_export_files,
            max_ratio=self.max_compression_ratio,
        )


class UnpackFolder:
    """A private temporary folder an export's zips are unpacked into, removed by
    :meth:`cleanup` (or at exit or garbage collection, should it never be called)."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._finalizer: weakref.finalize[[str, bool], UnpackFolder] | None = None

    def extract(self, zips: Sequence[Path], limits: ExtractionLimits) -> str:
        """Unpack ``zips`` into a new private folder (the previous one is removed first).

        Raises:
            ConnectorError: A zip is corrupt, unsafe or over the limits (the folder is gone).
        """
        from ingestor.connectors.archive_safety import extract_zips  # see extraction_limits

        self.cleanup()
        workdir = tempfile.mkdtemp(prefix=self._prefix)
        self._finalizer = weakref.finalize(self, shutil.rmtree, workdir, True)
        try:
            extract_zips(zips, Path(workdir), limits)
        except BaseException:
            self.cleanup()
            raise
        return workdir

    def cleanup(self) -> None:
        if self._finalizer is not None:
            self._finalizer()  # shutil.rmtree(workdir, ignore_errors=True), once
            self._finalizer = None
