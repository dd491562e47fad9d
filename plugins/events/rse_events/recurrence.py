"""Recurrence rules (RFC 5545 ``RRULE``): checked, normalised, and expanded by dateutil.

A rule is expanded on the wall clock of the event's own zone, then each occurrence is placed
in that zone (zoneinfo) and stored in UTC: a weekly meeting at 10:00 in Paris stays at 10:00
there when the clocks change. A local time that does not exist that day (the spring gap) is
read with the offset before the gap, as RFC 5545 says (02:30 becomes 03:30).

The grammar accepted is what the event form writes and what calendar programs send for
people's meetings: DAILY, WEEKLY (BYDAY), MONTHLY (BYMONTHDAY, or BYDAY with an ordinal:
"the second Tuesday", "the last Friday"), YEARLY (BYMONTH with BYMONTHDAY or BYDAY), an
INTERVAL, and an end (COUNT or UNTIL). Rules that never happen are refused before they are
expanded, so that no rule makes dateutil walk to the year 9999 looking for one.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from rse_core import Conflict

MAX_OCCURRENCES = 1000
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
ALLOWED = {
    "DAILY": {"INTERVAL", "COUNT", "UNTIL", "WKST"},
    "WEEKLY": {"INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY"},
    "MONTHLY": {"INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY", "BYMONTHDAY"},
    "YEARLY": {"INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY", "BYMONTHDAY", "BYMONTH"},
}
FIELD = "rrule"


def _refuse(message: str) -> Conflict:
    """A rule is text the API's document cannot check: what is wrong with it is a 409 (a
    ValidationError, so forms show it like any other field's error)."""
    return Conflict({FIELD: message})


@dataclass(frozen=True)
class Rule:
    """A checked rule: its parts (upper-case names to text values) in a stable order."""

    parts: tuple[tuple[str, str], ...]

    @property
    def text(self) -> str:
        """The rule as RFC 5545 writes it (without the ``RRULE:`` prefix)."""
        return ";".join(f"{k}={v}" for k, v in self.parts)

    def get(self, name: str) -> str | None:
        """A part's value, if given."""
        return dict(self.parts).get(name)

    def without_end(self) -> Rule:
        """The same rule with no COUNT or UNTIL."""
        return Rule(tuple((k, v) for k, v in self.parts if k not in ("COUNT", "UNTIL")))

    def ending(self, *, until: str | None = None, count: int | None = None) -> Rule:
        """The same rule ending at ``until`` (its iCalendar text) or after ``count``."""
        end = ("UNTIL", until) if until is not None else ("COUNT", str(count))
        return Rule((*self.without_end().parts, end))


def _int(name: str, value: str, low: int, high: int) -> int:
    if not re.fullmatch(r"[+-]?\d{1,4}", value) or not low <= abs(int(value)) <= high:
        raise _refuse(f"{name} must be a number from {low} to {high}.")
    return int(value)


def _until(value: str, all_day: bool) -> datetime | date:
    """UNTIL as a date (all-day events) or a UTC moment."""
    try:
        if re.fullmatch(r"\d{8}", value):
            day = datetime.strptime(value, "%Y%m%d").date()
            return day if all_day else datetime.combine(day, time(23, 59, 59), UTC)
        if re.fullmatch(r"\d{8}T\d{6}Z?", value):
            moment = datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S")
            return moment.date() if all_day else moment.replace(tzinfo=UTC)
    except ValueError:
        pass
    raise _refuse("UNTIL must be a date (20261231) or a UTC time (20261231T170000Z).")


def parse_rule(text: object, *, all_day: bool = False) -> Rule:
    """Check a rule's text ("FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10", with or without "RRULE:");
    every refusal names the ``rrule`` field and says why."""
    if not isinstance(text, str) or not text.strip():
        raise _refuse("Give a rule such as FREQ=WEEKLY;BYDAY=MO;COUNT=10.")
    if len(text) > 500:
        raise _refuse("A rule has at most 500 characters.")
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    parts: dict[str, str] = {}
    for piece in body.split(";"):
        name, sep, value = piece.partition("=")
        name, value = name.strip().upper(), value.strip().upper()
        if not sep or not name or not value:
            raise _refuse(f"Not a rule part: {piece[:40]!r} (NAME=VALUE, joined by ';').")
        if name in parts:
            raise _refuse(f"{name} is given twice.")
        parts[name] = value
    freq = parts.pop("FREQ", None)
    if freq not in FREQUENCIES:
        raise _refuse("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY.")
    unknown = sorted(set(parts) - ALLOWED[freq])
    if unknown:
        raise _refuse(f"{unknown[0]} is not supported with FREQ={freq}.")
    if "COUNT" in parts and "UNTIL" in parts:
        raise _refuse("Give COUNT or UNTIL, not both.")
    if "COUNT" not in parts and "UNTIL" not in parts:
        raise _refuse(
            f"A repeating event needs an end: a date (UNTIL) or a number of times (COUNT, "
            f"at most {MAX_OCCURRENCES})."
        )
    if "COUNT" in parts:
        _int("COUNT", parts["COUNT"], 1, MAX_OCCURRENCES)
        parts["COUNT"] = str(int(parts["COUNT"]))
    if "UNTIL" in parts:
        _until(parts["UNTIL"], all_day)
    if "INTERVAL" in parts:
        parts["INTERVAL"] = str(_int("INTERVAL", parts["INTERVAL"], 1, 99))
    if "WKST" in parts and parts["WKST"] not in WEEKDAYS:
        raise _refuse("WKST must be a day: MO, TU, WE, TH, FR, SA or SU.")
    days = parts["BYDAY"].split(",") if "BYDAY" in parts else []
    for day in days:
        found = BYDAY.match(day)
        if found is None:
            raise _refuse(f"Not a day: {day[:10]!r} (MO, TU, ... or 2TU, -1FR).")
        if found.group(1):
            if freq == "WEEKLY":
                raise _refuse("A weekly rule names days without a number (MO,WE).")
            limit = 5 if freq == "MONTHLY" or "BYMONTH" in parts else 53
            _int("The day's number", found.group(1), 1, limit)
    monthdays = parts["BYMONTHDAY"].split(",") if "BYMONTHDAY" in parts else []
    for monthday in monthdays:
        _int("BYMONTHDAY", monthday, 1, 31)
    months = parts["BYMONTH"].split(",") if "BYMONTH" in parts else []
    for month in months:
        _int("BYMONTH", month, 1, 12)
    if days and monthdays:
        raise _refuse("Give BYDAY or BYMONTHDAY, not both.")
    if months and monthdays and not _some_month_has(months, monthdays):
        raise _refuse("This rule never happens: no such day in those months.")
    order = ["FREQ", "INTERVAL", "BYMONTH", "BYMONTHDAY", "BYDAY", "WKST", "COUNT", "UNTIL"]
    parts["FREQ"] = freq
    return Rule(tuple((k, parts[k]) for k in order if k in parts))


def _some_month_has(months: list[str], monthdays: list[str]) -> bool:
    longest = {m: calendar.monthrange(2024, m)[1] for m in range(1, 13)}  # a leap year
    return any(abs(int(d)) <= longest[int(m)] for m in months for d in monthdays)


@dataclass(frozen=True)
class Slot:
    """One occurrence, in UTC: where the rule puts it."""

    starts_at: datetime
    ends_at: datetime


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time of ``zone`` in UTC (a time in the spring gap moves forward)."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def expand(
    first_start: datetime,
    first_end: datetime,
    zone: ZoneInfo,
    rule: Rule | None,
    *,
    all_day: bool = False,
) -> list[Slot]:
    """Every occurrence of an event whose first one is ``first_start``-``first_end`` (UTC),
    planned in ``zone``; a single slot without a rule. Refuses (on ``rrule``) a rule with
    more than 1,000 occurrences or none."""
    if rule is None:
        return [Slot(first_start, first_end)]
    if all_day:
        local_start = first_start.replace(tzinfo=None)
        duration = first_end - first_start
    else:
        local_start = first_start.astimezone(zone).replace(tzinfo=None)
        duration = first_end - first_start
    text = rule.text
    until = rule.get("UNTIL")
    if until is not None:
        end = _until(until, all_day)
        if isinstance(end, datetime):
            local_until = end.astimezone(zone).replace(tzinfo=None)
        else:
            local_until = datetime.combine(end, time(23, 59, 59))
        text = rule.ending(until=local_until.strftime("%Y%m%dT%H%M%S")).text
    slots = []
    for local in rrulestr(text, dtstart=local_start):
        if len(slots) == MAX_OCCURRENCES:
            raise _refuse(f"This rule repeats more than {MAX_OCCURRENCES} times: end it sooner.")
        if all_day:
            start = local.replace(tzinfo=UTC)
            slots.append(Slot(start, start + duration))
        else:
            start = to_utc(local, zone)
            # The same length on the wall clock (RFC 5545: DTEND - DTSTART for each).
            end_local = local.replace(tzinfo=zone) + duration
            slots.append(Slot(start, end_local.astimezone(UTC)))
    if not slots:
        raise _refuse("This rule never happens: check its days and its end.")
    return slots


def until_before(moment: datetime, all_day: bool) -> str:
    """The UNTIL that ends a series just before ``moment`` (UTC): "this and following"."""
    if all_day:
        return (moment - timedelta(days=1)).strftime("%Y%m%d")
    return (moment - timedelta(seconds=1)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def describe(rule: Rule) -> dict[str, object]:
    """The rule's parts the event form shows (frequency, interval, days, end)."""
    return {
        "freq": rule.get("FREQ"),
        "interval": int(rule.get("INTERVAL") or 1),
        "days": (rule.get("BYDAY") or "").split(",") if rule.get("BYDAY") else [],
        "count": int(rule.get("COUNT")) if rule.get("COUNT") else None,
        "until": rule.get("UNTIL"),
    }
