"""The settings of a ``type: filesystem`` connector (:mod:`connectors.filesystem`) and the checks
that refuse a bad root, glob, url template or encoding when the config is loaded."""

from __future__ import annotations

import codecs
import re
import string
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from ingestor.connectors.base import ConnectorSettings, Duration, resolve_config_path
from ingestor.connectors.fs_contain import HardLinks, check_root
from ingestor.connectors.globs import GlobError, compile_globs

__all__ = [
    "DEFAULT_FORMATS",
    "DEFAULT_INCLUDE",
    "URL_PLACEHOLDERS",
    "FileFormat",
    "FilesystemSettings",
]

FileFormat = Literal["md", "html", "txt", "docx", "pdf"]
#: Office formats are opt-in: enabling them publishes documents a share may hold for other
#: reasons (contracts, scans), and each file costs a converter process.
DEFAULT_FORMATS: tuple[FileFormat, ...] = ("md", "html", "txt")
DEFAULT_INCLUDE = ("**/*.md", "**/*.markdown", "**/*.html", "**/*.htm", "**/*.txt")
URL_PLACEHOLDERS = ("path", "path_no_ext", "stem", "name")


class FilesystemSettings(ConnectorSettings):
    """Settings of a ``type: filesystem`` connector."""

    type: Literal["filesystem"] = Field(
        default="filesystem", description="Connector kind: 'filesystem'."
    )
    root: Path = Field(
        description=(
            "Folder to sync. Must exist. A relative path is resolved against the folder of the "
            "config file. Nothing outside it is read, even through links (see follow_symlinks); "
            "/ and folders under /proc, /sys and /dev are refused."
        )
    )
    include: list[str] = Field(
        default_factory=lambda: list(DEFAULT_INCLUDE),
        min_length=1,
        description=(
            "Glob patterns of files to sync, relative to root (gitignore-like: '*' stays in one "
            "folder, '**' spans folders, a pattern without '/' matches at any depth). Default: "
            "Markdown, HTML and text files everywhere, plus **/*.docx and **/*.pdf (any letter "
            "case) when those formats are enabled. Which format a file is read as follows its "
            "extension (see formats)."
        ),
    )
    exclude: list[str] = Field(
        default_factory=list,
        description=(
            "Glob patterns of files or folders to skip (an excluded folder is not entered), "
            "e.g. 'drafts/', '**/*.tmp.md'. Hidden files and folders are always skipped."
        ),
    )
    url_template: str | None = Field(
        default=None,
        description=(
            "URL Fin cites for a file, e.g. 'https://wiki.example.com/{path_no_ext}'. "
            "Placeholders: {path} (relative path, each segment percent-encoded), {path_no_ext} "
            "(the same without the file extension), {stem} (file name without extension), "
            "{name} (file name). Default: the connector's url joined with {path}."
        ),
    )
    max_file_bytes: int = Field(
        default=5_000_000, gt=0, description="Files larger than this many bytes are refused."
    )
    url_from: Literal["canonical", "template"] = Field(
        default="canonical",
        description="Where an HTML file's url comes from. canonical: the page's own "
        "<link rel=canonical> (or og:url) when it is an absolute http(s) URL, and its relative "
        "links are resolved against it (saved web pages, mirrors of a public site); other "
        "files use url_template. template: url_template for every file.",
    )
    hidden_html: Literal["drop", "show"] = Field(
        default="drop",
        description="What happens to the parts of HTML files hidden with display:none or the "
        "hidden attribute. drop: left out (hidden menus, dialogs, templates); a page that "
        "loses 200 or more characters that way is logged with a warning. show: published "
        "(collapsed FAQ answers, tabs and accordions that a script reveals).",
    )
    encoding: str | None = Field(
        default=None,
        description="Code page of the share's legacy text files, e.g. cp1251 or shift_jis: "
        "used for Markdown, HTML and text files that are not UTF-8 and carry no byte order "
        "mark or declared charset, instead of detecting it. Default: detect (chardet); a file "
        "whose encoding cannot be told with confidence is skipped and reported.",
    )
    formats: list[FileFormat] = Field(
        default_factory=lambda: list(DEFAULT_FORMATS),
        min_length=1,
        description=(
            "Kinds of files that become pages: md (.md, .markdown, .mdown, .mkd, .mkdn), html "
            "(.html, .htm, .xhtml), txt (any other included file, as plain text), docx (Word "
            "2007+), pdf. Included files of other kinds are skipped. Default: [md, html, txt]; "
            "docx and pdf are opt-in, since shares often hold documents not meant for Fin "
            "(contracts, scans) and each one costs a converter process."
        ),
    )
    office_timeout: Duration = Field(
        default=timedelta(seconds=120),
        description=(
            "Longest one DOCX/PDF conversion may run (e.g. 30s, 2m); a file over it is "
            "stopped and reported as failed, and the run goes on."
        ),
    )
    office_memory_mb: int = Field(
        default=1024,
        gt=0,
        description=(
            "Memory (MiB of address space) one DOCX/PDF conversion may use beyond its "
            "process's start; a file over it is stopped and reported as failed."
        ),
    )
    office_max_file_bytes: int = Field(
        default=50_000_000,
        gt=0,
        description=(
            "DOCX and PDF files larger than this many bytes are refused (max_file_bytes "
            "applies to the other formats; office files carry images, hence the larger default)."
        ),
    )
    follow_symlinks: bool = Field(
        default=True,
        description=(
            "Follow symbolic links to files and folders that stay inside root (each folder is "
            "entered once, so link loops are harmless). A link leading out of root is never "
            "followed: it is skipped and reported ('symlink leaves the share: ...'). When "
            "false, every link is skipped, also one swapped in after the listing."
        ),
    )
    hard_links: HardLinks = Field(
        default="allow",
        description=(
            "Files with more than one hard link: 'allow' (default) reads them like any file; "
            "'skip' skips them. A hard link cannot be traced to where else the file lives; "
            "use 'skip' where people who write to the share could link to files they cannot "
            "read (a kernel without fs.protected_hardlinks)."
        ),
    )

    @field_validator("root", mode="after")
    @classmethod
    def _root_is_a_directory(cls, value: Path, info: ValidationInfo) -> Path:
        path = resolve_config_path(value, info)
        check_root(str(path))
        if path.exists() and not path.is_dir():
            raise ValueError(f"not a directory: {path}")
        return path  # a missing root is a run failure, not a config error (a late mount)

    def local_source(self) -> Path | None:
        return self.root

    def source_problems(self) -> list[str]:
        if not self.root.is_dir():
            return [f"root: directory does not exist (yet?): {self.root}"]
        return []

    @field_validator("include", "exclude", mode="after")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                compile_globs([pattern])
            except GlobError as exc:
                raise ValueError(str(exc)) from exc
        return value

    @field_validator("url_template", mode="after")
    @classmethod
    def _template_is_known(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"https?://", value, re.I):
            raise ValueError(f"url_template must start with http:// or https://: {value!r}")
        try:
            fields = list(string.Formatter().parse(value))
        except ValueError as exc:
            raise ValueError(
                f"url_template is malformed ({exc}); write a literal brace as {{{{ }}}}"
            ) from exc
        for _literal, field, spec, conversion in fields:
            if field is None:
                continue
            if field not in URL_PLACEHOLDERS or spec or conversion:
                suffix = (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
                shown = f"{{{field}{suffix}}}"
                known = ", ".join("{" + p + "}" for p in URL_PLACEHOLDERS)
                raise ValueError(f"url_template: unknown placeholder {shown}; known: {known}")
        return value

    @field_validator("encoding", mode="after")
    @classmethod
    def _encoding_is_known(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return codecs.lookup(value).name
        except LookupError:
            raise ValueError(
                f"unknown encoding {value!r} (a Python codec name, e.g. cp1251)"
            ) from None
