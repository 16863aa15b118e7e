"""Schedules of connectors: when the daemon syncs each one (``ingestor sync`` ignores them).

Durations (``30s``, ``15m``, ``1h30m``) and 5-field crontab lines, validated when the YAML
loads so a typo is a config error with its line, not a daemon that never runs.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

__all__ = [
    "DeletionMode",
    "Duration",
    "HideFor",
    "Schedule",
    "crontab_fields",
    "format_duration",
    "parse_duration",
]

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
#: The longest duration any setting accepts: a year, leap day included. Longer is a typo (and
#: 10^20 days overflows timedelta), so it is a config error with its line, never a traceback.
MAX_DURATION = timedelta(days=366)


def parse_duration(value: str) -> timedelta:
    """``"30m"``, ``"1h30m"``, ``"45s"``, ``"2d"``, ``"500ms"`` as a timedelta.

    Raises:
        ValueError: The text is not a sequence of number+unit parts.
    """
    text = value.strip().lower().replace(" ", "")
    parts = _DURATION_PART.findall(text)
    if not text or "".join(number + unit for number, unit in parts) != text:
        raise ValueError(f"{value!r} is not a duration; write e.g. 30s, 15m, 2h, 1h30m or 1d")
    seconds = sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)
    return _bounded(seconds)


def _bounded(seconds: float) -> timedelta:
    """``seconds`` as a timedelta, or ValueError past :data:`MAX_DURATION` (or not finite)."""
    limit = MAX_DURATION.total_seconds()
    if not -limit <= seconds <= limit:  # also catches inf and nan
        raise ValueError(
            "must be longer than 0s"
            if seconds < 0
            else f"must be at most {MAX_DURATION.days}d (a year)"
        )
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The shortest text :func:`parse_duration` reads back: ``1h30m``, ``45s``, ``1.5s``."""
    seconds = value.total_seconds()
    if seconds <= 0 or seconds != int(seconds):
        return f"{seconds:g}s"
    out, rest = "", int(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            out += f"{rest // size}{unit}"
            rest %= size
    return out


def _duration_input(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 15m or 2h, not true/false")
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, int | float):  # seconds
        return _bounded(float(value))
    return value


def _positive(value: timedelta) -> timedelta:
    if value.total_seconds() <= 0:
        raise ValueError("must be longer than 0s")
    return value


#: A positive length of time: ``30s``, ``15m``, ``2h``, ``1d``, ``1h30m`` or a number of seconds.
Duration = Annotated[timedelta, BeforeValidator(_duration_input), AfterValidator(_positive)]

#: What happens to a page that vanished from its source (docs/deletion.md).
DeletionMode = Literal["hide", "delete"]
#: How long a vanished page stays hidden before it is deleted. Bounded like every Duration (a
#: year): past that, a typo (``700d``) would keep pages nobody remembers in Intercom.
HideFor = Duration


def _weekday(token: str) -> int:
    if token.isdigit() and 0 <= int(token) <= 7:
        return int(token)
    if token.lower() in _WEEKDAYS:
        return _WEEKDAYS.index(token.lower())
    raise ValueError(f"weekday {token!r} must be 0-7 (0 and 7 are Sunday) or sun-sat")


def _cron_weekdays(text: str) -> str:
    """A crontab weekday field (0 = Sunday) as APScheduler 3 names (its 0 is Monday)."""
    if text in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in text.split(","):
        base, slash, step_text = part.partition("/")
        if slash and not (step_text.isdigit() and int(step_text) > 0):
            raise ValueError(f"weekday step {step_text!r} must be a positive number")
        step = int(step_text) if slash else 1
        if base == "*":
            low, high = 0, 6
        elif "-" in base:
            first, last = base.split("-", 1)
            low, high = _weekday(first), _weekday(last)
        else:
            low = _weekday(base)
            high = 7 if slash else low
        if low > high:
            raise ValueError(f"weekday range {base!r} runs backwards")
        days.update(day % 7 for day in range(low, high + 1, step))
    return ",".join(_WEEKDAYS[day] for day in sorted(days))


def crontab_fields(expression: str) -> dict[str, str]:
    """A 5-field crontab line as APScheduler ``CronTrigger`` keyword arguments.

    Weekdays keep crontab's meaning (0 and 7 are Sunday), which APScheduler 3's own
    ``from_crontab`` does not.

    Raises:
        ValueError: Not five fields, or a bad weekday field.
    """
    values = expression.split()
    if len(values) != 5:
        raise ValueError(
            f"a cron expression has 5 fields (minute hour day month weekday), got {len(values)}"
        )
    minute, hour, day, month, weekday = values
    return {
        "minute": minute,
        "hour": hour,
        "day": day,
        "month": month,
        "day_of_week": _cron_weekdays(weekday),
    }


class Schedule(BaseModel):
    """When the daemon syncs a connector: every fixed interval, or on a cron expression."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    every: Duration | None = Field(
        default=None,
        description="Interval between runs: 30s, 15m, 2h, 1d, 1h30m (sub-minute allowed).",
    )
    cron: str | None = Field(
        default=None,
        description="Crontab line 'minute hour day month weekday', e.g. '0 */2 * * *' "
        "(weekday 0 or 7 is Sunday; when day and weekday are both set, both must match).",
    )
    timezone: str | None = Field(
        default=None,
        description="IANA time zone the cron expression is read in, e.g. Europe/Paris "
        "(cron only). Default: UTC.",
    )
    jitter: Duration | None = Field(
        default=None,
        description="Each run starts up to this much later, at random, to spread load.",
    )

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, cron: str | None) -> str | None:
        if cron is None:
            return None
        from apscheduler.triggers.cron import CronTrigger  # only configs with cron pay for it

        try:
            trigger = CronTrigger(**crontab_fields(cron), timezone="UTC")
        except ValueError as exc:
            raise ValueError(f"invalid cron expression {cron!r}: {exc}") from None
        if trigger.get_next_fire_time(None, datetime.now(UTC)) is None:
            # e.g. '0 0 31 2 *' or '0 9 31 4 *': valid fields, but no such date, ever
            raise ValueError(
                f"cron expression {cron!r} never fires: no date matches its day and month"
            )
        return " ".join(cron.split())

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str | None) -> str | None:
        if name is None:
            return None
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {name!r}; use an IANA name such as Europe/Paris"
            ) from None
        return name

    @model_validator(mode="after")
    def _one_kind(self) -> Schedule:
        if (self.every is None) == (self.cron is None):
            raise ValueError("give exactly one of every (e.g. 30m) or cron (e.g. '0 */2 * * *')")
        if self.timezone is not None and self.cron is None:
            raise ValueError("timezone applies to cron schedules only")
        return self

    def describe(self) -> str:
        """``every 30m`` or ``cron 0 */2 * * * (Europe/Paris)``, plus jitter."""
        if self.every is not None:
            text = f"every {format_duration(self.every)}"
        else:
            text = f"cron {self.cron} ({self.timezone or 'UTC'})"
        return text + (f", jitter {format_duration(self.jitter)}" if self.jitter else "")
