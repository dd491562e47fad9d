"""Server-side sessions: the cookie carries a random token, the database its hash.

Logging out deletes the row, so the cookie is dead everywhere at once; a password change
deletes every row of the user.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from ..db import utcnow
from .models import AuthSession, User

SESSION_COOKIE = "rse_session"
SESSION_LIFETIME = timedelta(days=14)


def token_hash(token: str) -> str:
    """The stored form of a session or API token (tokens are random: sha256 is enough)."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, *, ip: str = "", user_agent: str = "") -> str:
    """Create a session for ``user``; return the token to put in the cookie."""
    token = secrets.token_urlsafe(32)
    session.add(
        AuthSession(
            id=token_hash(token),
            user_id=user.id,
            expires_at=utcnow() + SESSION_LIFETIME,
            ip=ip[:64],
            user_agent=user_agent[:300],
        )
    )
    return token


# Built once: a statement's construction costs more than running it, on every request.
_SESSION_USER = (
    select(User)
    .join(AuthSession, AuthSession.user_id == User.id)
    .where(
        AuthSession.id == bindparam("token_hash"),
        AuthSession.expires_at > bindparam("now"),
        User.is_active.is_(True),
    )
)


def user_for_session(session: Session, token: str) -> User | None:
    """The active user signed in with this cookie token, or None (expired, ended, unknown)."""
    if not token or len(token) > 100:
        return None
    found = session.execute(_SESSION_USER, {"token_hash": token_hash(token), "now": utcnow()})
    return found.scalar_one_or_none()


def end_session(session: Session, token: str) -> None:
    """Delete the session behind this cookie token."""
    session.execute(delete(AuthSession).where(AuthSession.id == token_hash(token)))


def end_user_sessions(session: Session, user_id: int) -> None:
    """Delete every session of a user (password change, deactivation)."""
    session.execute(delete(AuthSession).where(AuthSession.user_id == user_id))


def purge_expired(session: Session) -> int:
    """Delete expired sessions; return how many."""
    result = session.execute(delete(AuthSession).where(AuthSession.expires_at <= utcnow()))
    return result.rowcount or 0
