"""FilesystemConnector.list() on real folders: globs, hidden names, links, problems, scale."""

from __future__ import annotations

import logging
import os
import pickle
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

import pytest

from ingestor.connectors.base import Item, ListingProblem
from ingestor.connectors.filesystem import FilesystemConnector, FilesystemSettings, file_format
from ingestor.errors import ConnectorError

T = TypeVar("T")
NOBODY = 65534


def connector(root: Path, **extra: Any) -> FilesystemConnector:
    settings = FilesystemSettings.model_validate(
        {"name": "kb", "url": "https://wiki.example.com/kb/", "root": root} | extra
    )
    return FilesystemConnector(settings)


def make(root: Path, *paths: str) -> None:
    for rel in paths:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {rel}\n")


def ids(results: list[Item | ListingProblem]) -> list[str]:
    return [r.external_id for r in results if isinstance(r, Item)]


def problems(results: list[Item | ListingProblem]) -> list[ListingProblem]:
    return [r for r in results if isinstance(r, ListingProblem)]


# -- audit hook: counts what the listing opens (a real count, no mock) ----------------------------

_AUDIT: dict[str, Any] = {"root": None, "opens": [], "dir_opens": [], "scandirs": []}


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """Opens under the root or relative to a folder descriptor (a bare name), and scandirs.

    The listing opens folders relative to their parent, so such opens name no root; any open
    of a relative name while armed is the listing's (pytest opens absolute paths)."""
    root = _AUDIT["root"]
    if root is None or event not in ("open", "os.scandir") or not args:
        return
    path = args[0]
    if event == "os.scandir":
        _AUDIT["scandirs"].append(path if isinstance(path, int) else os.fsdecode(path))
        return
    if not isinstance(path, str | bytes | os.PathLike):
        return
    name = os.fsdecode(path)
    if name.startswith(root) or not os.path.isabs(name):
        flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
        _AUDIT["dir_opens" if flags & os.O_DIRECTORY else "opens"].append(name)


sys.addaudithook(_audit)  # hooks cannot be removed; this one is inert unless a test arms it


@pytest.fixture
def audited() -> Iterator[Callable[[Path], dict[str, Any]]]:
    def arm(root: Path) -> dict[str, Any]:
        _AUDIT.update(root=str(root), opens=[], dir_opens=[], scandirs=[])
        return _AUDIT

    yield arm
    _AUDIT["root"] = None


# -- running as an unprivileged user: root ignores file permissions --------------------------------


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A temporary folder that user nobody can reach (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="fs-listing-"))
    path.chmod(0o755)
    yield path
    for dirpath, dirnames, _ in os.walk(path):
        for name in dirnames:
            os.chmod(os.path.join(dirpath, name), 0o755)
    shutil.rmtree(path)


def as_nobody(fn: Callable[[], T]) -> T:
    """Run ``fn`` in a forked child as user nobody when we are root; return its result."""
    if os.geteuid() != 0:
        return fn()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        try:
            os.close(read_fd)
            try:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            except OSError as exc:
                payload = pickle.dumps(("skip", f"cannot drop root privileges: {exc}"))
            else:
                try:
                    payload = pickle.dumps(("ok", fn()))
                except BaseException as exc:
                    payload = pickle.dumps(("error", f"{type(exc).__name__}: {exc}"))
            with os.fdopen(write_fd, "wb") as out:
                out.write(payload)
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as incoming:
        data = incoming.read()
    os.waitpid(pid, 0)
    status, value = pickle.loads(data)
    if status == "skip":
        pytest.skip(value)
    if status == "error":
        raise AssertionError(f"child failed: {value}")
    result: T = value
    return result


# -- tests ---------------------------------------------------------------------------------------


def test_lists_default_kinds_sorted_with_stat_versions(tmp_path: Path) -> None:
    make(tmp_path, "b.md", "a/z.html", "a/b.txt", "a/c.htm", "x.markdown", "A.md", "img.png",
         "doc.pdf", "notes.MD.bak")  # fmt: skip
    results = list(connector(tmp_path).list())
    assert ids(results) == ["A.md", "a/b.txt", "a/c.htm", "a/z.html", "b.md", "x.markdown"]
    item = next(r for r in results if isinstance(r, Item) and r.external_id == "a/z.html")
    info = (tmp_path / "a" / "z.html").stat()
    assert item.version == f"{info.st_mtime_ns}:{info.st_size}"
    assert item.locator == f"{info.st_dev}:{info.st_ino}"  # what fetch checks it opens
    assert item.size == info.st_size
    assert list(connector(tmp_path).list()) == results  # deterministic


def test_version_changes_with_content(tmp_path: Path) -> None:
    make(tmp_path, "a.md")
    before = ids_and_versions(tmp_path)
    (tmp_path / "a.md").write_text("# a, longer now\n")
    os.utime(tmp_path / "a.md", ns=(1, 1_000_000_000))
    assert ids_and_versions(tmp_path) != before


def ids_and_versions(root: Path) -> list[tuple[str, str]]:
    return [(i.external_id, i.version) for i in connector(root).list() if isinstance(i, Item)]


def test_include_and_exclude_globs(
    tmp_path: Path, audited: Callable[[Path], dict[str, Any]]
) -> None:
    make(tmp_path, "docs/a.md", "docs/sub/b.md", "docs/drafts/c.md", "docs/x.tmp.md",
         "docs/t.txt", "other/d.md", "e.md")  # fmt: skip
    audit = audited(tmp_path)
    results = list(
        connector(tmp_path, include=["docs/**/*.md"], exclude=["drafts/", "*.tmp.md"]).list()
    )
    assert ids(results) == ["docs/a.md", "docs/sub/b.md"]
    assert audit["dir_opens"] and len(audit["scandirs"]) == len(audit["dir_opens"])
    assert not any("drafts" in path for path in audit["dir_opens"])  # excluded: not entered


def test_hidden_files_and_folders_are_skipped(tmp_path: Path) -> None:
    make(tmp_path, ".hidden.md", ".git/config.md", "docs/.draft.md", "docs/.cache/x.md",
         "docs/ok.md")  # fmt: skip
    assert ids(list(connector(tmp_path).list())) == ["docs/ok.md"]


def test_symlink_loops_end_and_each_folder_is_listed_once(tmp_path: Path) -> None:
    make(tmp_path, "a/x.md", "b/y.md")
    (tmp_path / "a" / "up").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "a" / "self").symlink_to(".", target_is_directory=True)
    (tmp_path / "0-alias-of-b").symlink_to("b", target_is_directory=True)
    assert ids(list(connector(tmp_path).list())) == ["a/x.md", "b/y.md"]


def test_links_inside_the_root_are_followed_and_linked_folders_come_last(tmp_path: Path) -> None:
    make(tmp_path, "real/shared/s.md", "real/single.md", "z.md")
    (tmp_path / "linked").symlink_to(tmp_path / "real" / "shared", target_is_directory=True)
    (tmp_path / "link.md").symlink_to("real/single.md")
    (tmp_path / "real" / "shared").rename(tmp_path / "real" / ".shared")  # listed via the link
    (tmp_path / "linked").unlink()
    (tmp_path / "linked").symlink_to("real/.shared", target_is_directory=True)
    results = list(connector(tmp_path).list())
    assert ids(results) == ["link.md", "real/single.md", "z.md", "linked/s.md"]
    assert ids(list(connector(tmp_path, follow_symlinks=False).list())) == [
        "real/single.md",
        "z.md",
    ]


def test_broken_links_are_skipped_with_a_debug_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    make(tmp_path, "ok.md")
    (tmp_path / "broken.md").symlink_to(tmp_path / "missing.md")
    (tmp_path / "broken-dir").symlink_to(tmp_path / "missing-dir", target_is_directory=True)
    with caplog.at_level(logging.DEBUG, logger="ingestor.connectors.filesystem"):
        results = list(connector(tmp_path).list())
    assert ids(results) == ["ok.md"] and problems(results) == []
    assert any("broken.md" in r.getMessage() for r in caplog.records)


def test_special_files_are_not_listed(tmp_path: Path) -> None:
    make(tmp_path, "ok.md")
    os.mkfifo(tmp_path / "pipe.md")
    assert ids(list(connector(tmp_path).list())) == ["ok.md"]


def test_names_that_are_not_utf8_are_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    make(tmp_path, "ok.md")
    (tmp_path / os.fsdecode(b"caf\xe9.md")).write_text("latin-1 name")
    with caplog.at_level(logging.WARNING, logger="ingestor.connectors.filesystem"):
        assert ids(list(connector(tmp_path).list())) == ["ok.md"]
    assert "not valid UTF-8" in caplog.text


def test_unreadable_subfolder_is_a_listing_problem_and_the_walk_goes_on(
    shared_tmp: Path,
) -> None:
    make(shared_tmp, "a.md", "locked/secret.md", "nostat/n.md", "z/after.md")
    (shared_tmp / "locked").chmod(0o000)
    (shared_tmp / "nostat").chmod(0o644)  # names readable, entries not reachable
    results = as_nobody(lambda: list(connector(shared_tmp).list()))
    assert ids(results) == ["a.md", "z/after.md"]
    found = {(p.where, p.message) for p in problems(results)}
    assert ("locked/", "cannot list folder: Permission denied") in found
    assert ("nostat/n.md", "cannot stat file: Permission denied") in found


def test_unreadable_root_raises(shared_tmp: Path) -> None:
    make(shared_tmp, "root/a.md")
    kb = connector(shared_tmp / "root")
    (shared_tmp / "root").chmod(0o000)
    message = as_nobody(lambda: _error_of(kb))
    assert message == f"cannot list {shared_tmp / 'root'}: Permission denied"


def _error_of(kb: FilesystemConnector) -> str:
    try:
        list(kb.list())
    except ConnectorError as exc:
        return str(exc)
    return "no error"


def test_missing_root_raises_naming_it(tmp_path: Path) -> None:
    make(tmp_path, "root/a.md")
    kb = connector(tmp_path / "root")
    shutil.rmtree(tmp_path / "root")
    with pytest.raises(ConnectorError, match=f"cannot list {tmp_path / 'root'}: No such file"):
        list(kb.list())


def test_ten_thousand_files_are_listed_without_opening_any(
    tmp_path: Path, audited: Callable[[Path], dict[str, Any]]
) -> None:
    source = tmp_path / "0-source.txt.orig"  # not matched by the default globs
    source.write_bytes(b"# page\n")
    for folder in range(100):
        sub = tmp_path / f"section-{folder:02d}"
        sub.mkdir()
        for page in range(100):
            os.link(source, sub / f"page {page}.md")  # 10x faster to make than new files
    audit = audited(tmp_path)
    results = list(connector(tmp_path).list())
    assert len(ids(results)) == 10_000 and problems(results) == []
    assert audit["opens"] == []
    assert len(audit["scandirs"]) == 101
    # the hook does see reads: fetching one file is counted
    connector(tmp_path).fetch(next(r for r in results if isinstance(r, Item)))
    assert len(audit["opens"]) == 1


@pytest.mark.parametrize(
    "rel",
    [
        "a.md", "kb/b.MD", "c.Markdown", "d.htm", "e.XHTML", "f.docx", "g/~$h.DOCX", "i.PDF",
        "notes", "notes.", "a..md", "x.tar.gz", "dir.md/file", "dir.md/file.txt", ".md",
        "kb/.md", "kb/.hidden.md", "kb/read.me",
    ],
)  # fmt: skip
def test_a_files_format_follows_its_extension_as_a_path_object_reads_it(rel: str) -> None:
    """file_format runs for every listed file, so it reads the suffix without a path object;
    it must agree with PurePosixPath's suffix (dot files and trailing dots have none)."""
    suffix = PurePosixPath(rel).suffix.lower()
    expected = {".md": "md", ".markdown": "md", ".htm": "html", ".xhtml": "html"}.get(suffix)
    expected = expected or {".docx": "docx", ".pdf": "pdf"}.get(suffix, "txt")
    assert file_format(rel) == expected
