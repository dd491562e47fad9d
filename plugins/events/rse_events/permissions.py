"""Who may create events where, and who runs an event."""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.requests import Request

from rse_core import Content, Forbidden, NotFound, Space, access, can, current_user, may_moderate
from rse_core import principals as principals_of

from .events import readable
from .models import Event, Occurrence, Organiser

CREATE = "events.create"


def may_create_in(request: Request, space: Space | None) -> bool:
    """Company-wide: whoever holds ``events.create``; in a space: its members who hold it."""
    if space is not None and space.id not in access(request).roles:
        return False
    return can(request, CREATE, space)


def may_organise(request: Request, session: Session, event: Event, content: Content) -> bool:
    """An event's organisers, and the moderators of its space (or admins), run it."""
    me = current_user(request)
    if session.get(Organiser, (event.id, me.id)) is not None:
        return True
    return may_moderate(session, request, content, event.creator_id)


def organised(
    request: Request, session: Session, event_id: int, occurrence_id: int | None
) -> tuple[Event, Occurrence | None]:
    """The event the reader runs and, when one is named, its occurrence: NotFound (404) for
    an event they may not see or an occurrence of another event, Forbidden (403) when they
    see it but do not run it."""
    event, content = readable(session, event_id, principals_of(request))
    if not may_organise(request, session, event, content):
        raise Forbidden("Only its organisers run an event.")
    if occurrence_id is None:
        return event, None
    occurrence = session.get(Occurrence, occurrence_id)
    if occurrence is None or occurrence.event_id != event.id:
        raise NotFound("No such occurrence of this event.")
    return event, occurrence
