"""Who did something, as a stream entry says it: "Bruno", "Bruno and Alice", "Bruno and 3
others" (the others' names on hover). Templates call ``who(entry)``."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from starlette.requests import HTTPConnection

from ..i18n import template_callables


def _person(username: str, name: str) -> Markup:
    return Markup('<a href="/people/{}"><strong>{}</strong></a>').format(username, name)


def who(conn: HTTPConnection, entry: Any) -> Markup:
    """The actor of a (folded) stream entry and the others who did the same, linked."""
    first = _person(entry.actor.username, entry.actor.display_name)
    if not entry.others_count:
        return first
    t = template_callables(conn)
    if entry.others_count == 1:
        return Markup("{} {} {}").format(first, t["_"]("and"), _person(*entry.others[0]))
    names = ", ".join(name for _username, name in entry.others)
    if entry.others_count > len(entry.others):
        names += "…"
    count = t["ngettext"]("%(num)d other", "%(num)d others", entry.others_count) % {
        "num": entry.others_count
    }
    return Markup('{} {} <span class="others" title="{}">{}</span>').format(
        first, t["_"]("and"), names, count
    )
