"""Event pages: upcoming events, the month calendar, a space's calendar, "my events", an
event with its occurrences and answers, the editor, .ics downloads, the import form and the
subscribable calendar feed."""

from __future__ import annotations

import calendar as calendar_mod
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from babel.dates import get_day_names
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from rse_core import (
    Space,
    User,
    ValidationError,
    access,
    current_user,
    feed_key,
    feed_reader,
    find_space,
    flash,
    language,
    member_spaces,
    parse_id,
    people_and_spaces,
    principals,
    public_base,
    reading_page,
    render,
    render_markdown,
    render_social,
    runtime,
    time_zone,
    utcnow,
    write,
)

from . import events, recurrence, rsvps
from .clock import Clock
from .i18n import N_
from .models import REMINDERS, Event, Occurrence, Rsvp
from .permissions import may_create_in, may_organise, organised

UPCOMING_DAYS = 60
UPCOMING_LIMIT = 50  # occurrences a page ("Later" goes on exactly where it stopped)
PER_DAY = 4  # a month cell shows this many, then "N more"
FORM_FIELDS = (
    "title",
    "description",
    "space",
    "starts_at",
    "ends_at",
    "timezone",
    "all_day",
    "location",
    "online_url",
    "capacity",
    "repeat",
    "interval",
    "days",
    "end",
    "count",
    "until",
    "occurrence",
    "scope",
    "organisers",
)
COMMON_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Brussels",
    "Europe/Zurich",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Montreal",
    "America/Sao_Paulo",
    "Africa/Casablanca",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
)


def clock(request: Request) -> Clock:
    """The reader's clock (zone and language)."""
    return Clock(time_zone(request), language(request))


def _by_day(rows: list[events.Slotted], reader: Clock) -> list[tuple[date, list[events.Slotted]]]:
    """Occurrences grouped by the reader's day they start on (a multi-day one on each of
    its days, within the rows' range)."""
    days: dict[date, list[events.Slotted]] = defaultdict(list)
    for row in rows:
        first = reader.day_of(row.starts_at, row.all_day)
        last_moment = row.ends_at - timedelta(seconds=1)
        last = reader.day_of(last_moment, row.all_day)
        day = first
        while day <= last and day - first < timedelta(days=62):
            days[day].append(row)
            day += timedelta(days=1)
    return sorted(days.items())


def _spaces_of(session: Session, rows: list[events.Slotted]) -> dict[int, Space]:
    return people_and_spaces(session, [], [r.space_id for r in rows])[1]


@reading_page
def upcoming(request: Request) -> Response:
    """GET /events: what is coming in the next 60 days, day by day (``?from=2026-12-01``)."""
    return _agenda(request, space=None)


@reading_page
def space_calendar(request: Request) -> Response:
    """GET /events/spaces/{slug}: a space's coming events."""
    with runtime(request).db.read() as session:
        space = find_space(session, access(request), request.path_params["slug"])
    return _agenda(request, space=space)


def _agenda(request: Request, *, space: Space | None) -> Response:
    reader = clock(request)
    today = reader.local(utcnow().replace(tzinfo=None)).date()
    first = _date_param(request.query_params.get("from")) or today
    start = datetime.combine(first, time(), reader.zone).astimezone(UTC)
    end = start + timedelta(days=UPCOMING_DAYS)
    after = events.read_cursor(request.query_params.get("after"))
    with runtime(request).db.read() as session:
        rows = events.occurrences_between(
            session,
            principals(request),
            max(start, utcnow()) if first == today else start,
            end,
            space_id=space.id if space else None,
            limit=UPCOMING_LIMIT + 1,
            after=after,
        )
        spaces = _spaces_of(session, rows)
        answers = rsvps.mine(session, current_user(request).id, [r.occurrence_id for r in rows])
    more = len(rows) > UPCOMING_LIMIT
    rows = rows[:UPCOMING_LIMIT]
    return render(
        request,
        "events/index.html",
        {
            "days": _by_day(rows, reader),
            "spaces": spaces,
            "answers": answers,
            "space": space,
            "clock": reader,
            "view": "space" if space else "upcoming",
            "may_create": may_create_in(request, space),
            # More than a page in the 60 days: the next page goes on after the last one
            # shown (a day can hold more than a page); otherwise the next 60 days.
            "later": urlencode(
                {"from": first.isoformat(), "after": events.cursor_of(rows[-1])}
                if more
                else {"from": (first + timedelta(days=UPCOMING_DAYS)).isoformat()}
            ),
            "first": first,
        },
    )


def _date_param(value: str | None) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        return None
    return day if 1900 < day.year < 2200 else None


def _month_param(value: str | None, today: date) -> date:
    if value:
        try:
            year, month = (int(p) for p in value[:7].split("-"))
            if 1900 < year < 2200 and 1 <= month <= 12:
                return date(year, month, 1)
        except ValueError:
            pass
    return today.replace(day=1)


async def month(request: Request) -> Response:
    """GET /events/month?month=2026-12: the month as a calendar (a list of days on a phone),
    a few events a day and how many more."""
    reader = clock(request)
    today = reader.local(utcnow().replace(tzinfo=None)).date()
    first = _month_param(request.query_params.get("month"), today)
    cal = calendar_mod.Calendar(firstweekday=0)
    weeks = cal.monthdatescalendar(first.year, first.month)
    start = datetime.combine(weeks[0][0], time(), reader.zone).astimezone(UTC)
    end = datetime.combine(weeks[-1][-1] + timedelta(days=1), time(), reader.zone).astimezone(UTC)
    space_slug = request.query_params.get("space")
    with runtime(request).db.read() as session:
        space = find_space(session, access(request), space_slug) if space_slug else None
        rows = events.occurrences_between(
            session, principals(request), start, end, space_id=space.id if space else None
        )
    days = dict(_by_day(rows, reader))
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return render(
        request,
        "events/month.html",
        {
            "weeks": weeks,
            "days": days,
            "first": first,
            "today": today,
            "clock": reader,
            "per_day": PER_DAY,
            "previous": previous.strftime("%Y-%m"),
            "following": following.strftime("%Y-%m"),
            "space": space,
            "view": "month",
            "may_create": may_create_in(request, None),
        },
    )


async def day_page(request: Request) -> Response:
    """GET /events/day/2026-12-01: every event of one day (a month cell's "N more")."""
    reader = clock(request)
    day = _date_param(request.path_params["day"])
    if day is None:
        raise ValidationError({"day": "Give a date such as 2026-12-01."})
    start = datetime.combine(day, time(), reader.zone).astimezone(UTC)
    with runtime(request).db.read() as session:
        rows = events.occurrences_between(
            session, principals(request), start, start + timedelta(days=1)
        )
        spaces = _spaces_of(session, rows)
        answers = rsvps.mine(session, current_user(request).id, [r.occurrence_id for r in rows])
    return render(
        request,
        "events/index.html",
        {
            "days": [(day, rows)] if rows else [],
            "spaces": spaces,
            "answers": answers,
            "space": None,
            "clock": reader,
            "view": "day",
            "may_create": may_create_in(request, None),
            "later": None,
            "first": day,
        },
    )


async def mine(request: Request) -> Response:
    """GET /events/mine: the occurrences I answered yes or maybe to, my reminder, and my
    calendar's subscription address."""
    reader = clock(request)
    me = current_user(request)
    now = utcnow()
    with runtime(request).db.read() as session:
        rows = events.occurrences_between(
            session,
            principals(request),
            now,
            now + timedelta(days=400),
            attendee_id=me.id,
            limit=UPCOMING_LIMIT,
        )
        spaces = _spaces_of(session, rows)
        answers = rsvps.mine(session, me.id, [r.occurrence_id for r in rows])
        minutes = rsvps.reminder_minutes(session, me.id)
        key = feed_key(request, session, session.get(User, me.id))
    feed = f"{public_base(request)}/feeds/events/{key}/calendar.ics" if key else None
    return render(
        request,
        "events/mine.html",
        {
            "days": _by_day(rows, reader),
            "spaces": spaces,
            "answers": answers,
            "clock": reader,
            "view": "mine",
            "minutes": minutes,
            "reminders": REMINDERS,
            "feed_url": feed,
            "may_create": may_create_in(request, None),
        },
    )


async def set_reminder(request: Request) -> Response:
    """POST /events/reminder: how long before my events to remind me."""
    form = await request.form()
    me = current_user(request)
    raw = parse_id(str(form.get("minutes") or "")) if form.get("minutes") != "0" else 0
    await write(
        request,
        lambda session: rsvps.set_reminder(
            session, session.get(User, me.id), -1 if raw is None else raw, utcnow()
        ),
    )
    return flash(request, RedirectResponse("/events/mine", status_code=303), N_("Saved."))


# One event ----------------------------------------------------------------------------------


def _chosen_occurrence(
    session: Session, event: Event, raw: object, now: datetime
) -> Occurrence | None:
    occurrence_id = parse_id(str(raw)) if raw else None
    if occurrence_id is not None:
        row = session.get(Occurrence, occurrence_id)
        if row is not None and row.event_id == event.id:
            return row
    return rsvps.next_occurrence(session, event, now)


async def event_page(request: Request) -> Response:
    """GET /events/{id}: the event, the chosen (else the next) occurrence's answers, the
    series' coming occurrences, likes and comments."""
    me = current_user(request)
    now = utcnow()
    reader = clock(request)
    with runtime(request).db.read() as session:
        event, content = events.readable(
            session, request.path_params["event_id"], principals(request)
        )
        occurrence = _chosen_occurrence(session, event, request.query_params.get("occurrence"), now)
        answers = rsvps.answers_of(session, occurrence.id) if occurrence else []
        coming = []
        if event.rrule:
            coming = list(
                session.execute(
                    select(Occurrence)
                    .where(Occurrence.event_id == event.id, Occurrence.ends_at > now)
                    .order_by(Occurrence.starts_at)
                    .limit(12)
                ).scalars()
            )
        organisers, spaces = people_and_spaces(
            session, sorted(events.organiser_ids(session, event)), [event.space_id]
        )
        organising = may_organise(request, session, event, content)
        mine_row = next((r for r, u in answers if u.id == me.id), None)
        counts = rsvps.counts(session, occurrence.id) if occurrence else {}
    rule = events.rule_of(event)
    return render(
        request,
        "events/event.html",
        {
            "event": event,
            "content": content,
            "occurrence": occurrence,
            "answers": answers,
            "mine": mine_row,
            "counts": counts,
            "coming": coming,
            "organisers": list(organisers.values()),
            "space": spaces.get(event.space_id),
            "clock": reader,
            "body_html": render_markdown(event.description),
            "rule": recurrence.describe(rule) if rule else None,
            "rule_days": rule_days(rule, reader.locale) if rule else [],
            "until_day": until_day(rule, reader) if rule else None,
            "organising": organising,
            "social": render_social(request, content),
            "over": occurrence is not None and occurrence.ends_at <= now,
        },
    )


async def rsvp(request: Request) -> Response:
    """POST /events/{id}/rsvp: answer for an occurrence (the form's buttons)."""
    form = await request.form()
    me = current_user(request)
    event_id = request.path_params["event_id"]
    occurrence_id = parse_id(str(form.get("occurrence") or ""))

    def run(session: Session) -> tuple[int, bool]:
        event, _content = events.readable(session, event_id, principals(request))
        chosen = occurrence_id or rsvps.only_occurrence(session, event)
        row = rsvps.answer(
            session, chosen, event, session.get(User, me.id), str(form.get("status")), utcnow()
        )
        return row.occurrence_id, bool(row.waitlisted)

    try:
        answered, waitlisted = await write(request, run)
    except ValidationError as exc:
        return flash(
            request,
            RedirectResponse(_back(event_id, occurrence_id), status_code=303),
            next(iter(exc.fields.values())),
        )
    said = (
        N_("It is full: you are on the waiting list.")
        if waitlisted
        else N_("Your answer is saved.")
    )
    return flash(request, RedirectResponse(_back(event_id, answered), status_code=303), said)


def _back(event_id: int, occurrence_id: int | None) -> str:
    return f"/events/{event_id}" + (f"?occurrence={occurrence_id}" if occurrence_id else "")


async def cancel(request: Request) -> Response:
    """POST /events/{id}/cancel: cancel one occurrence, the following ones, or the event."""
    form = await request.form()
    me = current_user(request)
    event_id = request.path_params["event_id"]
    occurrence_id = parse_id(str(form.get("occurrence") or ""))
    scope = str(form.get("scope") or "series")
    if scope not in events.SCOPES:
        raise ValidationError({"scope": "Choose this occurrence, the following ones, or all."})

    def run(session: Session) -> None:
        event, occurrence = organised(request, session, event_id, occurrence_id)
        events.cancel(
            session, event, session.get(User, me.id), utcnow(), occurrence=occurrence, scope=scope
        )

    await write(request, run)
    return flash(
        request,
        RedirectResponse(f"/events/{event_id}", status_code=303),
        N_("Cancelled: the attendees are told."),
    )


async def message(request: Request) -> Response:
    """POST /events/{id}/message: an organiser's message to an occurrence's attendees (or
    every coming occurrence's)."""
    form = await request.form()
    me = current_user(request)
    event_id = request.path_params["event_id"]
    occurrence_id = parse_id(str(form.get("occurrence") or ""))

    def run(session: Session) -> int:
        event, occurrence = organised(request, session, event_id, occurrence_id)
        if occurrence is not None and form.get("to") != "all":
            ids = [occurrence.id]
        else:
            ids = events.future_occurrence_ids(session, event, utcnow())
        return rsvps.message_attendees(
            session, event, session.get(User, me.id), form.get("text"), ids
        )

    try:
        told = await write(request, run)
    except ValidationError as exc:
        return flash(
            request,
            RedirectResponse(_back(event_id, occurrence_id), status_code=303),
            next(iter(exc.fields.values())),
        )
    return flash(
        request,
        RedirectResponse(_back(event_id, occurrence_id), status_code=303),
        N_("Message sent.") if told else N_("Nobody to tell yet."),
    )


# The editor ---------------------------------------------------------------------------------


WEEKDAY_CODES = recurrence.WEEKDAYS


def rule_days(rule: recurrence.Rule, locale: str) -> list[tuple[int, str]]:
    """A rule's days as the event page says them: (0, "Monday") for every Monday,
    (2, "Tuesday") for the second one of the month, (-1, "Friday") for the last."""
    names = get_day_names("wide", locale=locale)
    days = []
    for part in recurrence.describe(rule)["days"]:
        found = recurrence.BYDAY.match(str(part))
        if found is not None:
            nth, code = found.groups()
            days.append((int(nth or 0), names[WEEKDAY_CODES.index(code)]))
    return days


def until_day(rule: recurrence.Rule, reader: Clock) -> date | None:
    """The last day a rule's UNTIL allows, on the reader's calendar (UTC in the rule)."""
    text = rule.get("UNTIL")
    if not text:
        return None
    day = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    if len(text) > 8:  # 20270630T215959Z: a moment in UTC
        moment = datetime.combine(day, time(int(text[9:11]), int(text[11:13])), UTC)
        return reader.day_of(moment)
    return day


def weekday_choices(locale: str) -> list[tuple[str, str]]:
    """The weekly rule's days as the form offers them: ("MO", "Mon") ... in the reader's
    language, Monday first (RFC 5545's codes are MO..SU in the same order)."""
    names = get_day_names("abbreviated", locale=locale)
    return [(code, names[n]) for n, code in enumerate(WEEKDAY_CODES)]


def rule_from_form(form: dict[str, Any], start: datetime | None) -> str | None:
    """The RRULE the form's repeat choices describe (None: it does not repeat)."""
    repeat = form.get("repeat") or "none"
    if repeat == "none":
        return None
    interval = parse_id(str(form.get("interval") or "1")) or 1
    parts = {
        "daily": ["FREQ=DAILY"],
        "weekly": ["FREQ=WEEKLY"],
        "monthly_date": ["FREQ=MONTHLY"],
        "monthly_weekday": ["FREQ=MONTHLY"],
        "yearly": ["FREQ=YEARLY"],
    }.get(str(repeat))
    if parts is None:
        raise ValidationError({"rrule": "Choose how the event repeats."})
    if interval > 1:
        parts.append(f"INTERVAL={interval}")
    if repeat == "weekly":
        days = [d for d in form.get("days", []) if d in WEEKDAY_CODES]
        if not days and start is not None:
            days = [WEEKDAY_CODES[start.weekday()]]
        if days:
            parts.append("BYDAY=" + ",".join(days))
    if repeat == "monthly_date" and start is not None:
        parts.append(f"BYMONTHDAY={start.day}")
    if repeat == "monthly_weekday" and start is not None:
        nth = (start.day - 1) // 7 + 1
        parts.append(f"BYDAY={-1 if nth == 5 else nth}{WEEKDAY_CODES[start.weekday()]}")
    if form.get("end") == "until":
        until = _date_param(str(form.get("until") or ""))
        if until is None:
            raise ValidationError({"until": "Choose the last day."})
        parts.append(f"UNTIL={until.strftime('%Y%m%d')}")
    else:
        count = parse_id(str(form.get("count") or ""))
        if count is None:
            raise ValidationError({"count": "Say how many times."})
        parts.append(f"COUNT={count}")
    return ";".join(parts)


def _form_values(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {k: form.get(k) for k in FORM_FIELDS if form.get(k) is not None}
    values["days"] = form.getlist("days")
    values["all_day"] = form.get("all_day") == "1"
    return values


def _form_data(values: dict[str, Any]) -> dict[str, Any]:
    """What the editor's form says, in the API's terms."""
    data: dict[str, Any] = {
        "title": values.get("title"),
        "description": values.get("description") or "",
        "timezone": values.get("timezone") or None,
        "all_day": values["all_day"],
        "location": values.get("location") or "",
        "online_url": values.get("online_url") or "",
        "capacity": values.get("capacity") or None,
        "organisers": values.get("organisers"),
    }
    for name in ("starts_at", "ends_at"):
        raw = (values.get(name) or "").strip()
        data[name] = raw[:10] if raw and values["all_day"] else (raw or None)
    start = None
    if data["starts_at"]:
        try:
            start = datetime.fromisoformat(data["starts_at"])
        except ValueError:
            start = None
    data["rrule"] = rule_from_form(values, start)
    return data


def _editor(
    request: Request,
    event: Event | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    with runtime(request).db.read() as session:
        spaces = member_spaces(request, session) if event is None else ()
    return render(
        request,
        "events/editor.html",
        {
            "event": event,
            "values": values,
            "errors": errors,
            "spaces": spaces,
            "zones": COMMON_ZONES,
            "weekdays": weekday_choices(language(request)),
        },
        status_code=status_code,
    )


async def new_event(request: Request) -> Response:
    """GET /events/new: an empty editor (``?space=``, ``?day=`` preselect)."""
    reader = clock(request)
    day = (
        _date_param(request.query_params.get("day"))
        or (reader.local(utcnow().replace(tzinfo=None)) + timedelta(days=1)).date()
    )
    values = {
        "space": request.query_params.get("space", ""),
        "timezone": reader.zone.key,
        "starts_at": f"{day.isoformat()}T10:00",
        "ends_at": f"{day.isoformat()}T11:00",
        "repeat": "none",
        "count": "10",
        "end": "count",
        "days": [],
    }
    return _editor(request, None, values, {})


async def create(request: Request) -> Response:
    """POST /events: the editor's form for a new event."""
    form = await request.form()
    me = current_user(request)
    values = _form_values(form)
    zone = time_zone(request).key
    try:
        data = _form_data(values)

        def run(session: Session) -> int:
            slug = values.get("space") or None
            space = find_space(session, access(request), slug) if slug else None
            if not may_create_in(request, space):
                raise ValidationError({"space": "You may not create events there."})
            fields = events.clean(data, creating=True, zone=zone)
            return events.create_event(
                session, session.get(User, me.id), space, fields, utcnow()
            ).id

        event_id = await write(request, run)
    except ValidationError as exc:
        return _editor(request, None, values, exc.fields, status_code=422)
    return flash(
        request,
        RedirectResponse(f"/events/{event_id}", status_code=303),
        N_("The event is created."),
    )


def _values_of(event: Event, occurrence: Occurrence | None, reader: Clock) -> dict[str, Any]:
    zone = events.zone_of(event.time_zone)
    start = occurrence.starts_at if occurrence else event.starts_at
    end = occurrence.ends_at if occurrence else event.ends_at
    rule = recurrence.describe(events.rule_of(event)) if event.rrule else None
    values: dict[str, Any] = {
        "title": event.title,
        "description": event.description,
        "timezone": event.time_zone,
        "all_day": event.all_day,
        "location": event.location,
        "online_url": event.online_url,
        "capacity": str(event.capacity) if event.capacity else "",
        "starts_at": start.date().isoformat() if event.all_day else reader.input_value(start, zone),
        "ends_at": (end - timedelta(days=1)).date().isoformat()
        if event.all_day
        else reader.input_value(end, zone),
        "repeat": "none",
        "days": [],
        "end": "count",
        "count": "10",
    }
    if rule:
        freq = rule["freq"]
        days = rule["days"]
        values["repeat"] = {
            "DAILY": "daily",
            "WEEKLY": "weekly",
            "YEARLY": "yearly",
            "MONTHLY": "monthly_weekday" if days else "monthly_date",
        }[freq]
        values["days"] = days
        values["interval"] = rule["interval"]
        if rule["until"]:
            values["end"], values["until"] = (
                "until",
                f"{rule['until'][:4]}-{rule['until'][4:6]}-{rule['until'][6:8]}",
            )
        else:
            values["count"] = rule["count"]
    return values


async def edit_form(request: Request) -> Response:
    """GET /events/{id}/edit?occurrence=&scope=: the editor for the series, one occurrence,
    or this and the following ones."""
    reader = clock(request)
    with runtime(request).db.read() as session:
        occurrence_id = parse_id(request.query_params.get("occurrence"))
        event, occurrence = organised(
            request, session, request.path_params["event_id"], occurrence_id
        )
        others = sorted(events.organiser_ids(session, event) - {event.creator_id})
        people, _ = people_and_spaces(session, others, [])
    scope = request.query_params.get("scope") or "series"
    values = _values_of(event, occurrence if scope != "series" else None, reader)
    values["organisers"] = ", ".join(sorted(u.username for u in people.values()))
    values["occurrence"] = occurrence.id if occurrence else ""
    values["scope"] = scope if scope in events.SCOPES else "series"
    return _editor(request, event, values, {})


async def update(request: Request) -> Response:
    """POST /events/{id}/edit: save the editor's changes."""
    form = await request.form()
    me = current_user(request)
    event_id = request.path_params["event_id"]
    values = _form_values(form)
    scope = values.get("scope") if values.get("scope") in events.SCOPES else "series"

    def run(session: Session) -> int:
        occurrence_id = parse_id(str(values.get("occurrence") or ""))
        event, occurrence = organised(request, session, event_id, occurrence_id)
        data = _form_data(values)
        if scope == "this":
            data = {"starts_at": data["starts_at"], "ends_at": data["ends_at"]}
        fields = events.clean(data, creating=False, current=event)
        changed = events.edit_event(
            session,
            event,
            session.get(User, me.id),
            fields,
            utcnow(),
            occurrence=occurrence,
            scope=scope,
        )
        return changed.id

    try:
        changed_id = await write(request, run)
    except ValidationError as exc:
        with runtime(request).db.read() as session:
            event, _ = events.readable(session, event_id, principals(request))
        return _editor(request, event, values, exc.fields, status_code=422)
    return flash(
        request,
        RedirectResponse(f"/events/{changed_id}", status_code=303),
        N_("Saved: the attendees are told of a new time or place."),
    )


# iCalendar ----------------------------------------------------------------------------------


def _ics(body: bytes, filename: str) -> Response:
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="{filename}"',
            "cache-control": "private, no-store",
        },
    )


async def event_ics(request: Request) -> Response:
    """GET /events/{id}.ics: the event (its whole series) for a calendar program."""
    from . import ical  # icalendar (~3 MB) is loaded by the workers that serve calendars

    with runtime(request).db.read() as session:
        event, _ = events.readable(session, request.path_params["event_id"], principals(request))
        body = ical.calendar(
            ical.with_occurrences(session, [event]), base=public_base(request), name=event.title
        )
    return _ics(body, f"event-{event.id}.ics")


async def feed(request: Request) -> Response:
    """GET /feeds/events/{token}/calendar.ics[?spaces=1]: a person's calendar for calendar
    programs: the events they answered yes or maybe to, and with ``spaces=1`` every event
    of their spaces and the company's. The key is their feed key (revoked at /profile/feed);
    what it shows is filtered by what they may see today."""
    from . import ical  # icalendar (~3 MB) is loaded by the workers that serve calendars

    with runtime(request).db.read() as session:
        found = feed_reader(request, session, request.path_params["token"], plugin="events")
        if found is None:
            return Response("Not found", status_code=404)
        user, scope = found
        since = utcnow() - timedelta(days=90)
        chosen = select(Occurrence.event_id).where(
            Occurrence.id.in_(
                select(Rsvp.occurrence_id).where(Rsvp.user_id == user.id, Rsvp.status != "no")
            )
        )
        ids = set(session.execute(chosen).scalars())
        if request.query_params.get("spaces") == "1":
            rows = events.occurrences_between(
                session,
                scope,
                since,
                since + timedelta(days=455),
                include_cancelled=True,
                limit=5000,
            )
            ids |= {r.event_id for r in rows}
        visible_ids = set(session.execute(events.visible_events(scope, sorted(ids))).scalars())
        chosen_events = list(
            session.execute(
                select(Event).where(Event.id.in_(sorted(visible_ids))).order_by(Event.id)
            ).scalars()
        )
        body = ical.calendar(
            ical.with_occurrences(session, chosen_events),
            base=public_base(request),
            name=f"rse · {user.display_name}",
        )
    return _ics(body, "calendar.ics")


async def import_form(request: Request) -> Response:
    """GET /events/import: upload an .ics file."""
    with runtime(request).db.read() as session:
        spaces = member_spaces(request, session)
    return render(request, "events/import.html", {"spaces": spaces, "errors": {}, "values": {}})


async def import_file(request: Request) -> Response:
    """POST /events/import: create the file's events, all or none."""
    from . import ical  # icalendar (~3 MB) is loaded by the workers that serve calendars

    me = current_user(request)
    zone = time_zone(request).key
    async with request.form(max_files=1, max_fields=10) as form:
        upload = form.get("file")
        slug = str(form.get("space") or "") or None
        data = b""
        if upload is not None and not isinstance(upload, str):
            data = await upload.read(ical.MAX_IMPORT_BYTES + 1)
    try:
        if not data:
            raise ValidationError({"file": "Choose an .ics file."})
        items = ical.parse(data, zone)

        def run(session: Session) -> int:
            space = find_space(session, access(request), slug) if slug else None
            if not may_create_in(request, space):
                raise ValidationError({"space": "You may not create events there."})
            creator = session.get(User, me.id)
            return len(ical.import_events(session, items, creator, space, utcnow()))

        count = await write(request, run)
    except ValidationError as exc:
        with runtime(request).db.read() as session:
            spaces = member_spaces(request, session)
        return render(
            request,
            "events/import.html",
            {"spaces": spaces, "errors": exc.fields, "values": {"space": slug}},
            status_code=422,
        )
    said = N_("The events are imported.") if count else N_("Nothing to import.")
    return flash(request, RedirectResponse("/events", status_code=303), said)


PAGE_ROUTES = (
    Route("/events", upcoming, methods=["GET"]),
    Route("/events", create, methods=["POST"]),
    Route("/events/month", month, methods=["GET"]),
    Route("/events/day/{day}", day_page, methods=["GET"]),
    Route("/events/mine", mine, methods=["GET"]),
    Route("/events/reminder", set_reminder, methods=["POST"]),
    Route("/events/new", new_event, methods=["GET"]),
    Route("/events/import", import_form, methods=["GET"]),
    Route("/events/import", import_file, methods=["POST"]),
    Route("/events/spaces/{slug}", space_calendar, methods=["GET"]),
    Route("/events/{event_id:int}.ics", event_ics, methods=["GET"]),
    Route("/events/{event_id:int}", event_page, methods=["GET"]),
    Route("/events/{event_id:int}/edit", edit_form, methods=["GET"]),
    Route("/events/{event_id:int}/edit", update, methods=["POST"]),
    Route("/events/{event_id:int}/rsvp", rsvp, methods=["POST"]),
    Route("/events/{event_id:int}/cancel", cancel, methods=["POST"]),
    Route("/events/{event_id:int}/message", message, methods=["POST"]),
    Route("/feeds/events/{token}/calendar.ics", feed, methods=["GET"]),
)
