"""Edits a person makes to an exported or shared page, for the kit's ``mutate`` hooks."""

from __future__ import annotations

import re

#: What every edit adds: a sentence no fixture holds.
EDIT = "Edited by the connector contract check."


def edit_page_bytes(name: str, data: bytes) -> bytes:
    """``data`` of the page file ``name`` with :data:`EDIT` added where its text is."""
    text = data.decode("utf-8")
    if name.endswith((".html", ".htm")):
        main = re.search(r'<div id="main-content"[^>]*>', text)  # a Confluence export page
        if main is not None:
            return (text[: main.end()] + f"<p>{EDIT}</p>" + text[main.end() :]).encode()
        edited, count = re.subn(r"</body>", f"<p>{EDIT}</p></body>", text, count=1)
        assert count == 1, f"{name}: no <body> to edit"
        return edited.encode()
    return (text.rstrip("\n") + f"\n\n{EDIT}\n").encode()
