"""The golden file format, the comparison with a readable diff, and ``--update-golden`` writing.

One expected file per page, ``expected/<input path without extension>.html``: an HTML comment
holding what Intercom receives besides the body (external_id, title, url, content_hash,
warnings; one JSON value per line), then the body. A browser opens the file as the page.

The body is byte-exact, with one reversible exception for reviewability: HTML serialized on
long lines (Notion HTML exports, Confluence, Word) would make every change a one-line diff, so
when a line outside ``<pre>`` is longer than 200 characters and holds several blocks, one
newline is added after every block tag (outside ``<pre>``) and the header says
``layout: "newlines added"``. Reading removes exactly one newline after each of those tags,
which gives back the bytes sent (the writer checks this round trip).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ingestor.convert import ConvertedPage

__all__ = [
    "GoldenPage",
    "GoldenResult",
    "compare_golden",
    "expected_name",
    "parse_golden",
    "render_golden",
]

UPDATE_HINT = "pytest tests/golden --update-golden"
_HEADER_FIRST = "<!-- golden page: exactly what Intercom receives for this input page."
_HEADER_HINT = f"     Do not edit: regenerate with `{UPDATE_HINT}` and review the diff."
_HEADER_END = "-->"
_FIELDS = ("external_id", "title", "url", "content_hash", "warnings", "layout")
_AS_SENT = "as sent"
_NEWLINES_ADDED = "newlines added"

_PRE_BLOCK = re.compile(r"(<pre\b.*?</pre>)", re.S)
_BLOCKS = (
    "p|div|h[1-6]|ul|ol|li|dl|dt|dd|table|caption|colgroup|thead|tbody|tfoot|tr|"
    "blockquote|figure|figcaption|details|summary"
)
# After a closing block tag, a void block tag, or the opening tag of a container of blocks.
_BREAK_AFTER = re.compile(
    rf"</(?:{_BLOCKS})>|<(?:hr|br)\b[^>]*>"
    r"|<(?:ul|ol|dl|table|thead|tbody|tfoot|tr|blockquote|details)\b[^>]*>"
)
_ADDED_BREAK = re.compile(rf"({_BREAK_AFTER.pattern})\n")
#: A line (outside <pre>) longer than this holding at least MIN_BLOCKS block tags switches
#: its page to the "newlines added" layout; a long paragraph alone does not.
MAX_LINE = 200
MIN_BLOCKS = 6


@dataclass(frozen=True, slots=True)
class GoldenPage:
    """One page as the golden file records it (the html is always the exact bytes sent)."""

    external_id: str
    title: str
    url: str | None
    content_hash: str
    warnings: tuple[str, ...]
    html: str

    @classmethod
    def of(cls, page: ConvertedPage) -> GoldenPage:
        """The golden view of a converted page."""
        return cls(
            external_id=page.external_id,
            title=page.title,
            url=page.url,
            content_hash=page.content_hash,
            warnings=tuple(page.warnings),
            html=page.html,
        )


@dataclass(frozen=True, slots=True)
class GoldenResult:
    """What a comparison found; ``problems`` is empty when every page matched."""

    problems: tuple[str, ...]
    written: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def report(self, kind: str) -> str:
        """A failure message: every problem, then how to accept the new output."""
        head = f"golden pages of {kind!r} differ from tests/golden/{kind}/expected/:"
        tail = f"If the change is intended, run `{UPDATE_HINT}` and review `git diff`."
        return "\n\n".join([head, *self.problems, tail])


def expected_name(key: str) -> str:
    """``guides/intro.md`` -> ``guides/intro.html``: the expected file of an input page."""
    path = PurePosixPath(key)
    return str(path.with_suffix(".html")) if path.suffix else f"{key}.html"


def _json(value: object) -> str:
    # "-->" would end the header comment early; \u002d is the same JSON string.
    return json.dumps(value, ensure_ascii=False).replace("--", "-\\u002d")


def _has_long_line(html: str) -> bool:
    """Whether some line outside ``<pre>`` is long and holds several blocks."""
    lines = (line for part in _PRE_BLOCK.split(html)[::2] for line in part.split("\n"))
    return any(
        len(line) > MAX_LINE and len(_BREAK_AFTER.findall(line)) >= MIN_BLOCKS for line in lines
    )


def _add_newlines(html: str) -> str:
    parts = _PRE_BLOCK.split(html)
    for index in range(0, len(parts), 2):
        part = _BREAK_AFTER.sub(lambda match: match.group(0) + "\n", parts[index])
        parts[index] = "\n" + part if index else part  # a </pre> ends a block too
    return "".join(parts)


def _remove_newlines(body: str) -> str:
    parts = _PRE_BLOCK.split(body)
    for index in range(0, len(parts), 2):
        part = parts[index].removeprefix("\n") if index else parts[index]
        parts[index] = _ADDED_BREAK.sub(r"\1", part)
    return "".join(parts)


def render_golden(page: GoldenPage) -> str:
    """The text of a golden file for ``page``.

    Raises:
        AssertionError: Adding newlines to a single-line body would not be reversible.
    """
    layout = _AS_SENT
    body = page.html
    if _has_long_line(page.html):
        layout = _NEWLINES_ADDED
        body = _add_newlines(page.html)
        assert _remove_newlines(body) == page.html, f"{page.external_id}: layout not reversible"
    values: dict[str, object] = {
        "external_id": page.external_id,
        "title": page.title,
        "url": page.url,
        "content_hash": page.content_hash,
        "warnings": list(page.warnings),
        "layout": layout,
    }
    header = [_HEADER_FIRST, _HEADER_HINT]
    header += [f"  {name}: {_json(values[name])}" for name in _FIELDS]
    return "\n".join([*header, _HEADER_END, body]) + "\n"


def parse_golden(text: str, where: str) -> GoldenPage:
    """Read a golden file written by :func:`render_golden`.

    Args:
        text: The file's text.
        where: The file's path, for error messages.

    Raises:
        ValueError: The file is not a golden file (the message names it and what is wrong).
    """
    lines = text.split("\n")
    if not lines or lines[0] != _HEADER_FIRST or _HEADER_END not in lines:
        raise ValueError(f"{where}: not a golden file (header missing); regenerate it")
    end = lines.index(_HEADER_END)
    values: dict[str, object] = {}
    for line in lines[1:end]:
        name, sep, raw = line.strip().partition(": ")
        if sep and name in _FIELDS:
            try:
                values[name] = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: header field {name!r} is not JSON: {exc}") from exc
    missing = [name for name in _FIELDS if name not in values]
    if missing:
        raise ValueError(f"{where}: header lacks {', '.join(missing)}; regenerate it")
    body = "\n".join(lines[end + 1 :]).removesuffix("\n")
    if values["layout"] == _NEWLINES_ADDED:
        body = _remove_newlines(body)
    url = values["url"]
    warnings = values["warnings"]
    return GoldenPage(
        external_id=str(values["external_id"]),
        title=str(values["title"]),
        url=None if url is None else str(url),
        content_hash=str(values["content_hash"]),
        warnings=tuple(str(w) for w in warnings) if isinstance(warnings, list) else (),
        html=body,
    )


def _diff(expected: str, actual: str, name: str) -> str:
    lines = difflib.unified_diff(
        expected.splitlines(keepends=True),
        actual.splitlines(keepends=True),
        fromfile=f"expected/{name}",
        tofile=f"actual/{name}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def compare_golden(
    expected_dir: Path, pages: Mapping[str, GoldenPage], *, update: bool
) -> GoldenResult:
    """Compare rendered pages with the expected files, or rewrite those files.

    Args:
        expected_dir: ``tests/golden/<kind>/expected``.
        pages: Rendered pages by input key (their input path, see :func:`expected_name`).
        update: Write every expected file (and delete those no page produces) instead.

    Returns:
        The problems (a unified diff per changed page, missing and stale files), or, when
        updating, the files written and removed.
    """
    by_name: dict[str, GoldenPage] = {}
    for key, page in sorted(pages.items()):
        name = expected_name(key)
        if name in by_name:
            raise ValueError(f"two input pages map to expected/{name}; rename one of them")
        by_name[name] = page
    present = {p.relative_to(expected_dir).as_posix() for p in expected_dir.rglob("*.html")}
    stale = sorted(present - by_name.keys())
    if update:
        return _update(expected_dir, by_name, stale)
    problems: list[str] = []
    for name, page in by_name.items():
        actual = render_golden(page)
        path = expected_dir / name
        if not path.is_file():
            problems.append(f"expected/{name}: missing (new input page {page.external_id!r})")
            continue
        text = path.read_text(encoding="utf-8")
        try:
            recorded = parse_golden(text, f"expected/{name}")
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if recorded != page:
            problems.append(_diff(text, actual, name) or f"expected/{name}: differs")
    problems += [f"expected/{name}: stale (no input page produces it)" for name in stale]
    return GoldenResult(problems=tuple(problems))


def _update(
    expected_dir: Path, by_name: Mapping[str, GoldenPage], stale: list[str]
) -> GoldenResult:
    written: list[str] = []
    for name, page in by_name.items():
        path = expected_dir / name
        text = render_golden(page)
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(name)
    for name in stale:
        (expected_dir / name).unlink()
    for folder in sorted(expected_dir.rglob("*"), reverse=True):  # deepest first
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return GoldenResult(problems=(), written=tuple(written), removed=tuple(stale))
