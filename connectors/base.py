"""The connector contract: what every source kind implements, and the registry that finds them.

A connector does two things and nothing else:

* ``list()`` yields one cheap :class:`Item` per page (an id and an opaque version such as
  mtime+size or a revision number) without reading page bodies. It may also yield a
  :class:`ListingProblem` for a part of the source it could not list: the engine then keeps
  syncing what was listed but deletes nothing this run. Raising :class:`ConnectorError` means
  the listing failed as a whole.
* ``fetch(item)`` returns the page as a :class:`Document` (raw body plus what the source knows
  about title and url). Raising :class:`ConnectorError` fails that one page.

A connector that can ask its source "what changed since X" (wikis' recent changes, CQL
``lastmodified``) also implements :class:`Incremental`: the engine then stores an opaque
cursor after each complete run and, next time, asks only for :class:`Changes` since it.

Connectors never write state and never talk to Intercom. Built-in and third-party connectors
register through the ``fin_ingestor.connectors`` entry-point group.

The data classes (:class:`Item`, :class:`Document`, :class:`Changes`...) are defined in
:mod:`ingestor.connectors.document`, which the conversion workers load without pydantic, and
re-exported here.
"""

from __future__ import annotations

import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator, Mapping
from datetime import timedelta
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ingestor.connectors.audience import AllowSecretPattern, AudienceRule, RestrictedPolicy
from ingestor.connectors.document import (
    BodyFormat,
    Changes,
    Document,
    Item,
    LinkResolver,
    ListingProblem,
)
from ingestor.connectors.schedule import (
    DeletionMode,
    Duration,
    HideFor,
    Schedule,
    crontab_fields,
    format_duration,
    parse_duration,
)
from ingestor.errors import ConnectorError

__all__ = [
    "ENTRY_POINT_GROUP",
    "BodyFormat",
    "Changes",
    "Connector",
    "ConnectorError",
    "ConnectorSettings",
    "DeletionMode",
    "Document",
    "Duration",
    "HideFor",
    "Incremental",
    "Item",
    "LinkResolver",
    "ListingProblem",
    "Schedule",
    "Targeted",
    "WatchMethod",
    "crontab_fields",
    "format_duration",
    "load_connector_classes",
    "parse_duration",
    "resolve_config_path",
    "resolve_tls_verify",
]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "fin_ingestor.connectors"
#: Comma-separated connector kinds to load; unset loads every registered one.
LOAD_ENV_VAR = "FIN_INGESTOR_LOAD_CONNECTORS"

#: How the daemon notices changes of a watched local source (see ``ConnectorSettings.watch``).
WatchMethod = Literal["auto", "events", "polling"]


class Incremental(ABC):
    """Optional capability: list only what changed since an opaque cursor.

    The engine calls :meth:`start_cursor` right before a full ``list()`` and stores it once
    that run completed without problems; later runs call :meth:`list_changes` with it. A
    cursor advances only after a run in which every change was processed (failed pages keep
    it, so they are retried), and ``--full`` always lists everything.
    """

    @abstractmethod
    def start_cursor(self) -> str:
        """A cursor meaning "now", taken before a full listing begins."""

    @abstractmethod
    def list_changes(self, cursor: str) -> Changes | None:
        """Changes since ``cursor``, or None when it is too old (the engine lists in full).

        Raises:
            ConnectorError: The source could not answer; nothing is deleted this run.
        """


class Targeted(ABC):
    """Optional capability: list only the pages at some paths of a local source.

    The daemon's file-system watcher hands over the paths that changed; a run then fetches
    only those pages. Such a run never deletes: deletions need a complete listing.
    """

    @abstractmethod
    def list_paths(self, paths: Collection[str]) -> Changes | None:
        """The current pages at ``paths`` (absolute paths under the source), with the listing's
        own rules (include, exclude, hidden files), and ``deleted`` empty; paths that hold no
        page are ignored. None when only a full listing can tell (a folder changed, a page's
        file is gone): the engine then lists in full, with the deletion guard."""


def resolve_config_path(value: Path, info: ValidationInfo) -> Path:
    """A path from the YAML: ``~`` expanded, relative ones taken from the config file's folder
    (the loader passes it as ``context["config_dir"]``), made absolute."""
    path = value.expanduser()
    config_dir = (info.context or {}).get("config_dir")
    if not path.is_absolute() and config_dir is not None:
        path = Path(config_dir) / path
    return Path(os.path.abspath(path))


def resolve_tls_verify(value: bool | Path, info: ValidationInfo) -> bool | Path:
    """A ``verify`` setting: true/false, or a CA bundle path that must exist."""
    if isinstance(value, bool):
        return value
    path = resolve_config_path(value, info)
    if not path.exists():
        raise ValueError(f"CA bundle does not exist: {path}")
    return path


class ConnectorSettings(BaseModel):
    """Keys every connector entry in the YAML has; each kind subclasses it with its own keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        description="Unique connector name; the key of its state and its Content Import Source.",
    )
    type: str = Field(description="Connector kind, e.g. 'filesystem'.")
    url: str = Field(
        pattern=r"^https?://",
        description="URL of the Content Import Source in Intercom (the root of this source).",
    )
    enabled: bool = Field(default=True, description="Skip this connector when false.")
    renamed_from: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        description="The connector's previous name: its Content Import Source, pages and "
        "history in the state database move to the new name on the next sync, so renaming "
        "re-sends nothing. Remove it once that sync ran.",
    )
    ai_agent_availability: bool | None = Field(
        default=None, description="Overrides defaults.ai_agent_availability for this connector."
    )
    ai_copilot_availability: bool | None = Field(
        default=None, description="Overrides defaults.ai_copilot_availability for this connector."
    )
    max_page_bytes: int | None = Field(
        default=None, gt=0, description="Overrides defaults.max_page_bytes for this connector."
    )
    min_text_chars: int | None = Field(
        default=None, ge=0, description="Overrides defaults.min_text_chars for this connector."
    )
    section_bytes: int | None = Field(
        default=None, ge=0, description="Overrides defaults.section_bytes for this connector."
    )
    max_delete_fraction: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="Overrides defaults.max_delete_fraction for this connector.",
    )
    deletion: DeletionMode | None = Field(
        default=None, description="Overrides defaults.deletion for this connector."
    )
    hide_for: HideFor | None = Field(
        default=None, description="Overrides defaults.hide_for for this connector."
    )
    schedule: Schedule | None = Field(
        default=None,
        description="When the daemon syncs this connector: {every: 30m} or "
        "{cron: '0 */2 * * *', timezone: Europe/Paris}, optionally with jitter. "
        "Default: daemon.schedule.",
    )
    run_on_start: bool | None = Field(
        default=None,
        description="Sync once as soon as the daemon starts (then on schedule). "
        "Default: daemon.run_on_start.",
    )
    audiences: list[AudienceRule] = Field(
        default_factory=list,
        description="Ordered rules giving pages an audience: [{match: {path: 'internal/**'}, "
        "audience: exclude, name: internal}]. The first matching rule wins; pages no rule "
        "matches get ai_agent_availability/ai_copilot_availability. See docs/audiences.md.",
    )
    restricted: RestrictedPolicy = Field(
        default="exclude",
        description="Pages the source restricts (Confluence view restrictions, wiki ACLs): "
        "exclude (never sent), team (Copilot at most, whatever the rules say) or customers "
        "(the rules decide).",
    )
    allow_secrets: list[AllowSecretPattern] = Field(
        default_factory=list,
        description="Globs or external ids of pages the secrets gate lets through (false "
        "positives); a line can also carry the marker 'fin-ingestor: allow-secret'.",
    )
    watch: bool | None = Field(
        default=None,
        description="The daemon syncs changes within seconds: a local source's file-system "
        "events start a run of just the changed files (debounced); wikis poll their change "
        "feed every watch_interval. Default: on for sources on a local file system, off "
        "otherwise. See docs/watch.md.",
    )
    watch_method: WatchMethod = Field(
        default="auto",
        description="How a watched local source notices changes: events (inotify), polling "
        "(stat the tree every watch_interval) or auto: events, except on network and FUSE "
        "mounts (NFS, SMB/CIFS, sshfs...), whose remote changes raise no events.",
    )
    watch_interval: Duration = Field(
        default=timedelta(seconds=60),
        description="How often a watched wiki asks its change feed, and a polled share stats "
        "its files (e.g. 30s, 2m).",
    )
    broken_links: Literal["text", "keep"] = Field(
        default="text",
        description="A link to a page the source does not hold (deleted, renamed, never "
        "exported): text sends it as its words without the link, so a Fin citation never "
        "leads a customer to a 404; keep sends the link as it is. Both report it as broken.",
    )

    @field_validator("watch_interval", mode="after")
    @classmethod
    def _watch_interval_is_sane(cls, value: timedelta) -> timedelta:
        if value < timedelta(seconds=1):
            raise ValueError("watch_interval must be at least 1s")
        return value

    def local_source(self) -> Path | None:
        """The folder or file the source is read from, for kinds that read local files
        (``validate`` warns when two connectors read the same files); None for servers."""
        return None

    def source_problems(self) -> list[str]:
        """Why the source cannot be read right now (a mount not there yet), one line each.

        Not a config error: the source may appear later, and until then only this connector's
        runs fail (nothing is deleted). ``ingestor validate`` shows these as warnings (errors
        with ``--strict``). Kinds with a local source override it; it must not do network I/O.
        """
        return []


SettingsT = TypeVar("SettingsT", bound=ConnectorSettings)


class Connector(ABC, Generic[SettingsT]):
    """One source kind. Construct it from validated settings; it is then ready to use."""

    kind: ClassVar[str]
    Settings: ClassVar[type[ConnectorSettings]]
    #: The fields of :attr:`Document.facts` this kind fills in (``validate`` reports audience
    #: rules that match on any other field: they could never match).
    audience_fields: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, settings: SettingsT) -> None:
        self.settings = settings

    @property
    def name(self) -> str:
        return self.settings.name

    @abstractmethod
    def list(self) -> Iterator[Item | ListingProblem]:
        """Yield every page of the source, cheaply (no bodies)."""

    @abstractmethod
    def fetch(self, item: Item) -> Document:
        """Read one listed page."""

    def close(self) -> None:
        """Release connections or temporary files."""

    def __enter__(self) -> Connector[SettingsT]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def load_connector_classes() -> Mapping[str, type[Connector[Any]]]:
    """Connector classes by kind, from the entry-point group.

    A plugin that fails to import is logged and skipped so one broken plugin cannot stop the
    others. ``FIN_INGESTOR_LOAD_CONNECTORS=filesystem,notion`` limits which ones load.
    """
    wanted = os.environ.get(LOAD_ENV_VAR)
    allowed = {k.strip() for k in wanted.split(",") if k.strip()} if wanted else None
    classes: dict[str, type[Connector[Any]]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if allowed is not None and ep.name not in allowed:
            continue
        try:
            cls = ep.load()
        except Exception as exc:  # a broken plugin must not stop the others
            log.warning("connector plugin %r failed to load: %s", ep.name, exc)
            continue
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            log.warning("connector plugin %r is not a Connector subclass; skipped", ep.name)
            continue
        classes[ep.name] = cls
    return classes
