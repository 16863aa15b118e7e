"""Glob semantics and the filesystem connector's settings validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from ingestor.connectors.base import load_connector_classes
from ingestor.connectors.filesystem import FilesystemConnector, FilesystemSettings
from ingestor.connectors.globs import GlobError, compile_globs

# -- globs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("*.md", ["a.md", "x/y/a.md"], ["a.mdx", "a.md/x", "a.txt"]),
        ("**/*.md", ["a.md", "x/y/a.md"], ["a.txt"]),
        ("docs/*.md", ["docs/a.md"], ["a.md", "x/docs/a.md", "docs/x/a.md"]),
        ("/top.md", ["top.md"], ["x/top.md"]),
        ("docs/**", ["docs", "docs/a", "docs/x/y.md"], ["docsx", "a/docs/x"]),
        ("docs/", ["docs", "docs/a", "a/docs/x/y.md"], ["mydocs/a", "docsx"]),
        ("a/docs/", ["a/docs", "a/docs/x"], ["docs/x", "b/a/docs/x"]),
        ("**/**/x", ["x", "a/x", "a/b/x"], ["xa"]),
        ("a/**/b.md", ["a/b.md", "a/x/b.md", "a/x/y/b.md"], ["a/xb.md", "b.md"]),
        ("**", ["a", "a/b/c"], []),
        ("drafts", ["drafts", "x/drafts"], ["drafts2", "x/drafts/y"]),
        ("?.txt", ["a.txt", "d/b.txt"], ["ab.txt"]),
        ("[!_]*.md", ["a.md"], ["_draft.md"]),
        ("[a-c]*.md", ["b.md"], ["d.md"]),
        ("file[[]1].md", ["file[1].md"], ["file1.md"]),
        ("odd&&~~||.md", ["odd&&~~||.md"], []),
        ("a**b", ["ab", "axxb"], ["a/b"]),
        (r"lit\*.md", ["lit*.md"], ["litx.md"]),
        ("un[closed.md", ["un[closed.md"], ["unc.md"]),
        ("Café notes/*.md", ["Café notes/x.md"], ["Cafe notes/x.md"]),
    ],
)
def test_glob_semantics(pattern: str, matches: list[str], misses: list[str]) -> None:
    regex = compile_globs([pattern])
    assert regex is not None
    for path in matches:
        assert regex.fullmatch(path), (pattern, path)
    for path in misses:
        assert not regex.fullmatch(path), (pattern, path)


def test_globs_combine_and_empty_lists_match_nothing() -> None:
    regex = compile_globs(["*.md", "docs/*.txt"])
    assert regex is not None
    assert regex.fullmatch("x/a.md") and regex.fullmatch("docs/a.txt")
    assert not regex.fullmatch("a.txt")
    assert compile_globs([]) is None
    with pytest.raises(GlobError):
        compile_globs([""])


# -- settings ----------------------------------------------------------------------------------


def settings(root: Path | str, **extra: object) -> FilesystemSettings:
    return FilesystemSettings.model_validate(
        {"name": "handbook", "type": "filesystem", "url": "https://wiki.example.com/", "root": root}
        | extra
    )


def test_defaults(tmp_path: Path) -> None:
    s = settings(tmp_path)
    assert s.root == tmp_path
    assert s.include == ["**/*.md", "**/*.markdown", "**/*.html", "**/*.htm", "**/*.txt"]
    assert s.exclude == [] and s.url_template is None
    assert s.max_file_bytes == 5_000_000 and s.follow_symlinks is True


def test_every_field_is_documented() -> None:
    for name, field in FilesystemSettings.model_fields.items():
        assert field.description, f"{name} has no description"


def test_relative_root_is_resolved_against_the_config_dir(tmp_path: Path) -> None:
    (tmp_path / "handbook").mkdir()
    s = FilesystemSettings.model_validate(
        {"name": "h", "url": "https://w.example/", "root": "./handbook/../handbook"},
        context={"config_dir": tmp_path},
    )
    assert s.root == tmp_path / "handbook"
    assert s.root.is_absolute()


def test_a_missing_root_is_a_source_problem_and_a_file_root_an_error(tmp_path: Path) -> None:
    missing = settings(tmp_path / "nope")  # a share not mounted yet: the config is valid
    assert missing.source_problems() == [
        f"root: directory does not exist (yet?): {tmp_path / 'nope'}"
    ]
    (tmp_path / "nope").mkdir()
    assert missing.source_problems() == []
    (tmp_path / "file.md").write_text("x")
    with pytest.raises(ValidationError, match="not a directory"):
        settings(tmp_path / "file.md")


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            "https://w.example/{slug}",
            r"unknown placeholder \{slug\}; known: \{path\}, \{path_no_ext\}",
        ),
        ("https://w.example/{}", r"unknown placeholder \{\}"),
        ("https://w.example/{path!r}", r"unknown placeholder \{path!r\}"),
        ("https://w.example/{path:>9}", r"unknown placeholder \{path:>9\}"),
        ("https://w.example/{path.x}", r"unknown placeholder \{path.x\}"),
        ("https://w.example/{path", r"url_template is malformed"),
        ("ftp://w.example/{path}", r"must start with http:// or https://"),
    ],
)
def test_bad_url_templates_are_validation_errors(
    tmp_path: Path, template: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        settings(tmp_path, url_template=template)


def test_good_url_templates_and_globs(tmp_path: Path) -> None:
    s = settings(
        tmp_path,
        url_template="https://w.example/{path_no_ext}?f={name}&s={stem}&p={path}&lit={{x}}",
        include=["docs/**/*.md"],
        exclude=["drafts/"],
    )
    assert s.url_template is not None


@pytest.mark.parametrize("field", ["include", "exclude"])
def test_empty_patterns_are_errors(tmp_path: Path, field: str) -> None:
    with pytest.raises(ValidationError, match="empty glob pattern"):
        settings(tmp_path, **{field: ["*.md", ""]})


def test_empty_include_is_an_error_and_unknown_keys_too(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="at least 1 item"):
        settings(tmp_path, include=[])
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        settings(tmp_path, recursive=True)
    with pytest.raises(ValidationError, match="greater than 0"):
        settings(tmp_path, max_file_bytes=0)


def test_registered_through_the_entry_point() -> None:
    assert load_connector_classes()["filesystem"] is FilesystemConnector
    assert FilesystemConnector.kind == "filesystem"
    assert FilesystemConnector.Settings is FilesystemSettings
