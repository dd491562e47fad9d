"""Who did something, as a stream entry says it: "Bruno", "Bruno and Alice", "Bruno and 3
others" (the others' names on hover). Templates call ``who(entry)``."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape
from starlette.requests import HTTPConnection

from ..i18n import template_callables


# Written with escape() in f-strings, not Markup.format: this runs for every stream entry and
# Markup.format goes through string.Formatter, ~3 times slower (bench/profile_page.py).
def _person(username: str, name: str) -> Markup:
    return Markup(f'<a href="/people/{escape(username)}"><strong>{escape(name)}</strong></a>')


def who(conn: HTTPConnection, entry: Any) -> Markup:
    """The actor of a (folded) stream entry and the others who did the same, linked."""
    first = _person(entry.actor.username, entry.actor.display_name)
    if not entry.others_count:
        return first
    t = template_callables(conn)
    if entry.others_count == 1:
        return Markup(f"{first} {escape(t['_']('and'))} {_person(*entry.others[0])}")
    names = ", ".join(name for _username, name in entry.others)
    if entry.others_count > len(entry.others):
        names += "…"
    count = t["ngettext"]("%(num)d other", "%(num)d others", entry.others_count) % {
        "num": entry.others_count
    }
    and_ = escape(t["_"]("and"))
    return Markup(
        f'{first} {and_} <span class="others" title="{escape(names)}">{escape(count)}</span>'
    )
