"""Events: checked input, creating, editing and cancelling (one occurrence, this and the
following ones, or the whole series), and the reads every calendar makes.

An event is registered with the core (``publish``) when created: its audience is the core's
(the space's, or everyone's), so lists, calendars, feeds, streams and search all filter it the
same way. Its occurrences are written out at each change (see :mod:`.recurrence`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Integer, Select, TextClause, and_, bindparam, or_, select, text
from sqlalchemy.orm import Session

from rse_core import (
    Conflict,
    Content,
    NotFound,
    ScopeParameter,
    Space,
    User,
    ValidationError,
    clean_text,
    get_visible,
    principals_for,
    publish,
    update_content,
    visible,
    within_spaces,
)

from . import recurrence, rsvps
from .i18n import N_
from .models import LONG_POSTGRESQL, LONG_SQLITE, Event, Occurrence, Organiser, Rsvp
from .recurrence import Rule, Slot

MAX_TITLE = 200
MAX_DESCRIPTION = 20_000
MAX_LOCATION = 200
MAX_URL = 1000
MAX_CAPACITY = 100_000
MAX_ORGANISERS = 20
MAX_LENGTH = timedelta(days=62)  # an event lasts at most this long (calendars read back so far)
SCOPES = ("this", "following", "series")
ONLINE_URL = re.compile(r"^https?://[^\s/?#]+([/?#]\S*)?$", re.IGNORECASE)


def event_url(event: Event) -> str:
    """An event's page."""
    return f"/events/{event.id}"


@dataclass
class EventFields:
    """Checked input; ``None`` means "not given" (an edit keeps the old value)."""

    title: str | None = None
    description: str | None = None
    time_zone: str | None = None
    starts_at: datetime | None = None  # UTC
    ends_at: datetime | None = None  # UTC (an all-day event's: the midnight after its last day)
    all_day: bool | None = None
    location: str | None = None
    online_url: str | None = None
    capacity: int | None = None
    capacity_given: bool = False  # capacity None given: no limit any more
    rule: Rule | None = None
    rule_given: bool = False  # rule None given: no longer repeats
    organisers: list[str] | None = None  # user names, beside the creator
    given: set[str] = field(default_factory=set)

    @property
    def moves(self) -> bool:
        """Whether the change moves the event in time or place (attendees are told)."""
        return bool(
            self.given
            & {"starts_at", "ends_at", "all_day", "time_zone", "location", "online_url", "rrule"}
        )


def zone_of(name: object) -> ZoneInfo:
    """A time zone by its IANA name ("Europe/Paris"); a 422 on ``timezone`` otherwise."""
    if not isinstance(name, str) or not name or len(name) > 64 or name.startswith("/"):
        raise ValidationError({"timezone": "Give a time zone such as Europe/Paris."})
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError({"timezone": f"Unknown time zone: {name[:64]!r}."}) from exc


def _moment(value: object, name: str, zone: ZoneInfo, all_day: bool) -> datetime:
    """A start or end: ISO 8601 text (with an offset, or on the event zone's clock), or a
    datetime; an all-day event's: a date. Returned in UTC (an all-day one: its midnight)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValidationError({name: "Give a date and time (2026-12-24T18:00)."}) from exc
    else:
        raise ValidationError({name: "Give a date and time (2026-12-24T18:00)."})
    if not 1900 < moment.year < 2200:
        raise Conflict({name: "Give a date between 1901 and 2199."})
    if all_day:
        return datetime.combine(moment.date(), time(), UTC)
    if moment.tzinfo is None:
        moment = recurrence.to_utc(moment, zone)
    return moment.astimezone(UTC)


def clean_online_url(value: object) -> str:
    """An http(s) meeting link, or "" for none (a ``javascript:`` link is refused)."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or len(value) > MAX_URL:
        raise ValidationError({"online_url": f"Give a link of at most {MAX_URL} characters."})
    if not ONLINE_URL.match(value.strip()):
        raise ValidationError({"online_url": "Give an http or https meeting link."})
    return value.strip()


def clean_capacity(value: object) -> int | None:
    """A number of places (1 or more), or None for no limit."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,7}", value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({"capacity": "Give a number of places, or nothing for no limit."})
    if value < 1:
        raise ValidationError(
            {"capacity": "Capacity must be at least 1 (leave it empty for no limit)."}
        )
    if value > MAX_CAPACITY:
        raise ValidationError({"capacity": f"Capacity is at most {MAX_CAPACITY:,}."})
    return value


def clean(
    data: Mapping[str, Any], *, creating: bool, current: Event | None = None, zone: str = "UTC"
) -> EventFields:
    """Check an event's fields (a form's or the API's); every error names its field.
    ``current``: the event edited (its values complete what is not given); ``zone``: the
    writer's zone, used when the event gives none."""
    given = {k for k, v in data.items() if v is not None or k in ("capacity", "rrule")}
    fields = EventFields(given=given)
    if creating or "title" in given:
        fields.title = clean_text(
            data.get("title"), "title", max_length=MAX_TITLE, required="Give the event a title."
        )
    if "description" in given:
        fields.description = clean_text(
            data.get("description"), "description", max_length=MAX_DESCRIPTION
        )
    zone_name = data.get("timezone") or (current.time_zone if current else zone)
    zone_info = zone_of(zone_name)
    fields.time_zone = zone_info.key
    all_day = data.get("all_day")
    if all_day is not None and not isinstance(all_day, bool):
        raise ValidationError({"all_day": "Give true or false."})
    if all_day is None:
        all_day = current.all_day if current else False
    fields.all_day = all_day
    if creating or {"starts_at", "ends_at", "all_day", "timezone"} & given:
        start_value = data.get("starts_at")
        end_value = data.get("ends_at")
        if start_value is None and current is not None:
            start_value = _current_local(current, current.starts_at, all_day)
        if end_value is None and current is not None:
            end_value = _current_local(current, current.ends_at, all_day, end=True)
        if start_value is None:
            raise ValidationError({"starts_at": "Choose when the event starts."})
        if end_value is None:
            raise ValidationError({"ends_at": "Choose when the event ends."})
        fields.starts_at = _moment(start_value, "starts_at", zone_info, all_day)
        fields.ends_at = _moment(end_value, "ends_at", zone_info, all_day)
        if all_day:
            if fields.ends_at < fields.starts_at:
                raise Conflict({"ends_at": "The last day must not be before the first."})
            fields.ends_at += timedelta(days=1)  # stored as the midnight after the last day
        elif fields.ends_at <= fields.starts_at:
            raise Conflict({"ends_at": "The end must be after the start."})
        if fields.ends_at - fields.starts_at > MAX_LENGTH:
            raise Conflict({"ends_at": "An event lasts at most 62 days."})
    if "location" in given:
        fields.location = clean_text(data.get("location") or "", "location", max_length=200)
    if "online_url" in given:
        fields.online_url = clean_online_url(data.get("online_url"))
    if "capacity" in given:
        fields.capacity, fields.capacity_given = clean_capacity(data.get("capacity")), True
    if "rrule" in given:
        raw = data.get("rrule")
        fields.rule_given = True
        fields.rule = recurrence.parse_rule(raw, all_day=all_day) if raw else None
    if "organisers" in given:
        fields.organisers = clean_organisers(data.get("organisers"))
    return fields


def clean_organisers(value: object) -> list[str]:
    """Co-organisers' user names: a list, or text separated by commas or spaces."""
    if isinstance(value, str):
        value = re.split(r"[\s,]+", value.strip())
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError({"organisers": "Give the organisers' user names."})
    cleaned = (v.strip().lstrip("@") for v in value)
    names = list(dict.fromkeys(name for name in cleaned if name))
    if len(names) > MAX_ORGANISERS:
        raise ValidationError({"organisers": f"At most {MAX_ORGANISERS} organisers."})
    return names


def resolve_organisers(session: Session, event: Event, names: Sequence[str]) -> list[User]:
    """The people these names are; each must be able to see the event (a private space's
    event is run by its members): a 409 on ``organisers`` naming who is not."""
    found = {
        u.username: u
        for u in session.execute(
            select(User).where(User.username.in_(list(names)), User.is_active.is_(True))
        ).scalars()
    }
    for name in names:
        user = found.get(name)
        if user is None:
            raise Conflict({"organisers": f"Nobody here is called {name[:60]!r}."})
        if get_visible(session, event.content_id, principals_for(session, user)) is None:
            raise Conflict(
                {"organisers": f"{user.display_name} cannot see this event (not a member)."}
            )
    return [found[name] for name in names]


def _current_local(event: Event, moment: datetime, all_day: bool, *, end: bool = False) -> Any:
    """An event's stored start or end as the form would give it again."""
    if event.all_day:
        day = moment.date() - timedelta(days=1) if end else moment.date()
        return day if all_day else datetime.combine(day, time(9), ZoneInfo(event.time_zone))
    return moment.replace(tzinfo=UTC)


def rule_of(event: Event) -> Rule | None:
    """An event's recurrence rule, parsed."""
    return recurrence.parse_rule(event.rrule, all_day=event.all_day) if event.rrule else None


def slots_of(event: Event) -> list[Slot]:
    """Every occurrence an event's rule gives (one for a one-off event)."""
    return recurrence.expand(
        event.starts_at,
        event.ends_at,
        ZoneInfo(event.time_zone),
        rule_of(event),
        all_day=event.all_day,
    )


def summary_of(event: Event) -> str:
    """What search and streams know of an event beside its title."""
    return "\n\n".join(part for part in (event.description, event.location) if part)


def create_event(
    session: Session,
    creator: User,
    space: Space | None,
    fields: EventFields,
    now: datetime,
    *,
    uid: str | None = None,
) -> Event:
    """A new event (a series when it has a rule), published to the space or the company."""
    event = Event(
        creator_id=creator.id,
        space_id=space.id if space else None,
        title=fields.title or "",
        description=fields.description or "",
        time_zone=fields.time_zone or "UTC",
        starts_at=fields.starts_at,
        ends_at=fields.ends_at,
        all_day=bool(fields.all_day),
        location=fields.location or "",
        online_url=fields.online_url or "",
        capacity=fields.capacity,
        rrule=fields.rule.text if fields.rule else None,
        uid=uid or f"{uuid.uuid4()}@rse",
        sequence=0,
        created_at=now,
        updated_at=now,
    )
    slots = slots_of(event)  # refuses a bad rule before anything is written
    session.add(event)
    session.flush()
    content = publish(
        session,
        plugin="events",
        type="events.event",
        author=creator,
        url=event_url(event),
        title=event.title,
        summary=summary_of(event),
        space=space,
    )
    event.content_id = content.id
    session.add(Organiser(event_id=event.id, user_id=creator.id))
    session.flush()
    if fields.organisers:
        set_organisers(session, event, resolve_organisers(session, event, fields.organisers))
    sync_occurrences(session, event, slots, now)
    return event


def sync_occurrences(
    session: Session, event: Event, slots: Sequence[Slot], now: datetime
) -> set[int]:
    """Write out an event's occurrences after a change: an occurrence the rule still gives
    keeps its row and its RSVPs (matched by its original start, else by its local day when
    the time changed); one it gives no more is removed. Returns who answered for a future
    occurrence that moved or went away (to tell them)."""
    existing = list(
        session.execute(select(Occurrence).where(Occurrence.event_id == event.id)).scalars()
    )
    zone = ZoneInfo(event.time_zone)
    by_start = {o.original_start: o for o in existing}
    by_day: dict[date, Occurrence] = {}
    for occurrence in existing:
        by_day.setdefault(_day(occurrence.original_start, zone, event.all_day), occurrence)
    kept: set[int] = set()
    moved: list[Occurrence] = []
    created: list[Occurrence] = []
    for slot in slots:
        row = by_start.get(slot.starts_at)
        if row is None or row.id in kept:
            row = by_day.get(_day(slot.starts_at, zone, event.all_day))
            if row is not None and row.id in kept:
                row = None
        if row is None:
            row = Occurrence(
                event_id=event.id,
                original_start=slot.starts_at,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                moved=False,
                cancelled=False,
            )
            created.append(row)
            continue
        kept.add(row.id)
        if row.original_start != slot.starts_at or (
            not row.moved and (row.starts_at, row.ends_at) != (slot.starts_at, slot.ends_at)
        ):
            row.original_start, row.starts_at, row.ends_at = slot.starts_at, *_span(slot)
            row.moved = False
            moved.append(row)
    gone = [o for o in existing if o.id not in kept]
    told = rsvps.attendees_of(session, [o.id for o in moved + gone if o.ends_at > now])
    for occurrence in gone:
        rsvps.forget(session, occurrence)
        session.delete(occurrence)
    session.flush()  # a slot may take a removed row's original start
    session.add_all(created)
    session.flush()
    for occurrence in moved:
        rsvps.reschedule(session, occurrence, now)
    return told


def _span(slot: Slot) -> tuple[datetime, datetime]:
    return slot.starts_at, slot.ends_at


def _day(moment: datetime, zone: ZoneInfo, all_day: bool) -> date:
    return moment.date() if all_day else moment.replace(tzinfo=UTC).astimezone(zone).date()


def organiser_ids(session: Session, event: Event) -> set[int]:
    """Who organises an event."""
    return set(
        session.execute(select(Organiser.user_id).where(Organiser.event_id == event.id)).scalars()
    )


def set_organisers(session: Session, event: Event, users: Sequence[User]) -> None:
    """Replace an event's organisers (its creator stays one)."""
    wanted = {u.id for u in users} | {event.creator_id}
    current = organiser_ids(session, event)
    for user_id in wanted - current:
        session.add(Organiser(event_id=event.id, user_id=user_id))
    for user_id in current - wanted:
        session.delete(session.get(Organiser, (event.id, user_id)))


def _apply(event: Event, fields: EventFields) -> None:
    for name in ("title", "description", "time_zone", "starts_at", "ends_at", "all_day"):
        value = getattr(fields, name)
        if value is not None:
            setattr(event, name, value)
    if fields.location is not None:
        event.location = fields.location
    if fields.online_url is not None:
        event.online_url = fields.online_url
    if fields.capacity_given:
        event.capacity = fields.capacity
    if fields.rule_given:
        event.rrule = fields.rule.text if fields.rule else None


def edit_event(
    session: Session,
    event: Event,
    editor: User,
    fields: EventFields,
    now: datetime,
    *,
    occurrence: Occurrence | None = None,
    scope: str = "series",
) -> Event:
    """Change an event: the whole series, one occurrence (``this``: moved to another time),
    or ``following`` (the series is split: the part from ``occurrence`` on becomes an event
    of its own, which is returned). Attendees of what moved are told; a larger capacity lets
    the waiting list in."""
    if event.cancelled_at is not None:
        raise Conflict({"event": N_("This event is cancelled.")})
    if scope != "series" and occurrence is None:
        raise Conflict({"occurrence": "Choose the occurrence to change."})
    if scope == "following" and occurrence is not None and _is_first(session, event, occurrence):
        scope = "series"
    if scope == "this":
        return _move_one(session, event, editor, occurrence, fields, now)
    if scope == "following":
        return _split(session, event, editor, occurrence, fields, now)
    before = (event.starts_at, event.ends_at, event.rrule, event.time_zone, event.all_day)
    _apply(event, fields)
    if fields.organisers is not None:
        set_organisers(session, event, resolve_organisers(session, event, fields.organisers))
    slots = slots_of(event)
    told: set[int] = set()
    if (event.starts_at, event.ends_at, event.rrule, event.time_zone, event.all_day) != before:
        told = sync_occurrences(session, event, slots, now)
    elif fields.moves:
        told = rsvps.attendees_of(session, future_occurrence_ids(session, event, now))
    _touch(session, event, editor, now)
    rsvps.tell(session, told, editor, event, N_("The time or place changed."))
    if fields.capacity_given:
        for occurrence_id in future_occurrence_ids(session, event, now):
            rsvps.promote(session, session.get(Occurrence, occurrence_id), event, editor, now)
    return event


def _touch(session: Session, event: Event, editor: User, now: datetime) -> None:
    event.sequence += 1
    event.updated_at = now
    content = session.get(Content, event.content_id)
    if content is not None and content.deleted_at is None:
        update_content(session, content, editor, title=event.title, summary=summary_of(event))


def _is_first(session: Session, event: Event, occurrence: Occurrence) -> bool:
    first = session.execute(
        select(Occurrence.id)
        .where(Occurrence.event_id == event.id)
        .order_by(Occurrence.original_start)
        .limit(1)
    ).scalar_one()
    return first == occurrence.id


def _move_one(
    session: Session,
    event: Event,
    editor: User,
    occurrence: Occurrence,
    fields: EventFields,
    now: datetime,
) -> Event:
    other = fields.given - {"starts_at", "ends_at", "timezone", "occurrence", "scope"}
    if other:
        name = sorted(other)[0]
        raise Conflict(
            {name: "One occurrence changes its time only: change the series for the rest."}
        )
    if fields.starts_at is None or fields.ends_at is None:
        raise Conflict({"starts_at": "Choose the occurrence's new time."})
    occurrence.starts_at, occurrence.ends_at = fields.starts_at, fields.ends_at
    occurrence.moved = True
    rsvps.reschedule(session, occurrence, now)
    event.sequence += 1
    event.updated_at = now
    rsvps.tell(
        session,
        rsvps.attendees_of(session, [occurrence.id]),
        editor,
        event,
        N_("This occurrence moved to another time."),
    )
    return event


def _split(
    session: Session,
    event: Event,
    editor: User,
    occurrence: Occurrence,
    fields: EventFields,
    now: datetime,
) -> Event:
    """ "This and following": the series ends before ``occurrence``; a new series, made of
    the old one's values and the change, starts there and takes over its later RSVPs."""
    rule = rule_of(event)
    if rule is None:
        return edit_event(session, event, editor, fields, now)
    earlier = session.execute(
        select(Occurrence.id).where(
            Occurrence.event_id == event.id,
            Occurrence.original_start < occurrence.original_start,
        )
    ).all()
    if fields.starts_at is None:
        fields.starts_at = occurrence.original_start
        fields.ends_at = occurrence.original_start + (event.ends_at - event.starts_at)
    if not fields.rule_given:
        count = rule.get("COUNT")
        fields.rule = rule.ending(count=int(count) - len(earlier)) if count else rule
    later = list(
        session.execute(
            select(Occurrence).where(
                Occurrence.event_id == event.id,
                Occurrence.original_start >= occurrence.original_start,
            )
        ).scalars()
    )
    event.rrule = rule.ending(
        until=recurrence.until_before(occurrence.original_start, event.all_day)
    ).text
    event.sequence += 1
    event.updated_at = now
    space = session.get(Space, event.space_id) if event.space_id else None
    values = EventFields(
        title=fields.title or event.title,
        description=fields.description if fields.description is not None else event.description,
        time_zone=fields.time_zone or event.time_zone,
        starts_at=fields.starts_at,
        ends_at=fields.ends_at,
        all_day=fields.all_day if fields.all_day is not None else event.all_day,
        location=fields.location if fields.location is not None else event.location,
        online_url=fields.online_url if fields.online_url is not None else event.online_url,
        capacity=fields.capacity if fields.capacity_given else event.capacity,
        rule=fields.rule,
    )
    successor = create_event(session, session.get(User, event.creator_id), space, values, now)
    if fields.organisers is not None:
        runners = resolve_organisers(session, successor, fields.organisers)
    else:
        runners = [session.get(User, i) for i in organiser_ids(session, event)]
    set_organisers(session, successor, runners)
    # The later occurrences' RSVPs go to the new series' occurrence of the same day.
    zone = ZoneInfo(successor.time_zone)
    new_by_day = {
        _day(o.original_start, zone, successor.all_day): o
        for o in session.execute(
            select(Occurrence).where(Occurrence.event_id == successor.id)
        ).scalars()
    }
    told: set[int] = set()
    for old in later:
        target = new_by_day.get(_day(old.original_start, zone, event.all_day))
        attendees = rsvps.attendees_of(session, [old.id]) if old.ends_at > now else set()
        if target is not None:
            rsvps.move_answers(session, old, target, now)
            if (target.starts_at, target.ends_at) != (old.starts_at, old.ends_at):
                told |= attendees
        else:
            told |= attendees
            rsvps.forget(session, old)
        session.delete(old)
    rsvps.tell(session, told, editor, successor, N_("The time or place changed."))
    return successor


def future_occurrence_ids(session: Session, event: Event, now: datetime) -> list[int]:
    """An event's occurrences not over yet."""
    return list(
        session.execute(
            select(Occurrence.id).where(Occurrence.event_id == event.id, Occurrence.ends_at > now)
        ).scalars()
    )


def cancel(
    session: Session,
    event: Event,
    editor: User,
    now: datetime,
    *,
    occurrence: Occurrence | None = None,
    scope: str = "series",
) -> None:
    """Cancel one occurrence (kept, marked: iCalendar's EXDATE), this and the following
    ones (the series ends before it), or the whole event. Attendees are told."""
    if event.cancelled_at is not None:
        return
    if scope != "series" and occurrence is None:
        raise Conflict({"occurrence": "Choose the occurrence to cancel."})
    if scope == "following" and _is_first(session, event, occurrence):
        scope = "series"
    if scope == "this":
        occurrence.cancelled = True
        told = rsvps.attendees_of(session, [occurrence.id])
        rsvps.forget(session, occurrence, keep_answers=True)
        note = N_("This occurrence is cancelled.")
    elif scope == "following":
        rule = rule_of(event)
        later = list(
            session.execute(
                select(Occurrence).where(
                    Occurrence.event_id == event.id,
                    Occurrence.original_start >= occurrence.original_start,
                )
            ).scalars()
        )
        told = rsvps.attendees_of(session, [o.id for o in later if o.ends_at > now])
        for old in later:
            rsvps.forget(session, old)
            session.delete(old)
        if rule is not None:
            until = recurrence.until_before(occurrence.original_start, event.all_day)
            event.rrule = rule.ending(until=until).text
        note = N_("This and the following occurrences are cancelled.")
    else:
        future = future_occurrence_ids(session, event, now)
        told = rsvps.attendees_of(session, future)
        for occurrence_id in future:
            row = session.get(Occurrence, occurrence_id)
            row.cancelled = True
            rsvps.forget(session, row, keep_answers=True)
        event.cancelled_at = now
        note = N_("This event is cancelled.")
    event.sequence += 1
    event.updated_at = now
    rsvps.tell(session, told, editor, event, note)


# Reads --------------------------------------------------------------------------------------


def readable(session: Session, event_id: int, principals: frozenset[str]) -> tuple[Event, Content]:
    """An event and its content if the reader may see it; NotFound (a 404) otherwise."""
    event = session.get(Event, event_id)
    if event is not None and event.content_id is not None:
        content = get_visible(session, event.content_id, principals)
        if content is not None:
            return event, content
    raise NotFound("No such event.")


@dataclass(frozen=True)
class Slotted:
    """An occurrence as calendars list it (a row of one query: no per-item query)."""

    occurrence_id: int
    event_id: int
    starts_at: datetime
    ends_at: datetime
    cancelled: bool
    moved: bool
    title: str
    all_day: bool
    location: str
    space_id: int | None
    recurring: bool


CALENDAR_COLUMNS = (
    Occurrence.id,
    Occurrence.event_id,
    Occurrence.starts_at,
    Occurrence.ends_at,
    Occurrence.cancelled,
    Occurrence.moved,
    Event.title,
    Event.all_day,
    Event.location,
    Event.space_id,
    Event.rrule.is_not(None),
)


#: An occurrence longer than this is "long": the calendars read back this far in the start
#: index, and MAX_LENGTH only among the long ones (their own index: events_0003).
LONG = timedelta(days=1)


def _long(dialect: str) -> TextClause:
    """The occurrence lasts more than a day, spelt exactly as the partial index's condition
    (a planner uses the index only for the same expression)."""
    condition = LONG_POSTGRESQL if dialect == "postgresql" else LONG_SQLITE
    # Qualified: event_event has starts_at and ends_at too.
    return text(re.sub(r"\b(starts_at|ends_at)\b", r"event_occurrence.\1", condition))


@dataclass(frozen=True)
class _CalendarShape:
    """What a calendar read's SQL depends on (its values are parameters): the statements are
    built once per shape, since building them cost as much as running them."""

    scope: ScopeParameter
    space: bool
    event: bool
    attendee: bool
    include_cancelled: bool
    after: bool
    limit: bool
    dialect: str


def calendar_queries(
    principals: frozenset[str],
    start: datetime,
    end: datetime,
    *,
    space_id: int | None = None,
    event_id: int | None = None,
    attendee_id: int | None = None,
    include_cancelled: bool = False,
    after: tuple[datetime, int] | None = None,
    limit: int | None = None,
    dialect: str = "sqlite",
) -> tuple[tuple[Select[Any], Select[Any]], dict[str, Any]]:
    """The occurrences overlapping [start, end) that the reader may see, as two walks of
    the start index, each in time order (to be merged): those starting from a day before the
    range (``LONG``), and the long ones (over a day) starting up to 62 days before it
    (``MAX_LENGTH``), from their own partial index. Each probes its occurrences' event and
    item, and stops at ``limit``. ``after``: the (start, id) of the last occurrence of the
    previous page. Returns the two statements and the parameters to run them with."""
    if space_id is not None:  # a space's events carry its principal: compare only those
        principals = within_spaces(principals, [space_id])
    scope = ScopeParameter.of(principals)
    values: dict[str, Any] = {
        **scope.values(principals),
        "start": start,
        "end": end,
        "recent_since": start - LONG,
        "long_since": start - MAX_LENGTH,
        "space_id": space_id,
        "event_id": event_id,
        "attendee_id": attendee_id,
        "after_start": after[0] if after else None,
        "after_id": after[1] if after else None,
        "limit": limit,
    }
    shape = _CalendarShape(
        scope,
        space_id is not None,
        event_id is not None,
        attendee_id is not None,
        include_cancelled,
        after is not None,
        limit is not None,
        dialect,
    )
    return _calendar_statements(shape), values


@lru_cache(maxsize=128)
def _calendar_statements(shape: _CalendarShape) -> tuple[Select[Any], Select[Any]]:
    """:func:`calendar_queries`' two statements for one shape."""

    def walk(since: str) -> Select[Any]:
        query = (
            select(*CALENDAR_COLUMNS)
            .join(Event, Event.id == Occurrence.event_id)
            .join(Content, Content.id == Event.content_id)
            .where(
                Occurrence.starts_at >= bindparam(since),
                Occurrence.starts_at < bindparam("end"),
                Occurrence.ends_at > bindparam("start"),
                visible(Content.audience, shape.scope, indexed=False),
                Content.deleted_at.is_(None),
            )
            .order_by(Occurrence.starts_at, Occurrence.id)
        )
        if not shape.include_cancelled:
            query = query.where(Occurrence.cancelled.is_(False))
        if shape.after:
            moment = bindparam("after_start")
            query = query.where(
                or_(
                    Occurrence.starts_at > moment,
                    and_(Occurrence.starts_at == moment, Occurrence.id > bindparam("after_id")),
                )
            )
        if shape.space:
            query = query.where(Event.space_id == bindparam("space_id"))
        if shape.event:
            query = query.where(Occurrence.event_id == bindparam("event_id"))
        if shape.attendee:
            query = query.where(
                Occurrence.id.in_(
                    select(Rsvp.occurrence_id).where(
                        and_(Rsvp.user_id == bindparam("attendee_id"), Rsvp.status != "no")
                    )
                )
            )
        if shape.limit:
            query = query.limit(bindparam("limit", type_=Integer))
        return query

    recent = walk("recent_since")
    long_ones = walk("long_since").where(
        Occurrence.starts_at < bindparam("recent_since"), _long(shape.dialect)
    )
    return recent, long_ones


def visible_events(principals: frozenset[str], event_ids: Sequence[int]) -> Select[Any]:
    """The ids among ``event_ids`` of the events the reader may see."""
    return (
        select(Event.id)
        .join(Content, Content.id == Event.content_id)
        .where(
            Event.id.in_(list(event_ids)),
            visible(Content.audience, principals),
            Content.deleted_at.is_(None),
        )
    )


CURSOR = re.compile(r"^(\d{8}T\d{12})-(\d{1,10})$")


def cursor_of(row: Slotted) -> str:
    """Where a page of occurrences stopped: its last one's start (UTC) and id."""
    return f"{row.starts_at:%Y%m%dT%H%M%S%f}-{row.occurrence_id}"


def read_cursor(text: str | None) -> tuple[datetime, int] | None:
    """A :func:`cursor_of` read back; None for anything not of its shape."""
    found = CURSOR.match(text or "")
    if found is None:
        return None
    try:
        moment = datetime.strptime(found.group(1), "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
    except ValueError as exc:  # the right shape, but no such moment (month 13)
        raise Conflict({"after": "Give the next of a previous page."}) from exc
    return moment, int(found.group(2))


def occurrences_between(
    session: Session,
    principals: frozenset[str],
    start: datetime,
    end: datetime,
    *,
    limit: int | None = None,
    **filters: Any,
) -> list[Slotted]:
    """The visible occurrences overlapping [start, end), in time order (see
    :func:`calendar_queries` for ``filters``): the two walks, each stopped at ``limit``
    (SQLite's planner would sort a compound of them whole), merged."""
    rows: list[Any] = []
    dialect = session.get_bind().dialect.name
    statements, values = calendar_queries(
        principals, start, end, limit=limit, dialect=dialect, **filters
    )
    for query in statements:
        rows.extend(session.execute(query, values).all())
    rows.sort(key=lambda row: (row.starts_at, row.id))
    return [Slotted(*row) for row in rows[:limit]]
