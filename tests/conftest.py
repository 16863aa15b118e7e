"""Shared by every test folder: a real Intercom emulator on a free port, and the
``--update-golden`` option (registered here so it works whatever paths pytest is given)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ingestor.emulator import EmulatorServer, EmulatorSettings

from .pg_server import PostgresServer, postgres_missing_reason


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register ``--update-golden``: rewrite the expected files instead of comparing."""
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="tests/golden: rewrite tests/golden/<kind>/expected/ from the current conversion "
        "(then review the change with git diff)",
    )


#: The state backends a test marked ``state_backends`` runs against.
STATE_BACKENDS = ("sqlite", "postgresql")

#: Folders (under tests/) whose every test that uses the state backend (through ``site``,
#: ``make_site``, ``state_location`` ...) runs on each backend, marked or not: the engine suite.
EVERY_BACKEND_FOLDERS = ("e2e", "reconcile")


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``state_backends`` and ``sqlite_only`` markers."""
    config.addinivalue_line(
        "markers",
        "state_backends: run the test once per state backend (SQLite file, PostgreSQL), "
        "through the state_backend / state_location fixtures",
    )
    config.addinivalue_line(
        "markers",
        "sqlite_only(reason): in a folder of EVERY_BACKEND_FOLDERS, keep this test on SQLite "
        "(what it checks exists only there: the file, its WAL, flock, old SQLite files)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests that use the state backend run on SQLite and PostgreSQL when marked
    ``state_backends`` or in one of EVERY_BACKEND_FOLDERS (unless marked ``sqlite_only``);
    every other test keeps SQLite."""
    if "state_backend" in metafunc.fixturenames and _on_every_backend(metafunc.definition):
        metafunc.parametrize("state_backend", STATE_BACKENDS, indirect=True)


def _on_every_backend(item: pytest.Item) -> bool:
    only = item.get_closest_marker("sqlite_only")
    if only is not None:
        if not (only.args or only.kwargs.get("reason")):
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.sqlite_only needs a reason")
        return False
    if item.get_closest_marker("state_backends"):
        return True
    if "postgres_url" in getattr(item, "fixturenames", ()):
        return False  # it sets up the PostgreSQL side itself (state copy, doctor, ...)
    folder = Path(item.path).relative_to(Path(__file__).parent).parts[0]
    return folder in EVERY_BACKEND_FOLDERS


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer]:
    """One emulator (default settings, in memory) for the whole session."""
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def emulator(emulator_server: EmulatorServer) -> EmulatorServer:
    """The session emulator, emptied (data, counters, rate-limit windows) for this test."""
    emulator_server.reset()
    return emulator_server


@pytest.fixture
def start_emulator() -> Iterator[Callable[[EmulatorSettings], EmulatorServer]]:
    """Start emulators with custom settings; all are stopped after the test."""
    started: list[EmulatorServer] = []

    def start(settings: EmulatorSettings) -> EmulatorServer:
        server = EmulatorServer(settings).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def require_system_package(missing_reason: str | None) -> None:
    """Skip a test whose Debian package is missing, except on CI (``CI=true``), which must run
    it: there a missing package fails the test instead of hiding it (``.ci/run`` installs them).
    """
    if missing_reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{missing_reason}; CI must run this test (.ci/run installs the package)")
    pytest.skip(missing_reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throw-away PostgreSQL cluster for the session (tests/pg_server.py); skipped when
    the server binaries are missing, failed on CI (``.ci/run`` installs ``postgresql``)."""
    require_system_package(postgres_missing_reason())
    with PostgresServer() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of an empty database of its own for this test, dropped afterwards."""
    url = postgres_server.fresh_database()
    yield url
    postgres_server.drop_database(url)


@pytest.fixture
def state_backend(request: pytest.FixtureRequest) -> str:
    """``sqlite``, or the backend of this run of a test marked ``state_backends``."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def another_state(
    state_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[str], Path | str]]:
    """Make more state databases of this test's backend (several installations): a file
    ``<tmp>/<name>.db``, or a fresh PostgreSQL database, dropped afterwards."""
    made: list[str] = []
    server: PostgresServer | None = None
    if state_backend != "sqlite":
        server = request.getfixturevalue("postgres_server")

    def make(name: str) -> Path | str:
        if server is None:
            return tmp_path / f"{name}.db"
        made.append(server.fresh_database())
        return made[-1]

    yield make
    for url in made:
        assert server is not None
        server.drop_database(url)


@pytest.fixture
def state_location(
    state_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Path | str:
    """Where this test's state database lives: ``<tmp>/state/state.db`` (not created yet), or
    the URL of an empty PostgreSQL database of its own."""
    if state_backend == "sqlite":
        return tmp_path / "state" / "state.db"
    url: str = request.getfixturevalue("postgres_url")
    return url
