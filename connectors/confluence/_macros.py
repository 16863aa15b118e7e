"""Macro leftovers in rendered Confluence pages (pure: no I/O, same input, same output).

* Emoticons and emoji become the emoji itself, never a ``:name:`` code or an icon url. Cloud
  writes ``data-emoji-id`` (hex code points such as ``1f600`` or ``1f1eb-1f1f7``, or an
  Atlassian id such as ``atlassian-check_mark``), ``data-emoji-shortname`` (``:check_mark:``)
  and ``data-emoji-fallback`` (the emoji, or the short name for Atlassian's own); Data Center
  writes ``data-emoticon-name="tick"`` and an ``emoticon-tick`` class; storage uses
  ``ac:name``. An emoji none of these name (a site's custom emoji) is removed.
* A single Jira issue macro (``span.confluence-jim-macro.jira-issue``) is rendered by a script
  in the browser: the API answers "KEY - Getting issue details... STATUS". The placeholders
  are dropped and the key kept, linked to the issue when the markup has its url; a rendered
  summary and status (space exports) are kept.
* Excerpt-include macros are unwrapped: the included excerpt stays, the panel around it (a
  header with the source page's title) goes.
"""

from __future__ import annotations

import re
from typing import Any, TypeAlias

import lxml.html  # type: ignore[import-untyped,unused-ignore]  # lxml ships no stubs

__all__ = ["emoji_text", "is_emoji", "rewrite_jira_issues", "unwrap_excerpt_includes"]

Element: TypeAlias = Any  # lxml.html.HtmlElement; lxml ships no stubs

#: Classic emoticon names (``ac:name``, ``data-emoticon-name``, ``emoticon-*`` classes) and the
#: emoji Atlassian's editor converts them to (adf-schema ``acNameToEmojiMap``).
EMOTICON_EMOJI = {
    "smile": "\U0001f642",
    "sad": "\U0001f641",
    "cheeky": "\U0001f61b",
    "laugh": "\U0001f600",
    "wink": "\U0001f609",
    "information": "\u2139\ufe0f",
    "tick": "\u2705",
    "cross": "\u274c",
    "warning": "\u26a0\ufe0f",
    "plus": "\u2795",
    "minus": "\u2796",
    "question": "\u2753",
    "thumbs-up": "\U0001f44d",
    "thumbs-down": "\U0001f44e",
    "light-on": "\U0001f4a1",
    "light-off": "\U0001f4a1",
    "yellow-star": "\u2b50",
    "red-star": "\u2b50",
    "green-star": "\u2b50",
    "blue-star": "\u2b50",
    "heart": "\u2764\ufe0f",
    "broken-heart": "\U0001f494",
}

#: Atlassian's own emoji (``data-emoji-id="atlassian-<name>"``, short name ``:<name>:``), as
#: listed by Atlassian's editor (``atlassian-check_mark`` ... ``atlassian-flag_off``), each
#: with the closest Unicode emoji.
ATLASSIAN_EMOJI = {
    "info": "\u2139\ufe0f",
    "check_mark": "\u2705",
    "cross_mark": "\u274c",
    "warning": "\u26a0\ufe0f",
    "plus": "\u2795",
    "minus": "\u2796",
    "question_mark": "\u2753",
    "question": "\u2753",
    "light_bulb_on": "\U0001f4a1",
    "light_bulb_off": "\U0001f4a1",
    "yellow_star": "\u2b50",
    "red_star": "\u2b50",
    "green_star": "\u2b50",
    "blue_star": "\u2b50",
    "flag_on": "\U0001f6a9",
    "flag_off": "\U0001f3f3\ufe0f",
    "thumbsup": "\U0001f44d",
    "thumbsdown": "\U0001f44e",
    "slight_smile": "\U0001f642",
    "slight_frown": "\U0001f641",
    "stuck_out_tongue": "\U0001f61b",
    "grinning": "\U0001f600",
    "wink": "\U0001f609",
    "heart": "\u2764\ufe0f",
    "broken_heart": "\U0001f494",
}

# Unicode emoji ids: 4-6 hex digits per code point ("1f600", "1f1eb-1f1f7", "0023-fe0f-20e3");
# custom emoji have UUIDs, whose first part has 8.
_CODEPOINTS = re.compile(r"^[0-9a-f]{4,6}(?:-[0-9a-f]{4,6})*$")
_SHORTNAME = re.compile(r"^:[\w+-]+:$")
_PLACEHOLDER_SUMMARY = "getting issue details"


def _classes(element: Element) -> list[str]:
    return (element.get("class") or "").split()


def is_emoji(element: Element) -> bool:
    """Whether an ``<img>`` or ``<span>`` is an emoticon or emoji (not content)."""
    if element.get("data-emoji-id") or element.get("data-emoji-shortname"):
        return True
    return element.tag == "img" and (
        "emoticon" in _classes(element) or bool(element.get("data-emoticon-name"))
    )


def _from_codepoints(emoji_id: str) -> str:
    if not _CODEPOINTS.match(emoji_id):
        return ""
    try:
        return "".join(chr(int(cp, 16)) for cp in emoji_id.split("-"))
    except ValueError:  # beyond U+10FFFF
        return ""


def _from_name(name: str) -> str:
    name = name.strip().strip(":").lower()
    return ATLASSIAN_EMOJI.get(name) or EMOTICON_EMOJI.get(name) or ""


def emoji_text(element: Element) -> str:
    """The emoji an emoticon element stands for; "" when it names none (never ``:name:``)."""
    emoji_id = (element.get("data-emoji-id") or "").strip().lower()
    found = _from_codepoints(emoji_id)
    if not found and emoji_id.startswith("atlassian-"):
        found = ATLASSIAN_EMOJI.get(emoji_id.removeprefix("atlassian-"), "")
    fallback = (element.get("data-emoji-fallback") or "").strip()
    if not found and fallback and not _SHORTNAME.match(fallback):
        found = fallback  # Unicode emoji carry themselves as the fallback
    for name in (element.get("data-emoji-shortname"), fallback):
        if not found and name:
            found = _from_name(name)
    # Data Center: the name in data-emoticon-name or ac:name, and in the class "emoticon-smile"
    names = [element.get("data-emoticon-name"), element.get("ac:name")]
    names += [c[9:] for c in _classes(element) if c.startswith("emoticon-")]
    for name in names:
        if not found and name:
            found = EMOTICON_EMOJI.get(name.strip().lower(), "")
    if not found:
        alt = (element.get("alt") or "").strip()
        found = _from_name(alt.strip("()")) if alt else ""
    return found


def _new(tag: str, text: str | None = None) -> Element:
    element: Element = lxml.html.Element(tag)
    element.text = text
    return element


def _replace(old: Element, new: Element) -> None:
    new.tail = old.tail
    parent = old.getparent()
    if parent is not None:
        parent.replace(old, new)


def _text(element: Element | None) -> str:
    return " ".join(str(element.text_content()).split()) if element is not None else ""


def rewrite_jira_issues(root: Element) -> None:
    """Each single Jira issue macro as its key (linked), plus a rendered summary and status."""
    for macro in list(root.xpath(".//*[contains(@class, 'confluence-jim-macro')]")):
        classes = _classes(macro)
        if "confluence-jim-macro" not in classes or "jira-issue" not in classes:
            continue  # issue tables and charts render their own content
        link = next(iter(macro.xpath(".//a[contains(@class, 'jira-issue-key')]")), None)
        key = (macro.get("data-jira-key") or macro.get("jira-key") or _text(link)).strip()
        if not key:
            continue
        placeholder = bool(macro.xpath(".//*[contains(@class, 'issue-placeholder')]"))
        summary = _text(next(iter(macro.xpath(".//*[contains(@class, 'summary')]")), None))
        if summary.lower().startswith(_PLACEHOLDER_SUMMARY):
            placeholder = True
        status = _text(next(iter(macro.xpath(".//*[contains(@class, 'aui-lozenge')]")), None))
        out = _new("span")
        href = (link.get("href") or "").strip() if link is not None else ""
        anchor = _new("a", key) if href else None
        if anchor is not None:
            anchor.set("href", href)
            out.append(anchor)
        else:
            out.text = key
        if not placeholder:
            extra = (f" - {summary}" if summary else "") + (f" ({status})" if status else "")
            if anchor is not None:
                anchor.tail = extra
            else:
                out.text += extra
        _replace(macro, out)


def unwrap_excerpt_includes(root: Element) -> None:
    """Keep an included excerpt's content; drop the panel and its source-title header."""
    for macro in reversed(root.xpath(".//*[@data-macro-name='excerpt-include']")):
        content = next(iter(macro.xpath("./*[contains(@class, 'panelContent')]")), macro)
        block = _new("div")
        block.text = content.text
        for child in list(content):
            if "panelHeader" in _classes(child):
                continue
            block.append(child)
        _replace(macro, block)
