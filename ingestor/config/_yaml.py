"""YAML reading for the config loader: values plus the line of every key path.

PyYAML's ``safe_load`` forgets where things were and silently keeps the last of two equal keys.
Here the document is *composed* first (nodes carry their marks), walked once to record the line
of each key path, reject duplicate and non-string keys and expand ``${VAR}`` references in string
scalars, and only then constructed into Python values. Expanding on nodes (after parsing) means
a variable's value is never re-parsed as YAML, so quotes, colons or ``#`` in a secret are safe.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ingestor.errors import ConfigIssue

__all__ = ["KeyPath", "YamlDocument", "format_path", "read_yaml"]

#: A key path as pydantic spells it: ("connectors", 1, "root").
KeyPath = tuple[str | int, ...]

_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
# `$${` is an escaped literal `${`; otherwise `${NAME}` or `${NAME:-default}`.
_REFERENCE = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Deepest nesting of mappings and lists a config may have. Real configs stay under 10; the
#: limit keeps PyYAML's recursive composer (and every walk after it) far from Python's
#: recursion limit, so `[` nested 5,000 deep is a config error with its line, not a crash.
MAX_DEPTH = 64


def format_path(path: KeyPath) -> str:
    """Render a key path the way an admin reads it: ``connectors[1].root``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


@dataclass
class YamlDocument:
    """A parsed config file: its values, where each key is, and what went wrong."""

    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    issues: list[ConfigIssue] = field(default_factory=list)
    #: Paths whose value had a ``${VAR}`` that could not be resolved (their value is unusable).
    unresolved: set[KeyPath] = field(default_factory=set)
    #: Paths whose value came (at least partly) from the environment, with the text substituted.
    substituted: dict[KeyPath, list[str]] = field(default_factory=dict)

    def line_of(self, path: KeyPath) -> int | None:
        """Line of ``path``, or of its nearest ancestor present in the file (missing keys)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


def read_yaml(text: str, *, filename: str, environ: Mapping[str, str]) -> YamlDocument:
    """Parse ``text`` into a :class:`YamlDocument`; syntax errors become issues, not exceptions.

    Args:
        text: The YAML source.
        filename: Name used in issues (``config.yaml``).
        environ: Where ``${VAR}`` references are looked up.
    """
    try:
        loader = yaml.SafeLoader(text)  # reads the whole text: control characters fail here
    except yaml.reader.ReaderError as exc:
        return YamlDocument(data=None, issues=[_reader_issue(exc, text, filename)])
    try:
        try:
            too_deep = _too_deep(text, filename)
            if too_deep is not None:
                return YamlDocument(data=None, issues=[too_deep])
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            return YamlDocument(data=None, issues=[_syntax_issue(exc, filename)])
        except yaml.reader.ReaderError as exc:
            return YamlDocument(data=None, issues=[_reader_issue(exc, text, filename)])
        except yaml.YAMLError as exc:  # any other unmarked error
            issue = ConfigIssue("", f"YAML error: {exc}", filename, 1)
            return YamlDocument(data=None, issues=[issue])
        if node is None:
            return YamlDocument(data=None)
        doc = YamlDocument(data=None, lines={(): node.start_mark.line + 1})
        _Walker(doc, filename, environ).walk(node, ())
        try:
            doc.data = loader.construct_document(node)
        except yaml.MarkedYAMLError as exc:  # unknown tags such as !!python/object
            doc.issues.append(_syntax_issue(exc, filename))
        return doc
    finally:
        loader.dispose()


def _reader_issue(exc: yaml.reader.ReaderError, text: str, filename: str) -> ConfigIssue:
    """A character YAML does not allow (a raw control character, U+FFFE...), with its line.

    The message names the character by code point and never quotes the line (a secret)."""
    line = text.count("\n", 0, max(0, exc.position)) + 1
    column = exc.position - (text.rfind("\n", 0, max(0, exc.position)) + 1) + 1
    what = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
    return ConfigIssue(
        "",
        f"character {what} at column {column} is not allowed in YAML (a control character? "
        "write it as an escape in a double-quoted string, e.g. \\t)",
        filename,
        line,
    )


def _too_deep(text: str, filename: str) -> ConfigIssue | None:
    """The first place nesting passes :data:`MAX_DEPTH`, found with PyYAML's event parser
    (a loop, not recursion), before the recursive composer sees the document."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            mark = event.start_mark
            if depth > MAX_DEPTH and mark is not None:
                return ConfigIssue(
                    "",
                    f"nested more than {MAX_DEPTH} levels deep at column {mark.column + 1}",
                    filename,
                    mark.line + 1,
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def _syntax_issue(exc: yaml.MarkedYAMLError, filename: str) -> ConfigIssue:
    # Built from problem + mark only: str(exc) quotes the offending source line, which may hold
    # a secret written inline.
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    if exc.problem and exc.context and exc.context_mark is not None:
        start = exc.context_mark
        problem += f" ({exc.context} at line {start.line + 1}, column {start.column + 1})"
    if mark is None:
        return ConfigIssue("", f"YAML syntax error: {problem}", filename, 1)
    return ConfigIssue(
        "", f"YAML syntax error at column {mark.column + 1}: {problem}", filename, mark.line + 1
    )


class _Walker:
    """One pass over the node tree: lines, duplicate keys, ``${VAR}`` expansion."""

    def __init__(self, doc: YamlDocument, filename: str, environ: Mapping[str, str]) -> None:
        self.doc = doc
        self.filename = filename
        self.environ = environ
        self.seen: set[int] = set()  # aliases share nodes: visit each once (no alias bombs)

    def issue(self, path: KeyPath, message: str, line: int) -> None:
        self.doc.issues.append(ConfigIssue(format_path(path), message, self.filename, line))

    def walk(self, node: Node, path: KeyPath) -> None:
        if id(node) in self.seen:
            return
        self.seen.add(id(node))
        if isinstance(node, MappingNode):
            self.walk_mapping(node, path)
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                self.doc.lines.setdefault((*path, index), item.start_mark.line + 1)
                self.walk(item, (*path, index))
        elif isinstance(node, ScalarNode) and node.tag == _STR_TAG:
            node.value = self.expand(node.value, path, node.start_mark.line + 1)

    def walk_mapping(self, node: MappingNode, path: KeyPath) -> None:
        first_line: dict[str, int] = {}
        kept: list[tuple[Node, Node]] = []  # without the pairs reported here, so that they
        for key_node, value_node in node.value:  # are not reported again by validation
            line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE_TAG:  # `<<: *defaults`: keys come from the merged mapping
                self.walk(value_node, path)
                kept.append((key_node, value_node))
                continue
            if not (isinstance(key_node, ScalarNode) and key_node.tag == _STR_TAG):
                shown = key_node.value if isinstance(key_node, ScalarNode) else "a collection"
                self.issue(
                    path,
                    f"key {shown!r} is not a string (YAML reads yes/no/on/off/numbers as "
                    "other types); quote it",
                    line,
                )
                continue
            key = key_node.value
            if key in first_line:
                self.issue(
                    (*path, key), f"duplicate key (first defined on line {first_line[key]})", line
                )
                continue
            first_line[key] = line
            self.doc.lines[(*path, key)] = line
            self.walk(value_node, (*path, key))
            kept.append((key_node, value_node))
        node.value = kept

    def expand(self, value: str, path: KeyPath, line: int) -> str:
        if "${" not in value:
            return value
        substituted: list[str] = []

        def replace(match: re.Match[str]) -> str:
            if match.group(0) == "$${":
                return "${"
            if match.group(1) is None:
                self.issue(path, "unterminated ${ (write $${ for a literal ${)", line)
                self.doc.unresolved.add(path)
                return ""
            name, sep, default = match.group(1).partition(":-")
            if not _NAME.fullmatch(name) or "${" in default:
                self.issue(
                    path,
                    f"invalid reference ${{{match.group(1)}}}: use ${{NAME}} or "
                    "${NAME:-default} (write $${ for a literal ${)",
                    line,
                )
                self.doc.unresolved.add(path)
                return ""
            found = self.environ.get(name)
            if found is None or (sep and found == ""):
                if sep:
                    return default
                self.issue(path, f"environment variable {name} is not set", line)
                self.doc.unresolved.add(path)
                return ""
            substituted.append(found)
            return found

        expanded = _REFERENCE.sub(replace, value)
        if substituted:
            self.doc.substituted.setdefault(path, []).extend(substituted)
        return expanded
