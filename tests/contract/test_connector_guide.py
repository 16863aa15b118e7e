"""docs/writing-a-connector.md's example connector and its contract test, run as written.

The guide's two code blocks (``# acme_articles.py`` and ``# tests/test_articles_contract.py``)
are executed as modules and the kit is run over them, so the page cannot drift from the
interface or from the kit.
"""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingestor.connectors.testkit import check_contract

GUIDE = Path(__file__).parents[2] / "docs" / "writing-a-connector.md"


def guide_block(first_line: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.DOTALL)
    [block] = [b for b in blocks if b.startswith(first_line + "\n")]
    return str(block)


@pytest.fixture
def guide_modules() -> Iterator[types.ModuleType]:
    """The guide's connector as module ``acme_articles``, and its test module."""
    connector = types.ModuleType("acme_articles")
    sys.modules["acme_articles"] = connector
    try:
        exec(compile(guide_block("# acme_articles.py"), str(GUIDE), "exec"), vars(connector))
        test_module = types.ModuleType("guide_articles_contract")
        source = guide_block("# tests/test_articles_contract.py")
        exec(compile(source, str(GUIDE), "exec"), vars(test_module))
        yield test_module
    finally:
        del sys.modules["acme_articles"]


def test_the_guides_connector_keeps_the_contract(
    guide_modules: types.ModuleType, tmp_path: Path
) -> None:
    check_contract(guide_modules.ArticlesSource(tmp_path))


def test_the_guides_connector_reports_a_broken_article_by_name(
    guide_modules: types.ModuleType, tmp_path: Path
) -> None:
    from ingestor.errors import ConnectorError

    source = guide_modules.ArticlesSource(tmp_path)
    (source.folder / "2.json").write_text("{not json", encoding="utf-8")
    with source.connect() as connector:
        [item] = [i for i in connector.list() if i.external_id == "2"]
        with pytest.raises(ConnectorError, match=r"2\.json: not an article"):
            connector.fetch(item)


def test_the_guides_settings_load_from_yaml_with_line_numbers(
    guide_modules: types.ModuleType, tmp_path: Path
) -> None:
    from ingestor.config import load_config
    from ingestor.errors import ConfigError

    connector_class = sys.modules["acme_articles"].ArticlesConnector
    (tmp_path / "export").mkdir()
    config = tmp_path / "config.yaml"
    config.write_text(
        "intercom:\n  token: ${TOKEN}\nstate:\n  path: state.db\nconnectors:\n"
        "  - name: articles\n    type: acme_articles\n    url: https://desk.acme.example/\n"
        "    path: export\n",
        encoding="utf-8",
    )
    classes = {"acme_articles": connector_class}
    loaded = load_config(config, environ={"TOKEN": "t" * 20}, connector_classes=classes)
    [settings] = loaded.connectors
    assert settings.path == tmp_path / "export"  # relative to the config file's folder

    config.write_text(config.read_text(encoding="utf-8") + "    colour: blue\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config\.yaml:10.*colour"):
        load_config(config, environ={"TOKEN": "t" * 20}, connector_classes=classes)
