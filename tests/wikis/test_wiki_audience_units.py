"""The pure parts of the wiki connectors' audience facts: namespace and category values."""

from __future__ import annotations

import pytest

from ingestor.connectors.dokuwiki._acl import namespace_facts
from ingestor.connectors.mediawiki._audience import category_facts, namespace_of, namespace_table
from ingestor.errors import ConnectorError

#: A German wiki's ``meta=siteinfo&siprop=namespaces|namespacealiases`` (formatversion 2),
#: trimmed to the namespaces these tests use.
GERMAN_SITEINFO = {
    "namespaces": {
        "0": {"id": 0, "case": "first-letter", "name": "", "content": True},
        "4": {"id": 4, "case": "first-letter", "name": "Firmenwiki", "canonical": "Project"},
        "12": {"id": 12, "case": "first-letter", "name": "Hilfe", "canonical": "Help"},
        "3000": {"id": 3000, "case": "first-letter", "name": "Intern", "canonical": "Intern"},
    },
    "namespacealiases": [{"id": 4, "alias": "WP"}, {"id": 12, "alias": "H"}],
}


@pytest.mark.parametrize(
    ("title", "facts"),
    [
        ("Hilfe:Anmelden", ("Help", "Hilfe", "12")),
        ("help:Anmelden", ("Help", "Hilfe", "12")),  # canonical names work too, any case
        ("H:Anmelden", ("Help", "Hilfe", "12")),  # aliases
        ("Firmenwiki:Regeln", ("Project", "Firmenwiki", "4")),
        ("Intern:Runbook", ("Intern", "3000")),  # local = canonical: once
        ("Anmelden", ("(Main)", "0")),
        ("Fehler: 404", ("(Main)", "0")),  # a colon but no namespace prefix
    ],
)
def test_namespace_of_a_title(title: str, facts: tuple[str, ...]) -> None:
    table = namespace_table(GERMAN_SITEINFO, "wiki")
    assert namespace_of(table, title).facts == facts


def test_siteinfo_without_namespaces_is_an_error_naming_the_wiki() -> None:
    with pytest.raises(ConnectorError, match="mediawiki 'x': siteinfo gave no namespaces"):
        namespace_table({}, "mediawiki 'x'")


def test_categories_are_bare_names_with_spaces_hidden_ones_kept() -> None:
    parsed = [
        {"sortkey": "", "category": "Customer_FAQ"},
        {"sortkey": "", "category": "Internal_only", "hidden": True},
        {"sortkey": "", "category": "Customer_FAQ"},
        {"sortkey": ""},
        "junk",
    ]
    assert category_facts(parsed) == ("Customer FAQ", "Internal only")


@pytest.mark.parametrize(
    ("page_id", "facts"),
    [
        ("start", ("(root)",)),
        ("support:login", ("support",)),
        ("internal:hr:leave", ("internal:hr", "internal")),
    ],
)
def test_dokuwiki_namespace_facts(page_id: str, facts: tuple[str, ...]) -> None:
    assert namespace_facts(page_id) == facts
