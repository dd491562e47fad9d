"""Who may create events where, and who runs an event."""

from __future__ import annotations

from sqlalchemy.orm import Session
from starlette.requests import Request

from rse_core import Content, Space, access, can, current_user, may_moderate

from .models import Event, Organiser

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
