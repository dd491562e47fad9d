"""Hook implementations of the events plugin."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, select
from starlette.requests import Request

from rse_core import (
    EvidenceKind,
    ExportTable,
    Job,
    NavItem,
    Permission,
    SpaceTab,
    hookimpl,
    principals,
    render_fragment,
    runtime,
    utcnow,
)

from . import api, events, rsvps, views
from .demo import load_demo
from .i18n import N_
from .models import Event, Occurrence, Organiser, Rsvp
from .permissions import CREATE

HOME_WIDGET_DAYS = 30


@hookimpl
def rse_routes(settings):
    """The calendars, an event's page and editor, .ics downloads and the calendar feed."""
    return list(views.PAGE_ROUTES)


@hookimpl
def rse_api_routes(settings):
    """The events API under /api/v1/events."""
    return list(api.API_ROUTES)


@hookimpl
def rse_permissions():
    """Creating events (company-wide; in a space, its members)."""
    return [Permission(CREATE, N_("Create events"), default_roles=("everyone",))]


@hookimpl
def rse_jobs():
    """``events.remind``: remind an attendee before an occurrence."""
    return [Job(rsvps.REMIND_JOB, rsvps.remind)]


@hookimpl
def rse_nav_items(request: Request):
    """An "Events" entry in the header."""
    return [NavItem(N_("Events"), "/events", order=35)]


@hookimpl
def rse_space_tabs(request: Request, space):
    """A space's calendar."""
    return [SpaceTab(N_("Events"), f"/events/spaces/{space.slug}", order=45)]


@hookimpl
def rse_prepare_entries(request: Request, entries):
    """The events of a stream page's entries, in one query (by their unique content ids)."""
    ids = [entry.content.id for entry in entries if entry.content.type == "events.event"]
    if not ids:
        return None
    with runtime(request).db.read() as session:
        found = session.execute(_EVENTS_OF_ITEMS, {"ids": ids}).scalars()
        return {event.content_id: event for event in found}


_EVENTS_OF_ITEMS = select(Event).where(Event.content_id.in_(bindparam("ids", expanding=True)))


@hookimpl
def rse_render_activity(request: Request, entry, prepared):
    """An event in the stream: its title, when, and where (``prepared``: its event row)."""
    if entry.content.type != "events.event":
        return None
    return render_fragment(
        request,
        "events/entry.html",
        {"entry": entry, "event": prepared, "clock": views.clock(request)},
    )


@hookimpl
def rse_home_widgets(request: Request):
    """The reader's next events (what they may see in the coming 30 days)."""
    now = utcnow()
    with runtime(request).db.read() as session:
        rows = events.occurrences_between(
            session, principals(request), now, now + timedelta(days=HOME_WIDGET_DAYS), limit=5
        )
    return [
        render_fragment(
            request, "events/widget.html", {"rows": rows, "clock": views.clock(request)}
        )
    ]


@hookimpl
def rse_demo_data(session, settings):
    """A weekly team meeting, a training with few places, a company party."""
    load_demo(session)


@hookimpl
def rse_evidence_kinds():
    """An event under a tag: its organiser works on it."""
    return [EvidenceKind("events.event", N_("event organised"), N_("events organised"), 0.5)]


@hookimpl
def rse_content_types():
    """The names search shows for this plugin's items."""
    return {"events.event": N_("Event")}


@hookimpl
def rse_personal_data(session, user):
    """The person's answers to events (going, maybe, not going; waiting list) and the events
    they organise."""
    answers = session.execute(
        select(Rsvp, Occurrence.starts_at, Event.title)
        .join(Occurrence, Occurrence.id == Rsvp.occurrence_id)
        .join(Event, Event.id == Occurrence.event_id)
        .where(Rsvp.user_id == user.id)
        .order_by(Occurrence.starts_at)
    )
    organised = session.scalars(
        select(Event.title)
        .join(Organiser, Organiser.event_id == Event.id)
        .where(Organiser.user_id == user.id)
    )
    return {
        "answers": [
            {
                "event": title,
                "starts_at": starts.isoformat(),
                "answer": rsvp.status,
                "waiting_list": rsvp.waitlisted,
            }
            for rsvp, starts, title in answers
        ],
        "organises": sorted(organised),
    }


@hookimpl
def rse_export_tables() -> list[ExportTable]:
    """Events, their organisers, occurrences, answers and reminders."""
    return [
        ExportTable("event_event"),
        ExportTable("event_organiser"),
        ExportTable("event_occurrence"),
        ExportTable("event_rsvp"),
        ExportTable("event_reminder"),
    ]
