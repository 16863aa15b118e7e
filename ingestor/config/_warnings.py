"""What a valid config may still get wrong, for ``ingestor validate`` to warn about: two
connectors reading the same files (every page would be published twice), and a source url
that newer Intercom API versions refuse (Intercom's API reference, version 2.17, Content Import
Sources: the url "must be an
http or https URL whose host is a valid public domain name"; the rule is
:mod:`ingestor.public_urls`, which the emulator's ``strict_source_urls`` mode shares)."""

from __future__ import annotations

from pathlib import Path

from ingestor.config._models import Config
from ingestor.errors import ConfigError, ConfigIssue
from ingestor.public_urls import public_url_problem

__all__ = ["config_warnings", "validation_warnings"]


def config_warnings(config: Config, filename: str | None = None) -> list[ConfigIssue]:
    """Overlapping local sources and source urls that are not on a public domain name."""
    return [*_overlaps(config, filename), *_urls(config, filename)]


def _overlaps(config: Config, filename: str | None) -> list[ConfigIssue]:
    found: list[ConfigIssue] = []
    sources = [
        (index, c.name, source)
        for index, c in enumerate(config.connectors)
        if (source := c.local_source()) is not None
    ]
    for position, (index, name, path) in enumerate(sources):
        for _other_index, other, other_path in sources[:position]:
            if _within(path, other_path) or _within(other_path, path):
                found.append(
                    ConfigIssue(
                        f"connectors[{index}]",
                        f"{name} and {other} read the same files ({path} / {other_path}): "
                        "every page they share is published twice; narrow one with exclude",
                        file=filename,
                    )
                )
    return found


def _within(inner: Path, outer: Path) -> bool:
    try:
        inner.resolve().relative_to(outer.resolve())
    except ValueError:
        return False
    return True


def _urls(config: Config, filename: str | None) -> list[ConfigIssue]:
    found = []
    for index, connector in enumerate(config.connectors):
        reason = public_url_problem(connector.url)
        if reason is not None:
            found.append(
                ConfigIssue(
                    f"connectors[{index}].url",
                    f"{connector.url}: {reason}; Intercom's newer API versions refuse such a "
                    "source url. It is what Fin cites to customers (it need not be reachable "
                    "by Intercom): prefer your public help site's domain",
                    file=filename,
                )
            )
    return found


def validation_warnings(loaded: Config, config: Path) -> list[ConfigIssue]:
    """Everything ``validate`` warns about: each connector's source problems (a share not
    mounted yet), then :func:`config_warnings`.

    Raises:
        ConfigError: The state database's location is unusable (always an error).
    """
    from ingestor.state import location_problem

    problem = location_problem(loaded.state.path) if loaded.state.url is None else None
    if problem is not None:
        raise ConfigError([ConfigIssue("state.path", problem, file=str(config))])
    return [
        ConfigIssue(
            f"connectors[{index}].{text.split(':', 1)[0]}", text.split(": ", 1)[1], file=str(config)
        )
        for index, settings in enumerate(loaded.connectors)
        for text in settings.source_problems()
    ] + config_warnings(loaded, str(config))
