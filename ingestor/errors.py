"""The one exception tree of fin-ingestor.

::

    IngestorError                      root: everything we raise on purpose
    ├── ConfigError                    bad YAML, unknown key, missing ${VAR}; lists every issue
    ├── UsageError                     a command-line argument that cannot be used as given
    ├── StateError                     the SQLite state database cannot be used
    │   └── StateLockedError           another process holds the state database
    ├── ConnectorError                 a source or page cannot be read (listing incomplete)
    │   ├── IncompleteListing          pagination cannot prove it reached the end (a next loop,
    │   │                              a count that disagrees, too many pages): delete nothing
    │   └── PageSkipped                nothing to publish (image-only PDF): reported, not uploaded
    │       └── OutsideRoot            a link leads out of a share or export: nothing is read
    └── SyncError                      talking to Intercom went wrong
        ├── FatalError                 stop all writes: retrying or other pages will not help
        │   ├── AuthenticationError    401/403: bad or revoked token
        │   └── LeaseLostError         another daemon instance owns the connector now: no write
        ├── DeepPagingCapped           a list walked past the API's deep-paging cap (10,000
        │                              results): the caller falls back to reads by id
        ├── RetriableError             429, 5xx, transport errors, once attempts are exhausted
        │   ├── RateLimitedError       429 rate_limit_exceeded
        │   └── IntercomUnreachable    DNS, connect, read timeouts, dropped connections
        └── PageError                  one page was refused (400/404/422...) or could not be
                                       built: recorded, reported, retried next run; the run goes on

Third-party exceptions (httpx, pydantic, yaml, sqlite) are translated at one boundary each with
``raise ... from exc``. The CLI maps this tree to exit codes in one place (``ingestor.cli``).
Messages never contain the Intercom token or response bodies beyond Intercom's error envelope.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AuthenticationError",
    "ConfigError",
    "ConfigIssue",
    "ConnectorError",
    "DeepPagingCapped",
    "FatalError",
    "IncompleteListing",
    "IngestorError",
    "IntercomUnreachable",
    "LeaseLostError",
    "NoStateError",
    "OutsideRoot",
    "PageError",
    "PageSkipped",
    "RateLimitedError",
    "RetriableError",
    "StateError",
    "StateLockedError",
    "SyncError",
    "UsageError",
]


class IngestorError(Exception):
    """Root of every error fin-ingestor raises on purpose."""


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem in a config file: where it is and what is wrong."""

    path: str  # key path, e.g. "connectors[1].root"
    message: str
    file: str | None = None
    line: int | None = None  # 1-based

    def __str__(self) -> str:
        where = self.file or "<config>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        key = f"{self.path}: " if self.path else ""
        return f"{where}: {key}{self.message}"


class ConfigError(IngestorError):
    """The configuration is invalid. ``issues`` holds every problem found, not just the first."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = list(issues)
        count = len(self.issues)
        head = f"{count} configuration error{'s' if count != 1 else ''}"
        super().__init__(head + ":\n" + "\n".join(f"  {issue}" for issue in self.issues))


class UsageError(IngestorError):
    """A command-line argument cannot be used as given (``preview --out`` naming a folder that
    holds files preview did not write). Exit code 2, like a configuration error."""


class StateError(IngestorError):
    """The state database cannot be opened, read or migrated."""


class NoStateError(StateError):
    """There is no state yet to read: no SQLite file, or an empty PostgreSQL database."""


class StateLockedError(StateError):
    """Another process already uses this state database."""


class ConnectorError(IngestorError):
    """A source cannot be listed or read as a whole; its listing counts as incomplete."""


class LoginRefused(ConnectorError):
    """A source refused the connector's credentials (wrong or revoked password, throttled).

    A wiki connector that gets it does not log in again for the rest of its run: every page
    would otherwise try once more, and a flood of failed logins gets the account throttled or
    the address blocked.
    """


class IncompleteListing(ConnectorError):
    """A paginated listing cannot prove it reached its end; what it yielded is not everything.

    Raised by :mod:`ingestor.http` pagination (a ``next`` token seen twice, pages repeating
    only known items, a reported total larger than what arrived, more pages than any sane
    listing). Connectors turn it into a ``ListingProblem`` (nothing is deleted that run).
    """


class PageSkipped(ConnectorError):
    """A page was read but holds nothing to publish (a scanned PDF without a text layer).

    It is reported and never uploaded empty. The engine counts it as skipped (not failed),
    remembers its version so the file is not read again while unchanged, and takes down the
    page an earlier version of the file published.
    """


class OutsideRoot(PageSkipped):
    """A path leads out of a connector's root: a symbolic link to elsewhere ("symlink leaves
    the share: users.txt -> /etc/passwd"), or a kernel or device file. Nothing of it is read;
    like any skipped page it is counted and an earlier version is taken down."""


class SyncError(IngestorError):
    """A call to Intercom failed; carries Intercom's status, error code and request id if known."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.code = code
        self.request_id = request_id
        details = [
            part
            for part in (
                f"HTTP {status_code}" if status_code is not None else None,
                code,
                f"request_id={request_id}" if request_id else None,
            )
            if part
        ]
        super().__init__(f"{message} ({', '.join(details)})" if details else message)


class FatalError(SyncError):
    """Retrying will not help and no further write should be attempted."""


class AuthenticationError(FatalError):
    """Intercom rejected the access token (401) or its permissions (403)."""


class LeaseLostError(FatalError):
    """This daemon instance no longer owns the connector's lease (a renewal failed, it ran out,
    or another instance took it over): the run stops before its next write to Intercom or to
    the state database, and the new owner carries on."""


class DeepPagingCapped(SyncError):
    """Intercom refused a list page past its deep-paging cap (newer references: ``page`` over
    5,001 or ``page`` x ``per_page`` over 10,000 answer 400). What was listed before stays
    valid (``listed`` items were yielded); a caller that must see every item falls back to
    reads by id."""

    def __init__(
        self,
        message: str,
        *,
        listed: int,
        status_code: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, code=code, request_id=request_id)
        self.listed = listed


class RetriableError(SyncError):
    """A transient failure that outlived every retry attempt."""


class RateLimitedError(RetriableError):
    """Intercom kept answering 429 rate_limit_exceeded."""


class IntercomUnreachable(RetriableError):
    """Intercom could not be reached: DNS, connect or read errors, dropped connections."""


class PageError(SyncError):
    """One page failed (refused by Intercom or not convertible); the run goes on."""
