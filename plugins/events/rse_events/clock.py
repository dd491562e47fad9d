"""Event times as a reader reads them: in their zone and language (Babel)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

DASH = "\u2013"  # an en dash between two times


@lru_cache(maxsize=4096)
def _day(day: date, locale: str, form: str) -> str:
    return format_date(day, form, locale=locale)


@lru_cache(maxsize=4096)
def _time(moment: datetime, zone: ZoneInfo, locale: str) -> str:
    return format_time(moment, "short", tzinfo=zone, locale=locale)


@dataclass(frozen=True)
class Clock:
    """Formats UTC moments (stored naive) for one reader."""

    zone: ZoneInfo
    locale: str

    def local(self, moment: datetime) -> datetime:
        """A stored UTC moment on the reader's clock."""
        return moment.replace(tzinfo=UTC).astimezone(self.zone)

    def day_of(self, moment: datetime, all_day: bool = False) -> date:
        """The reader's day a moment falls on (an all-day event's: its own date)."""
        return moment.date() if all_day else self.local(moment).date()

    def day(self, day: date, form: str = "full") -> str:
        """ "Tuesday, December 1, 2026" (``form``: Babel's full, long, medium or a pattern)."""
        return _day(day, self.locale, form)

    def time(self, moment: datetime) -> str:
        """ "10:00" on the reader's clock."""
        return _time(moment.replace(tzinfo=UTC), self.zone, self.locale)

    def span(self, starts_at: datetime, ends_at: datetime, all_day: bool) -> str:
        """When an occurrence takes place: "Tue, Dec 1, 10:00 to 11:00", "Dec 24 to 26"
        (an en dash where "to" is written here)."""
        if all_day:
            first, last = starts_at.date(), ends_at.date() - timedelta(days=1)
            if first >= last:
                return self.day(first, "medium")
            return f"{self.day(first, 'medium')} {DASH} {self.day(last, 'medium')}"
        start_day, end_day = self.day_of(starts_at), self.day_of(ends_at)
        head = f"{self.day(start_day, 'EEE d MMM y')}, {self.time(starts_at)}"
        if start_day == end_day:
            return f"{head} {DASH} {self.time(ends_at)}"
        return f"{head} {DASH} {self.day(end_day, 'EEE d MMM y')}, {self.time(ends_at)}"

    def input_value(self, moment: datetime | None, zone: ZoneInfo | None = None) -> str:
        """A ``datetime-local`` field's value (on ``zone``'s clock, else the reader's)."""
        if moment is None:
            return ""
        return moment.replace(tzinfo=UTC).astimezone(zone or self.zone).strftime("%Y-%m-%dT%H:%M")
