"""iCalendar (RFC 5545) out and in, through the ``icalendar`` library.

Out: an event is one VEVENT (with its RRULE, and EXDATE for its cancelled occurrences) plus
one VEVENT per moved occurrence (same UID, RECURRENCE-ID: where the rule put it), in the
event's own zone with the VTIMEZONE that describes it; a cancelled event is STATUS:CANCELLED.
In: a file's VEVENTs become events, all or none: the first bad one refuses the file with the
reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from rse_core import Space, User, ValidationError

from . import events as events_mod
from . import recurrence
from .models import Event, Occurrence

PRODID = "-//rse//events//EN"
MAX_IMPORT_BYTES = 2_000_000
MAX_IMPORT_EVENTS = 500


def _local(moment: datetime, event: Event) -> datetime | date:
    if event.all_day:
        return moment.date()
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(event.time_zone))


def _vevent(event: Event, url: str, stamp: datetime) -> icalendar.Event:
    item = icalendar.Event()
    item.add("uid", event.uid)
    item.add("dtstamp", stamp)
    item.add("sequence", event.sequence)
    item.add("summary", event.title)
    if event.description:
        item.add("description", event.description)
    if event.location:
        item.add("location", event.location)
    item.add("url", url)
    if event.online_url:
        item.add("conference", event.online_url, parameters={"value": "URI"})
    item.add("created", event.created_at.replace(tzinfo=UTC))
    item.add("last-modified", event.updated_at.replace(tzinfo=UTC))
    return item


def calendar(rows: Sequence[tuple[Event, Sequence[Occurrence]]], *, base: str, name: str) -> bytes:
    """A VCALENDAR of these events, each with its occurrences (for EXDATE and moved
    occurrences), ``base`` the site's address for the events' URLs."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    stamp = datetime.now(UTC).replace(microsecond=0)
    first, last = date.today(), date.today()
    for event, occurrences in rows:
        url = f"{base}{events_mod.event_url(event)}"
        item = _vevent(event, url, stamp)
        item.add("dtstart", _local(event.starts_at, event))
        item.add("dtend", _local(event.ends_at, event))
        if event.cancelled_at is not None:
            item.add("status", "CANCELLED")
        if event.rrule:
            item.add("rrule", icalendar.vRecur.from_ical(event.rrule))
            cancelled = [_local(o.original_start, event) for o in occurrences if o.cancelled]
            if cancelled:
                item.add("exdate", cancelled)
        cal.add_component(item)
        for occurrence in occurrences:
            if occurrence.moved and not occurrence.cancelled and event.rrule:
                moved = _vevent(event, url, stamp)
                moved.add("recurrence-id", _local(occurrence.original_start, event))
                moved.add("dtstart", _local(occurrence.starts_at, event))
                moved.add("dtend", _local(occurrence.ends_at, event))
                cal.add_component(moved)
        ends = [o.ends_at.date() for o in occurrences] or [event.ends_at.date()]
        first = min(first, event.starts_at.date())
        last = max(last, *ends)
    cal.add_missing_timezones(
        first_date=first - timedelta(days=366), last_date=last + timedelta(days=366)
    )
    return cal.to_ical()


def with_occurrences(
    session: Session, events: Sequence[Event]
) -> list[tuple[Event, list[Occurrence]]]:
    """Each event with its occurrences: one query for them all."""
    by_event: dict[int, list[Occurrence]] = {e.id: [] for e in events}
    if events:
        rows = session.execute(
            select(Occurrence)
            .where(Occurrence.event_id.in_(list(by_event)))
            .order_by(Occurrence.original_start)
        ).scalars()
        for occurrence in rows:
            by_event[occurrence.event_id].append(occurrence)
    return [(e, by_event[e.id]) for e in events]


# Import ------------------------------------------------------------------------------------


@dataclass
class Imported:
    """One VEVENT read from a file: the event's fields and its exceptions."""

    uid: str
    fields: dict[str, Any]
    cancelled: list[datetime]  # original starts, UTC
    moved: dict[datetime, tuple[datetime, datetime]]  # original start -> new start, end (UTC)


def _utc(value: Any, zone: ZoneInfo, all_day: bool) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return recurrence.to_utc(value, zone)
        return value.astimezone(UTC)
    return (
        datetime.combine(value, datetime.min.time(), UTC)
        if all_day
        else recurrence.to_utc(datetime.combine(value, datetime.min.time()), zone)
    )


def _zone_name(value: Any, fallback: str) -> str:
    tz = getattr(value, "tzinfo", None)
    key = getattr(tz, "key", None) or getattr(tz, "zone", None)
    if key:
        return str(key)
    if tz is not None and tz.utcoffset(value) == timedelta(0):
        return "UTC"
    return fallback


def _read_event(component: Any, zone_name: str) -> Imported:
    start = component.decoded("dtstart", None)
    if start is None:
        raise ValueError("it has no start (DTSTART)")
    all_day = isinstance(start, date) and not isinstance(start, datetime)
    if "dtend" in component:
        end = component.decoded("dtend")
    elif "duration" in component:
        end = start + component.decoded("duration")
    else:
        end = start + (timedelta(days=1) if all_day else timedelta(hours=1))
    zone = _zone_name(start, zone_name)
    zone_info = events_mod.zone_of(zone)
    fields: dict[str, Any] = {
        "title": str(component.get("summary", "")).strip() or "(untitled)",
        "description": str(component.get("description", "")),
        "timezone": zone,
        "all_day": all_day,
        "location": str(component.get("location", ""))[:200],
    }
    if all_day:
        fields["starts_at"] = start
        fields["ends_at"] = max(start, end - timedelta(days=1))  # DTEND is the day after
    else:
        fields["starts_at"] = _utc(start, zone_info, False)
        fields["ends_at"] = _utc(end, zone_info, False)
    link = str(component.get("url", "") or component.get("conference", "") or "")
    if link.lower().startswith(("http://", "https://")):
        fields["online_url"] = link
    if "rrule" in component:
        rules = component.get("rrule")
        if isinstance(rules, list):
            raise ValueError("it has several RRULEs")
        fields["rrule"] = rules.to_ical().decode()
    cancelled = []
    exdates = component.get("exdate", [])
    for group in exdates if isinstance(exdates, list) else [exdates]:
        for moment in group.dts:
            cancelled.append(_utc(moment.dt, zone_info, all_day))
    uid = str(component.get("uid", "")).strip()[:255]
    return Imported(uid=uid, fields=fields, cancelled=cancelled, moved={})


def parse(data: bytes, default_zone: str) -> list[Imported]:
    """The events of an .ics file, or ValidationError (on ``file``) saying what is wrong:
    which event, and why."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError({"file": "The file is larger than 2 MB."})
    try:
        cal = icalendar.Calendar.from_ical(data.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError, IndexError, KeyError) as exc:
        raise ValidationError({"file": f"Not an iCalendar file: {str(exc)[:120]}"}) from exc
    found: list[Imported] = []
    overrides: list[tuple[str, Any]] = []
    for number, component in enumerate(cal.walk("VEVENT"), start=1):
        label = f"Event {number} ({str(component.get('summary', ''))[:60]!r})"
        try:
            if "recurrence-id" in component:
                overrides.append((str(component.get("uid", "")), component))
                continue
            found.append(_read_event(component, default_zone))
        except ValidationError as exc:
            raise ValidationError({"file": f"{label}: {_reason(exc)}"}) from exc
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ValidationError({"file": f"{label}: {exc}"}) from exc
    if not found:
        raise ValidationError({"file": "The file holds no event."})
    if len(found) > MAX_IMPORT_EVENTS:
        raise ValidationError({"file": f"Import at most {MAX_IMPORT_EVENTS} events at a time."})
    by_uid = {item.uid: item for item in found if item.uid}
    for uid, component in overrides:
        target = by_uid.get(uid)
        if target is None:
            continue  # a moved occurrence of a series not in the file
        zone = ZoneInfo(target.fields["timezone"])
        all_day = target.fields["all_day"]
        original = _utc(component.decoded("recurrence-id"), zone, all_day)
        if str(component.get("status", "")).upper() == "CANCELLED":
            target.cancelled.append(original)
            continue
        start = _utc(component.decoded("dtstart"), zone, all_day)
        end = (
            _utc(component.decoded("dtend"), zone, all_day)
            if "dtend" in component
            else (
                start + (target.fields["ends_at"] - target.fields["starts_at"])
                if not all_day
                else start + timedelta(days=1)
            )
        )
        target.moved[original] = (start, end)
    return found


def _reason(exc: ValidationError) -> str:
    name, message = next(iter(exc.fields.items()))
    return f"{name}: {message}"


def import_events(
    session: Session, items: Sequence[Imported], creator: User, space: Space | None, now: datetime
) -> list[Event]:
    """Create the events read from a file (in one transaction: a bad one raises and none is
    kept). An event whose UID is already here gets a new one (imported twice, it is two)."""
    created = []
    for number, item in enumerate(items, start=1):
        try:
            fields = events_mod.clean(item.fields, creating=True, zone=item.fields["timezone"])
            uid = item.uid or None
            if uid and session.execute(select(Event.id).where(Event.uid == uid)).first():
                uid = None
            event = events_mod.create_event(session, creator, space, fields, now, uid=uid)
        except ValidationError as exc:
            label = f"Event {number} ({item.fields.get('title', '')[:60]!r})"
            raise ValidationError({"file": f"{label}: {_reason(exc)}"}) from exc
        occurrences = {
            o.original_start: o
            for o in session.execute(
                select(Occurrence).where(Occurrence.event_id == event.id)
            ).scalars()
        }
        for original in item.cancelled:
            if original in occurrences:
                occurrences[original].cancelled = True
        for original, (start, end) in item.moved.items():
            if original in occurrences:
                row = occurrences[original]
                row.starts_at, row.ends_at, row.moved = start, end, True
        created.append(event)
    return created
