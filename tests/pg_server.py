"""A throw-away PostgreSQL server for tests and benchmarks: ``initdb`` + ``pg_ctl start`` on a
free port under a temporary folder, no system service.

Debian's ``postgresql`` package puts the binaries in ``/usr/lib/postgresql/<major>/bin`` (not
on PATH). PostgreSQL refuses to run as root, so when this process is root the cluster's folder
belongs to the ``postgres`` user the package creates and the binaries run as that user
(``runuser``); otherwise they run as the current user. Authentication is ``trust`` on
127.0.0.1 only, and the socket lives in the cluster's folder.

Each test takes a database of its own with :meth:`PostgresServer.fresh_database`: ``CREATE
DATABASE ... TEMPLATE template0`` on an empty cluster takes a few milliseconds.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

__all__ = ["PostgresServer", "postgres_bin_dir", "postgres_missing_reason"]

_SUPERUSER = "ingestor"


def postgres_bin_dir() -> Path | None:
    """The newest installed PostgreSQL's bin folder (``$PG_BIN`` wins), or None."""
    override = os.environ.get("PG_BIN")
    if override:
        return Path(override) if (Path(override) / "initdb").exists() else None
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def postgres_missing_reason() -> str | None:
    """Why no test PostgreSQL can start here, or None."""
    if postgres_bin_dir() is None:
        return "PostgreSQL server binaries (initdb, pg_ctl) not found; apt-get install postgresql"
    if os.geteuid() == 0 and _run_as_user() is None:
        return "running as root and there is no 'postgres' user to run PostgreSQL as"
    return None


def _run_as_user() -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PostgresServer:
    """A running cluster; :meth:`stop` (or leaving the ``with`` block) removes it."""

    def __init__(self) -> None:
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            raise RuntimeError(postgres_missing_reason() or "no PostgreSQL")
        self._bin = bin_dir
        self._root = Path(tempfile.mkdtemp(prefix="ingestor-pg-"))
        self._data = self._root / "data"
        self.port = _free_port()
        self._user = _run_as_user() if os.geteuid() == 0 else None
        self._counter = itertools.count(1)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> PostgresServer:
        """initdb and start; raises RuntimeError with the server's log when it cannot."""
        if self._user is not None:
            os.chmod(self._root, 0o700)
            os.chown(self._root, self._user.pw_uid, self._user.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self._data),
            "-U",
            _SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        options = (
            f"-p {self.port} -h 127.0.0.1 -k {self._root} -F "  # -F: fsync off, tests only
            "-c max_connections=200 -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl", "-D", str(self._data), "-l", str(self._root / "log"), "-o", options,
            "-w", "-t", "60", "start",
        )  # fmt: skip
        return self

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its folder."""
        if (self._data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self._data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- databases ---------------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL (psycopg 3 driver) for ``database``."""
        return f"postgresql+psycopg://{_SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def fresh_database(self, prefix: str = "t") -> str:
        """Create an empty database; returns its URL."""
        name = f"{prefix}_{os.getpid()}_{next(self._counter)}"
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a database made by :meth:`fresh_database` (closing its leftover sessions)."""
        name = url.rsplit("/", 1)[1]
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def execute(self, sql: str) -> None:
        """Run one statement outside a transaction in the maintenance database."""
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user={_SUPERUSER} dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(sql.encode())

    # -- plumbing ----------------------------------------------------------------------------

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        command = [str(self._bin / program), *args]
        if self._user is not None:
            command = ["runuser", "-u", self._user.pw_name, "--", *command]
        result = subprocess.run(
            command, capture_output=True, text=True, cwd=self._root, timeout=120, check=False
        )
        if check and result.returncode != 0:
            log = self._root / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{program} failed ({result.returncode}): {result.stderr.strip()}\n{tail}"
            )
