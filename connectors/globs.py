"""Glob patterns over relative POSIX paths, compiled into one regular expression.

Semantics follow gitignore and pathlib:

* ``*`` matches within one path segment, ``?`` one character, ``[abc]``/``[!abc]`` a class;
  none of them crosses ``/``. ``\\`` escapes the next character.
* ``**`` as a whole segment matches any number of segments: ``**/*.md`` matches ``a.md`` and
  ``x/y/a.md``; ``a/**/b`` matches ``a/b``; ``docs/**`` matches the folder ``docs`` and
  everything below it.
  ``**`` inside a segment (``a**``) is just ``*``.
* A pattern without ``/`` matches a name at any depth (``*.md``, ``drafts``); a pattern with a
  ``/`` is anchored at the root (``docs/*.md``); a leading ``/`` only anchors.
* A trailing ``/`` means "the folder and everything below": ``archive/`` equals ``archive/**``
  (and, having no other ``/``, matches an ``archive`` folder at any depth, as in gitignore).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["GlobError", "compile_globs", "translate_glob"]

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
    anchored = "/" in pattern.rstrip("/")
    segments = [segment for segment in pattern.split("/") if segment]
    if not segments:
        raise GlobError(f"empty glob pattern {pattern!r}")
    if pattern.endswith("/"):
        segments.append("**")
    # "**/**" means the same as "**"
    segments = [
        s for i, s in enumerate(segments) if not (s == "**" and segments[i - 1 : i] == ["**"])
    ]
    out = "" if anchored else _ANY_DEPTH
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        if segment != "**":
            out += _translate_segment(segment) + ("" if index == last else "/")
        elif index != last:
            out += _ANY_DEPTH
        elif index == 0:
            out += "[^/]+(?:/[^/]+)*"  # "**" alone: every path
        else:
            # "docs/**": the folder and everything below it (so an excluded folder is pruned)
            out = out.removesuffix("/") + "(?:/[^/]+)*"
    return out


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
