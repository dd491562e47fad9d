"""Times as people read them: "5 minutes ago" ("il y a 5 minutes"), with the exact time in
their own time zone on hover, localised with Babel. Templates call ``when(dt)``."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime, format_timedelta
from markupsafe import Markup, escape
from starlette.requests import HTTPConnection

from ..db import utcnow
from ..i18n import language
from .context import current_user, runtime


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def time_zone(conn: HTTPConnection) -> ZoneInfo:
    """The reader's zone: their profile's, else the site's, else UTC."""
    user = current_user(conn)
    chosen = getattr(user, "time_zone", "") if user is not None else ""
    return _zone(chosen) or _zone(runtime(conn).settings.time_zone) or ZoneInfo("UTC")


def when(conn: HTTPConnection, moment: datetime | None, *, relative: bool = True) -> Markup:
    """A ``<time>`` element: relative text ("5 minutes ago"), the exact local time in its
    ``title`` and ISO 8601 in ``datetime``; with ``relative=False`` the local date and time."""
    if moment is None:
        return Markup("")
    if moment.tzinfo is None:  # stored naive means UTC (rse_core.db.UTCDateTime)
        moment = moment.replace(tzinfo=UTC)
    locale = language(conn)
    exact = format_datetime(moment, "medium", tzinfo=time_zone(conn), locale=locale)
    if relative:
        shown = format_timedelta(
            moment - utcnow(), add_direction=True, threshold=0.9, locale=locale
        )
    else:
        shown = exact
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        moment.isoformat(), exact, escape(shown)
    )
