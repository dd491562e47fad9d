"""Times as people read them: "5 minutes ago" ("il y a 5 minutes"), with the exact time in
their own time zone on hover, localised with Babel. Templates call ``when(dt)``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime, format_timedelta
from markupsafe import Markup, escape
from starlette.requests import HTTPConnection

from ..db import utcnow
from ..i18n import language, translations
from .context import current_user, runtime


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


@lru_cache(maxsize=4096)
def _exact(moment: datetime, zone: ZoneInfo, locale: str) -> str:
    """The local date and time, as Babel writes it (kept: a page shows the same items'
    times to every reader, and Babel's formatting was a tenth of a stream page)."""
    return format_datetime(moment, "medium", tzinfo=zone, locale=locale)


@lru_cache(maxsize=4096)
def _relative(seconds: int, locale: str) -> str:
    """How a moment ``seconds`` from now reads ("5 minutes ago" when negative), in ``locale``."""
    return format_timedelta(
        timedelta(seconds=seconds), add_direction=True, threshold=0.9, locale=locale
    )


def time_zone(conn: HTTPConnection) -> ZoneInfo:
    """The reader's zone: their profile's, else the site's, else UTC."""
    user = current_user(conn)
    chosen = getattr(user, "time_zone", "") if user is not None else ""
    return _zone(chosen) or _zone(runtime(conn).settings.time_zone) or ZoneInfo("UTC")


def day(conn: HTTPConnection, moment: datetime, *, end: bool = False) -> str:
    """The reader's local date of ``moment`` ("7 Dec 2026"); with ``end``, of the instant
    before it (a period that ends at midnight ends on the day before)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if end:
        moment -= timedelta(microseconds=1)
    return format_date(moment.astimezone(time_zone(conn)).date(), "medium", locale=language(conn))


def when(conn: HTTPConnection, moment: datetime | None, *, relative: bool = True) -> Markup:
    """A ``<time>`` element: relative text ("5 minutes ago"), the exact local time in its
    ``title`` and ISO 8601 in ``datetime``; with ``relative=False`` the local date and time."""
    if moment is None:
        return Markup("")
    if moment.tzinfo is None:  # stored naive means UTC (rse_core.db.UTCDateTime)
        moment = moment.replace(tzinfo=UTC)
    locale = language(conn)
    exact = _exact(moment, time_zone(conn), locale)
    if relative:
        seconds = int((moment - utcnow()).total_seconds())
        if abs(seconds) >= 3600:  # "2 hours ago" reads the same all minute long
            seconds -= seconds % 60
        if -60 < seconds <= 0:  # Babel says "in 0 seconds" for what was written this instant
            shown = translations(locale).gettext("just now")
        else:
            shown = _relative(seconds, locale)
    else:
        shown = exact
    # escape() in an f-string, not Markup.format (string.Formatter): a stream page calls this
    # for every entry.
    return Markup(
        f'<time datetime="{escape(moment.isoformat())}" title="{escape(exact)}">'
        f"{escape(shown)}</time>"
    )
