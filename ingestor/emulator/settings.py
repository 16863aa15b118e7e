"""How an emulator instance behaves: tokens, latency, rate limit, faults, modes, storage.

Every field but ``tokens`` and ``db_path`` can also be changed while the emulator runs
(``PATCH /_emulator/settings``, :meth:`EmulatorServer.configure`); ``POST /_emulator/reset``
puts the settings the emulator started with back. ``SETTING_HELP`` holds one line per field
(the keys ``ingestor emulator --set`` takes); a test checks that this docstring,
``ingestor emulator --help`` and ``docs/emulator.md`` name every one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_TOKEN",
    "FIXED_SETTINGS",
    "LIST_ORDERS",
    "MAX_PER_PAGE",
    "PAGINATION_MODES",
    "SETTING_HELP",
    "EmulatorSettings",
    "parse_setting",
    "setting_overrides",
]

DEFAULT_TOKEN = "emulator-token"
MAX_PER_PAGE = 150  # the largest per_page Intercom's list endpoints accept
PAGINATION_MODES = ("pages", "offset", "cursor")
LIST_ORDERS = ("oldest_first", "newest_first")
FIXED_SETTINGS = frozenset({"tokens", "db_path"})  # chosen at start, never changed at run time
_FAULT_RATES = (
    "fault_5xx_rate",
    "fault_drop_rate",
    "fault_lost_answer_rate",
    "fault_hang_rate",
    "fault_close_rate",
)

SETTING_HELP: dict[str, str] = {
    "tokens": "Accepted bearer tokens (never shown).",
    "latency_ms": "Delay added to every API call (asyncio.sleep: other calls go on).",
    "latency_jitter_ms": "Extra delay drawn uniformly in [0, N] ms per call from the seeded RNG.",
    "rate_limit": "Calls allowed per window per token; none means unlimited (no headers).",
    "window_seconds": "Length of the epoch-aligned rate-limit window (also of storm resets).",
    "fault_5xx_rate": "Share of calls answered 500/502/503 with nothing changed.",
    "fault_drop_rate": "Share of calls cut mid-answer; a write is applied first or not (50/50).",
    "fault_lost_answer_rate": "Share of writes applied, then answered 500/502/503/504.",
    "fault_hang_rate": "Share of writes applied, then unanswered for hang_ms (or until the"
    " client disconnects), then closed.",
    "fault_close_rate": "Share of writes applied, then the connection closed without an answer.",
    "hang_ms": "How long a hung call waits before its connection is closed.",
    "fault_storm_rate": "Share of calls that start a 429 storm of storm_calls calls.",
    "storm_calls": "Calls answered 429 by a storm that fault_storm_rate starts.",
    "seed": "Seed of the fault, jitter and storm RNGs; none draws a fresh one.",
    "db_path": "SQLite file that survives restarts; none keeps everything in memory.",
    "per_page": "Default page size of the list endpoints (1..150).",
    "pagination": "List model: pages (next URL with a hidden cursor), offset (next URL by page"
    " number only: changes between fetches shift rows), cursor (next = {page, per_page,"
    " starting_after}).",
    "list_order": "oldest_first (id order) or newest_first (as the 2.14 example lists).",
    "simulate_inserts": "offset pagination only: as if N rows were inserted ahead of the list"
    " after every fetch, each page after the first repeats the previous page's last N rows.",
    "deep_paging_cap": "Refuse page > 5,001 (400 parameter_invalid) or page x per_page >"
    " 10,000 (400 bad_request 'page limit reached, please use scroll API').",
    "max_html_bytes": "Refuse page html over N UTF-8 bytes with 422 data_invalid.",
    "max_external_id_chars": "Refuse an external_id over N characters with 400 parameter_invalid.",
    "strict_source_urls": "Source urls need a public domain name (2.17): no IP, localhost,"
    " single-label host or reserved TLD (.internal, .local, .test, .example, ...).",
    "max_request_bytes": "Bodies over N bytes get a load balancer's 413 in HTML (not JSON).",
    "clear_url_on_update": "2.17's rule: an update (upsert of an existing page, or PUT) that"
    " omits url clears it; PUT no longer requires url.",
    "fail_external_ids": "Writes whose body names one of these external_ids (comma-separated)"
    " are answered 503, nothing changed: one page that fails every retry.",
}


def _is_fraction(value: float) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and 0 <= value <= 1


def _is_count(value: object, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


@dataclass(frozen=True, slots=True)
class EmulatorSettings:
    """Behaviour of one emulator instance; every default keeps Intercom 2.14's documented ways.

    Attributes:
        tokens: Accepted bearer tokens (kept out of ``repr``).
        latency_ms: Delay added to every API call with ``asyncio.sleep`` (other requests go on).
        latency_jitter_ms: Extra delay per call, uniform in ``[0, latency_jitter_ms]``, drawn
            from an RNG seeded with ``seed``.
        rate_limit: Calls allowed per window per token; ``None`` means unlimited.
        window_seconds: Length of the fixed, epoch-aligned rate-limit window; a 429 storm's
            ``X-RateLimit-Reset`` is the end of the current window too.
        fault_5xx_rate: Share of API calls answered 500/502/503 (the write is not applied).
        fault_drop_rate: Share of API calls whose connection drops mid-response; writes are
            randomly applied before the drop or not at all.
        fault_lost_answer_rate: Share of write calls (POST/PUT/DELETE) that are applied and
            then answered 500/502/503/504, as when a gateway loses Intercom's answer.
        fault_hang_rate: Share of write calls that are applied and then not answered for
            ``hang_ms`` (or until the client disconnects), after which the connection is
            closed: the client's timeout fires.
        fault_close_rate: Share of write calls that are applied, then their TCP connection is
            closed without a byte of answer.
        hang_ms: How long a hung call waits before its connection is closed.
        fault_storm_rate: Share of API calls that start a 429 storm: that call and the next
            ``storm_calls - 1`` are answered 429 ``rate_limit_exceeded`` with the
            ``X-RateLimit-*`` headers (Remaining 0) and no ``Retry-After``. Storms can also be
            started by hand (``POST /_emulator/storm``).
        storm_calls: Length, in calls, of a storm started by ``fault_storm_rate``.
        seed: Seed of the fault, jitter and storm RNGs; ``None`` draws a fresh one.
        db_path: SQLite file that survives restarts; ``None`` keeps everything in memory.
        per_page: Default page size of the list endpoints.
        pagination: ``pages`` (default: ``next`` is a URL with the page number and a cursor,
            so a walk is exact while rows change), ``offset`` (``next`` is a URL with the page
            number only; rows are found by offset at each fetch, so changes between fetches
            repeat or skip rows, as plain page-number APIs do) or ``cursor`` (``next`` is
            ``{"page", "per_page", "starting_after"}`` with an opaque cursor, as Intercom's
            newer list endpoints answer; absent on the last page).
        list_order: ``oldest_first`` (id order, default) or ``newest_first`` (the order of
            the 2.14 reference's list example).
        simulate_inserts: With ``offset`` pagination, the list behaves as if this many rows
            were inserted ahead of it after every fetch: each page after the first repeats
            the previous page's last ``simulate_inserts`` rows (page ``p`` starts at row
            ``(p - 1) * (per_page - simulate_inserts)``).
        deep_paging_cap: Enforce the deep-paging cap of Intercom's newer list references:
            ``page`` above 5,001 is 400 ``parameter_invalid``; ``page x per_page`` above 10,000
            is 400 ``bad_request`` "page limit reached, please use scroll API". Cursor walks
            (``starting_after`` without ``page``) are not capped.
        max_html_bytes: Page ``html`` longer than this in UTF-8 bytes is 422 ``data_invalid``.
        max_external_id_chars: An ``external_id`` longer than this is 400
            ``parameter_invalid``.
        strict_source_urls: A source ``url`` must be http(s) with a public domain name as
            host (the 2.17 reference's rule): IP addresses, ``localhost``, single-label hosts
            and reserved TLDs (``.internal``, ``.local``, ``.test``, ``.example``,
            ``.invalid``, ``.localhost``...) are 400 ``parameter_invalid``.
        max_request_bytes: A request body larger than this is answered 413 by a "load
            balancer" in front of the API: an HTML body, not Intercom's JSON envelope.
        clear_url_on_update: 2.17's rule: an update that omits ``url`` clears it (an upsert of
            an existing page, and PUT, which then no longer requires ``url``).
        fail_external_ids: A targeted fault: every POST or PUT whose JSON body names one of
            these ``external_id`` values is answered 503 ``service_unavailable`` and changes
            nothing, however often it is retried (one page that fails while the rest succeed).
    """

    tokens: frozenset[str] = field(default=frozenset({DEFAULT_TOKEN}), repr=False)
    latency_ms: float = 0
    latency_jitter_ms: float = 0
    rate_limit: int | None = None
    window_seconds: float = 10
    fault_5xx_rate: float = 0
    fault_drop_rate: float = 0
    fault_lost_answer_rate: float = 0
    fault_hang_rate: float = 0
    fault_close_rate: float = 0
    hang_ms: float = 30_000
    fault_storm_rate: float = 0
    storm_calls: int = 20
    seed: int | None = None
    db_path: Path | None = None
    per_page: int = 50
    pagination: str = "pages"
    list_order: str = "oldest_first"
    simulate_inserts: int = 0
    deep_paging_cap: bool = False
    max_html_bytes: int | None = None
    max_external_id_chars: int | None = None
    strict_source_urls: bool = False
    max_request_bytes: int | None = None
    clear_url_on_update: bool = False
    fail_external_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Accept any iterable of tokens and a str path, but store the declared types.
        object.__setattr__(self, "tokens", frozenset(self.tokens))
        if isinstance(self.fail_external_ids, list | tuple | frozenset | set):
            object.__setattr__(self, "fail_external_ids", tuple(self.fail_external_ids))
        if self.db_path is not None:
            object.__setattr__(self, "db_path", Path(self.db_path))
        problems = self._problems() + self._mode_problems()
        if problems:
            raise ValueError("invalid EmulatorSettings: " + "; ".join(problems))

    def _problems(self) -> list[str]:
        problems: list[str] = []
        if not self.tokens or any(not isinstance(t, str) or not t.strip() for t in self.tokens):
            problems.append("tokens must hold at least one non-blank string")
        for name in ("latency_ms", "latency_jitter_ms", "hang_ms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not (
                isinstance(value, int | float) and math.isfinite(value) and value >= 0
            ):
                problems.append(f"{name} must be >= 0, got {value!r}")
        if self.rate_limit is not None and not _is_count(self.rate_limit, 1):
            problems.append(f"rate_limit must be >= 1 or None, got {self.rate_limit!r}")
        if not (
            isinstance(self.window_seconds, int | float)
            and math.isfinite(self.window_seconds)
            and self.window_seconds > 0
        ):
            problems.append(f"window_seconds must be > 0, got {self.window_seconds!r}")
        rates = [*_FAULT_RATES, "fault_storm_rate"]
        bad = [name for name in rates if not _is_fraction(getattr(self, name))]
        problems += [f"{name} must be between 0 and 1, got {getattr(self, name)!r}" for name in bad]
        if not bad and sum(getattr(self, name) for name in _FAULT_RATES) > 1:
            problems.append(" + ".join(_FAULT_RATES) + " must not exceed 1")
        if self.seed is not None and (
            isinstance(self.seed, bool) or not isinstance(self.seed, int)
        ):
            problems.append(f"seed must be an integer or None, got {self.seed!r}")
        if not _is_count(self.storm_calls, 1):
            problems.append(f"storm_calls must be >= 1, got {self.storm_calls!r}")
        if not (_is_count(self.per_page, 1) and self.per_page <= MAX_PER_PAGE):
            problems.append(f"per_page must be between 1 and {MAX_PER_PAGE}, got {self.per_page!r}")
        return problems

    def _mode_problems(self) -> list[str]:
        problems: list[str] = []
        if self.pagination not in PAGINATION_MODES:
            problems.append(
                f"pagination must be one of {PAGINATION_MODES}, got {self.pagination!r}"
            )
        if self.list_order not in LIST_ORDERS:
            problems.append(f"list_order must be one of {LIST_ORDERS}, got {self.list_order!r}")
        if not _is_count(self.simulate_inserts, 0):
            problems.append(f"simulate_inserts must be >= 0, got {self.simulate_inserts!r}")
        elif self.simulate_inserts and self.pagination != "offset":
            problems.append("simulate_inserts needs pagination 'offset' (cursors are immune)")
        for name in ("max_html_bytes", "max_external_id_chars", "max_request_bytes"):
            value = getattr(self, name)
            if value is not None and not _is_count(value, 1):
                problems.append(f"{name} must be >= 1 or None, got {value!r}")
        for name in ("deep_paging_cap", "strict_source_urls", "clear_url_on_update"):
            if not isinstance(getattr(self, name), bool):
                problems.append(f"{name} must be true or false, got {getattr(self, name)!r}")
        ids = self.fail_external_ids
        if not isinstance(ids, tuple) or not all(isinstance(i, str) and i for i in ids):
            problems.append(f"fail_external_ids must be a list of non-empty strings, got {ids!r}")
        return problems

    @property
    def primary_token(self) -> str:
        """The token clients should use: the default one if accepted, else the first in order."""
        return DEFAULT_TOKEN if DEFAULT_TOKEN in self.tokens else min(self.tokens)

    def changed(self, changes: Mapping[str, Any]) -> EmulatorSettings:
        """Return a copy with ``changes`` applied (values as JSON gives them).

        Raises:
            ValueError: An unknown or fixed key, or a value the settings refuse (each named).
        """
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        fixed = sorted(set(changes) & FIXED_SETTINGS)
        if unknown:
            raise ValueError(f"unknown emulator settings: {', '.join(unknown)}")
        if fixed:
            raise ValueError(f"settings fixed at start: {', '.join(fixed)}")
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        """Every setting but the tokens, as ``GET /_emulator/settings`` shows them."""
        shown = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "tokens"}
        shown["db_path"] = None if self.db_path is None else str(self.db_path)
        return shown


def parse_setting(name: str, raw: str) -> Any:
    """Turn ``raw`` text (a CLI ``--set`` value) into the type of setting ``name``.

    Raises:
        ValueError: Unknown or fixed name, or text that is not of the setting's type.
    """
    defaults = EmulatorSettings()
    if name not in SETTING_HELP or name in FIXED_SETTINGS:
        raise ValueError(f"unknown or fixed emulator setting {name!r}")
    text = raw.strip()
    if text.lower() in ("none", "null", ""):
        return None
    current = getattr(defaults, name)
    if isinstance(current, tuple):
        return tuple(part.strip() for part in text.split(",") if part.strip())
    if isinstance(current, bool):
        if text.lower() not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
            raise ValueError(f"{name} must be true or false, got {raw!r}")
        return text.lower() in ("true", "1", "yes", "on")
    if isinstance(current, str):
        return text
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    return int(number) if number.is_integer() and not isinstance(current, float) else number


def setting_overrides(pairs: list[str]) -> dict[str, Any]:
    """Turn ``KEY=VALUE`` texts (``ingestor emulator --set``) into typed setting changes.

    Raises:
        ValueError: A text without ``=``, an unknown or fixed key, or a value of the wrong type.
    """
    changes: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep:
            raise ValueError(f"--set {pair!r}: expected KEY=VALUE")
        changes[name.strip()] = parse_setting(name.strip(), raw)
    return changes
