"""Glob patterns over relative POSIX paths, compiled into one regular expression.

Semantics follow gitignore and pathlib:

* ``*`` matches within one path segment, ``?`` one character, ``[abc]``/``[!abc]`` a class;
  none of them crosses ``/``. ``\\`` escapes the next character.
* ``**`` as a whole segment matches any number of segments: ``**/*.md`` matches ``a.md`` and
  ``x/y/a.md``; ``docs/**`` matches everything below ``docs``; ``a/**/b`` matches ``a/b``.
  ``**`` inside a segment (``a**``) is just ``*``.
* A pattern without ``/`` matches a name at any depth (``*.md``, ``drafts``); a pattern with a
  ``/`` is anchored at the root (``docs/*.md``); a leading ``/`` only anchors.
* A trailing ``/`` means "everything below": ``archive/`` equals ``archive/**``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["GlobError", "compile_globs"]

_ANY_DEPTH = "(?:[^/]+/)*"


class GlobError(ValueError):
    """A pattern cannot be used (empty, or only slashes)."""


def compile_globs(patterns: Iterable[str]) -> re.Pattern[str] | None:
    """Compile patterns into one regex; use ``regex.fullmatch(relative_path)``.

    Args:
        patterns: Glob patterns as described in the module docstring.

    Returns:
        The compiled alternation, or None when there are no patterns (nothing matches).

    Raises:
        GlobError: A pattern is empty.
    """
    alternatives = [f"(?:{translate_glob(p)})" for p in patterns]
    if not alternatives:
        return None
    return re.compile("|".join(alternatives), re.S)


def translate_glob(pattern: str) -> str:
    """Translate one glob pattern into regex source matching whole relative paths.

    Args:
        pattern: A glob pattern.

    Returns:
        Regex source (no anchors: use it with ``fullmatch``).

    Raises:
        GlobError: The pattern is empty or has no segment.
    """
    if pattern.endswith("/"):
        pattern += "**"
    anchored = "/" in pattern.rstrip("/")
    segments = [segment for segment in pattern.split("/") if segment]
    if not segments:
        raise GlobError(f"empty glob pattern {pattern!r}")
    out = [] if anchored else [_ANY_DEPTH]
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        if segment == "**":
            # any depth; as the last segment it must still match at least one name
            out.append("[^/]+(?:/[^/]+)*" if index == last else _ANY_DEPTH)
        else:
            out.append(_translate_segment(segment) + ("" if index == last else "/"))
    return "".join(out)


def _translate_segment(segment: str) -> str:
    out: list[str] = []
    i, n = 0, len(segment)
    while i < n:
        char = segment[i]
        i += 1
        if char == "*":
            while i < n and segment[i] == "*":
                i += 1
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "\\" and i < n:
            out.append(re.escape(segment[i]))
            i += 1
        elif char == "[":
            end = _class_end(segment, i)
            if end is None:
                out.append(re.escape(char))
                continue
            body = segment[i:end]
            i = end + 1
            negate = body[:1] in ("!", "^")
            if negate:
                body = body[1:]
            # escape all but "-" (ranges): "[", "&&", "~~" inside a class make re warn
            body = "".join(c if c == "-" else re.escape(c) for c in body if c != "/")
            if not body:
                out.append("[^/]" if negate else "(?!)")
            else:
                out.append(f"[^/{body}]" if negate else f"[{body}]")
        else:
            out.append(re.escape(char))
    return "".join(out)


def _class_end(segment: str, start: int) -> int | None:
    """Index of the ``]`` closing a class opened just before ``start``, or None."""
    i = start
    if i < len(segment) and segment[i] in "!^":
        i += 1
    if i < len(segment) and segment[i] == "]":  # a leading ] is literal
        i += 1
    end = segment.find("]", i)
    return None if end == -1 else end
