"""Who may reach what: the checks that endpoints call. One place for each rule."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection

from .context import current_user


def require_admin(conn: HTTPConnection) -> None:
    """Refuse the request unless a site admin makes it (403; 404 would be no more secret)."""
    user = current_user(conn)
    if user is None or not getattr(user, "is_admin", False):
        raise HTTPException(403)
