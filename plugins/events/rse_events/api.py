"""The events API under /api/v1/events: create, read, edit, cancel, answer, and list the
occurrences of a range of time."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import BeforeValidator, Field
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rse_core import (
    ApiBody,
    ApiError,
    ApiId,
    ApiInt,
    ApiLink,
    ApiQuery,
    ApiShape,
    ApiText,
    Conflict,
    Space,
    User,
    access,
    api,
    api_routes,
    current_user,
    find_space,
    people_and_spaces,
    principals,
    render_markdown,
    runtime,
    time_zone,
    utcnow,
    write,
)

from . import events, rsvps
from .models import Event, Rsvp
from .permissions import may_create_in, organised

Answer = Literal["yes", "maybe", "no"]
Scope = Literal["this", "following", "series"]
MAX_RANGE = timedelta(days=400)


def _iso_text(value: Any) -> Any:
    """Dates and times come as ISO 8601 text (pydantic would also read 0.5 as a timestamp)."""
    if not isinstance(value, str) or not ISO_DATE.match(value):
        raise ValueError("give an ISO 8601 date or date and time")
    return value


ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]|$)")
LAX = Field(strict=False)  # JSON carries dates and times as text
Moment = Annotated[
    Annotated[datetime, LAX] | Annotated[date, LAX],
    BeforeValidator(_iso_text),
    Field(
        description="ISO 8601: 2026-12-24T18:00+01:00, or on the event zone's clock "
        "(2026-12-24T18:00); a date (2026-12-24) for an all-day event, whose ends_at is its "
        "last day",
    ),
]
Capacity = ApiInt(1, events.MAX_CAPACITY)
# The zones this machine knows, listed in the document (so a client knows what it may send);
# checked by the service itself, whose refusal names the field without listing them all.
ZONES = sorted(available_timezones())
Zone = Annotated[str, Field(max_length=64, json_schema_extra={"enum": ZONES})]
OnlineUrl = Annotated[
    str,
    Field(
        max_length=events.MAX_URL,
        pattern=r"^$|^[hH][tT][tT][pP][sS]?://[^\s/?#]+([/?#]\S*)?$",
        description="an http or https meeting link; empty for none",
    ),
]


Organisers = Annotated[
    list[ApiText(60, required=True)],
    Field(
        max_length=events.MAX_ORGANISERS,
        description="user names of the people who run it with its creator (who stays one)",
    ),
]


class OccurrenceOut(ApiShape):
    """One occurrence of an event, in UTC"""

    id: int
    event: int
    url: str
    title: str
    starts_at: str
    ends_at: str
    all_day: bool
    location: str
    space: str | None
    cancelled: bool
    moved: bool


class CountsOut(ApiShape):
    """Answers for the next occurrence"""

    occurrence: int | None
    going: int
    maybe: int
    waiting: int


class EventOut(ApiShape):
    """An event (a series when ``rrule`` is set); times in UTC, ``timezone`` its own"""

    id: int
    content_id: int
    url: str
    ics_url: str
    title: str
    description: str
    html: str
    starts_at: str
    ends_at: str
    timezone: str
    all_day: bool
    location: str
    online_url: str
    capacity: int | None
    rrule: str | None
    space: str | None
    organisers: list[str]
    cancelled: bool
    next: CountsOut
    created_at: str
    updated_at: str


class OccurrencePage(ApiShape):
    """Occurrences in time order, rules expanded (cancelled ones left out); ``next`` is the
    ``after`` of the following page"""

    items: list[OccurrenceOut]
    next: str | None


class RsvpOut(ApiShape):
    """Your answer for one occurrence; ``waitlisted``: every place was taken"""

    event: int
    occurrence: int
    status: Answer
    waitlisted: bool


class EventIn(ApiBody):
    """A new event; with ``rrule`` (RFC 5545, with COUNT or UNTIL; at most 1,000
    occurrences), a series"""

    title: ApiText(events.MAX_TITLE, required=True)
    description: ApiText(events.MAX_DESCRIPTION) | None = None
    starts_at: Moment
    ends_at: Moment
    timezone: Zone | None = None
    all_day: bool | None = None
    location: ApiText(events.MAX_LOCATION) | None = None
    online_url: OnlineUrl | None = None
    capacity: Capacity | None = None
    space: ApiText(60) | None = None
    rrule: ApiText(500) | None = None
    organisers: Organisers | None = None


class EventEdit(ApiBody):
    """Changes to an event: to the whole series (``scope: series``, the default), to one
    ``occurrence`` (``this``: its time only), or from it on (``following``: the series
    splits in two)"""

    title: ApiText(events.MAX_TITLE, required=True) | None = None
    description: ApiText(events.MAX_DESCRIPTION) | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    timezone: Zone | None = None
    all_day: bool | None = None
    location: ApiText(events.MAX_LOCATION) | None = None
    online_url: OnlineUrl | None = None
    capacity: Capacity | None = None
    rrule: ApiText(500) | None = None
    organisers: Organisers | None = None
    occurrence: ApiId | None = None
    scope: Scope = "series"


class RsvpIn(ApiBody):
    """An answer; ``occurrence`` is needed for a series"""

    status: Answer
    occurrence: ApiId | None = None


class CancelQuery(ApiQuery):
    occurrence: ApiId | None = None
    scope: Scope = "series"


Bound = Annotated[datetime | date, BeforeValidator(_iso_text)]


Cursor = Annotated[
    str,
    Field(
        pattern=events.CURSOR.pattern,
        description="the ``next`` of the previous page: where it stopped",
    ),
]


class RangeQuery(ApiQuery):
    from_: Annotated[Bound | None, Field(alias="from")] = None
    to: Bound | None = None
    space: ApiText(60) | None = None
    after: Cursor | None = None
    limit: Annotated[int, Field(ge=1, le=1000)] = 500


# Ids start at 1: a fuzzer told so spends its requests on events that may exist.
PATH_SCHEMAS = {"event_id": {"minimum": 1}}
EVENT_LINKS = {
    "GetEvent": ApiLink("events.getEvent", {"event_id": "$response.body#/id"}),
    "EditEvent": ApiLink("events.editEvent", {"event_id": "$response.body#/id"}),
    "CancelEvent": ApiLink("events.cancelEvent", {"event_id": "$response.body#/id"}),
    "Answer": ApiLink("events.answer", {"event_id": "$response.body#/id"}),
}


def _iso(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).isoformat()


def occurrence_json(row: events.Slotted, space: Space | None) -> dict[str, Any]:
    """An occurrence as the API shows it."""
    return {
        "id": row.occurrence_id,
        "event": row.event_id,
        "url": f"/events/{row.event_id}?occurrence={row.occurrence_id}",
        "title": row.title,
        "starts_at": _iso(row.starts_at),
        "ends_at": _iso(row.ends_at),
        "all_day": row.all_day,
        "location": row.location,
        "space": space.slug if space else None,
        "cancelled": row.cancelled,
        "moved": row.moved,
    }


def event_json(session: Session, event: Event) -> dict[str, Any]:
    """An event as the API shows it, with the answers for its next occurrence."""
    organisers, spaces = people_and_spaces(
        session, sorted(events.organiser_ids(session, event)), [event.space_id]
    )
    nxt = rsvps.next_occurrence(session, event, utcnow())
    counts = rsvps.counts(session, nxt.id) if nxt else {"going": 0, "maybe": 0, "waiting": 0}
    return {
        "id": event.id,
        "content_id": event.content_id,
        "url": events.event_url(event),
        "ics_url": f"/events/{event.id}.ics",
        "title": event.title,
        "description": event.description,
        "html": str(render_markdown(event.description)),
        "starts_at": _iso(event.starts_at),
        "ends_at": _iso(event.ends_at),
        "timezone": event.time_zone,
        "all_day": event.all_day,
        "location": event.location,
        "online_url": event.online_url,
        "capacity": event.capacity,
        "rrule": event.rrule,
        "space": spaces[event.space_id].slug if event.space_id in spaces else None,
        "organisers": sorted(u.username for u in organisers.values()),
        "cancelled": event.cancelled_at is not None,
        "next": {"occurrence": nxt.id if nxt else None, **counts},
        "created_at": _iso(event.created_at),
        "updated_at": _iso(event.updated_at),
    }


async def _answer(request: Request, event_id: int, status: int) -> Response:
    with runtime(request).db.read() as session:
        event, _content = events.readable(session, event_id, principals(request))
        return JSONResponse(event_json(session, event), status_code=status)


def _given(body: ApiBody) -> dict[str, Any]:
    return body.model_dump(exclude_unset=True)


@api(
    "POST",
    "/api/v1/events",
    summary="Create an event (or a recurring series) for the company or one of your spaces",
    operation_id="events.createEvent",
    body=EventIn,
    responses={201: EventOut},
    errors=(403, 404, 409),
    links={201: EVENT_LINKS},
)
async def api_create(request: Request, body: EventIn) -> Response:
    """POST /api/v1/events {"title", "starts_at", "ends_at", ...}."""
    me = current_user(request)
    data = _given(body)
    zone = time_zone(request).key

    def run(session: Session) -> int:
        space = find_space(session, access(request), body.space) if body.space else None
        if not may_create_in(request, space):
            raise ApiError(403, "forbidden", "You may not create events here.")
        fields = events.clean(data, creating=True, zone=zone)
        return events.create_event(session, session.get(User, me.id), space, fields, utcnow()).id

    return await _answer(request, await write(request, run), 201)


@api(
    "GET",
    "/api/v1/events/{event_id:int}",
    path_schemas=PATH_SCHEMAS,
    summary="An event",
    operation_id="events.getEvent",
    responses={200: EventOut},
)
async def api_get(request: Request) -> Response:
    """GET /api/v1/events/{id}."""
    return await _answer(request, request.path_params["event_id"], 200)


@api(
    "PATCH",
    "/api/v1/events/{event_id:int}",
    path_schemas=PATH_SCHEMAS,
    summary="Change an event: the series, one occurrence, or this and the following ones",
    operation_id="events.editEvent",
    body=EventEdit,
    responses={200: EventOut},
    errors=(403, 409),
    links={200: EVENT_LINKS},
)
async def api_update(request: Request, body: EventEdit) -> Response:
    """PATCH /api/v1/events/{id}: an organiser (or a moderator of its space)."""
    me = current_user(request)
    event_id = request.path_params["event_id"]
    data = {k: v for k, v in _given(body).items() if k not in ("occurrence", "scope")}

    def run(session: Session) -> int:
        event, occurrence = organised(request, session, event_id, body.occurrence)
        fields = events.clean(data, creating=False, current=event)
        changed = events.edit_event(
            session,
            event,
            session.get(User, me.id),
            fields,
            utcnow(),
            occurrence=occurrence,
            scope=body.scope,
        )
        return changed.id

    return await _answer(request, await write(request, run), 200)


@api(
    "DELETE",
    "/api/v1/events/{event_id:int}",
    path_schemas=PATH_SCHEMAS,
    summary="Cancel an event, one occurrence, or this and the following ones",
    operation_id="events.cancelEvent",
    query=CancelQuery,
    responses={204: None},
    errors=(403, 409),
)
async def api_cancel(request: Request, query: CancelQuery) -> Response:
    """DELETE /api/v1/events/{id}?occurrence=&scope=: attendees are told."""
    me = current_user(request)

    def run(session: Session) -> None:
        event_id = request.path_params["event_id"]
        event, occurrence = organised(request, session, event_id, query.occurrence)
        events.cancel(
            session,
            event,
            session.get(User, me.id),
            utcnow(),
            occurrence=occurrence,
            scope=query.scope,
        )

    await write(request, run)
    return Response(status_code=204)


@api(
    "POST",
    "/api/v1/events/{event_id:int}/rsvp",
    path_schemas=PATH_SCHEMAS,
    summary="Answer yes, maybe or no for an occurrence; a yes when it is full joins the "
    "waiting list",
    operation_id="events.answer",
    body=RsvpIn,
    responses={200: RsvpOut},
    errors=(409,),
)
async def api_rsvp(request: Request, body: RsvpIn) -> Response:
    """POST /api/v1/events/{id}/rsvp {"status", "occurrence"?}."""
    me = current_user(request)

    def run(session: Session) -> dict[str, Any]:
        event, _content = events.readable(
            session, request.path_params["event_id"], principals(request)
        )
        occurrence_id = body.occurrence or rsvps.only_occurrence(session, event)
        row: Rsvp = rsvps.answer(
            session, occurrence_id, event, session.get(User, me.id), body.status, utcnow()
        )
        return {
            "event": event.id,
            "occurrence": row.occurrence_id,
            "status": row.status,
            "waitlisted": bool(row.waitlisted),
        }

    return JSONResponse(await write(request, run))


def bound(value: datetime | date | None, default: datetime) -> datetime:
    """``from``/``to``: a date (midnight UTC) or a time (UTC unless it says otherwise)."""
    if value is None:
        return default
    if not isinstance(value, datetime):
        value = datetime.combine(value, datetime.min.time())
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


@api(
    "GET",
    "/api/v1/events",
    summary="The occurrences you may see in a range of time (rules expanded), in time order",
    operation_id="events.listOccurrences",
    query=RangeQuery,
    responses={200: OccurrencePage},
    errors=(404, 409),
)
async def api_list(request: Request, query: RangeQuery) -> Response:
    """GET /api/v1/events?from=&to=&space=&after=&limit= (from now to 30 days on by default;
    at most 400 days at once; 500 occurrences a page, ``next`` for the following one)."""
    start = bound(query.from_, utcnow())
    end = bound(query.to, start + timedelta(days=30))
    # Values the document accepts but that contradict each other: 409, naming the field.
    if end <= start:
        raise Conflict({"to": "The end of the range must be after its start."})
    if end - start > MAX_RANGE:
        raise Conflict({"to": "Ask for at most 400 days at once."})
    with runtime(request).db.read() as session:
        space_id = find_space(session, access(request), query.space).id if query.space else None
        rows = events.occurrences_between(
            session,
            principals(request),
            start,
            end,
            space_id=space_id,
            after=events.read_cursor(query.after),
            limit=query.limit + 1,
        )
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        _, spaces = people_and_spaces(session, [], [r.space_id for r in rows])
        items = [occurrence_json(r, spaces.get(r.space_id)) for r in rows]
    return JSONResponse({"items": items, "next": events.cursor_of(rows[-1]) if more else None})


API_ROUTES = api_routes(api_create, api_get, api_update, api_cancel, api_rsvp, api_list)
