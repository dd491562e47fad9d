"""Login throttling by account and by client address, counted in the database so every
worker sees the same counts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..db import utcnow
from .models import LoginFailure

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20


def is_throttled(session: Session, username: str, ip: str) -> bool:
    """True when this account or this address failed too often in the last window."""
    since = utcnow() - WINDOW
    by_account = session.execute(
        select(func.count()).where(LoginFailure.username == username, LoginFailure.at > since)
    ).scalar_one()
    if by_account >= MAX_FAILURES_PER_ACCOUNT:
        return True
    by_address = session.execute(
        select(func.count()).where(LoginFailure.ip == ip, LoginFailure.at > since)
    ).scalar_one()
    return by_address >= MAX_FAILURES_PER_ADDRESS


def record_failure(session: Session, username: str, ip: str) -> None:
    """Count one failed sign-in; forget failures older than the window."""
    session.add(LoginFailure(username=username[:254], ip=ip[:64]))
    session.execute(delete(LoginFailure).where(LoginFailure.at <= utcnow() - WINDOW))


def clear_account(session: Session, username: str) -> None:
    """Forget an account's failures after it signed in."""
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))
