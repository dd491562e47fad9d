"""Personal access tokens for ``Authorization: Bearer`` on the API. Shown once, stored hashed."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..validation import clean_text
from .models import ApiToken, FeedToken, User
from .sessions import token_hash

TOKEN_PREFIX = "rse_"


def create_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; return the row and the secret, which is never shown again."""
    name = clean_text(name, "name", max_length=100) or "token"
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=token_hash(secret), prefix=secret[:10])
    session.add(row)
    session.flush()
    return row, secret


def user_for_token(session: Session, secret: str) -> User | None:
    """The active user owning this unrevoked token, or None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    query = (
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(
            ApiToken.token_hash == token_hash(secret),
            ApiToken.revoked_at.is_(None),
            User.is_active.is_(True),
        )
    )
    found = session.execute(query).first()
    if found is None:
        return None
    return found[1]


def user_tokens(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens that are not revoked, newest first."""
    query = (
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.id.desc())
    )
    return list(session.execute(query).scalars())


def revoke_token(session: Session, user: User, token_id: int) -> bool:
    """Revoke one of the user's own tokens; False if it is not theirs or already revoked."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    return True


def reset_feed_token(session: Session, user: User) -> str:
    """Create (or replace, revoking the old URL) the user's Atom feed token; return it."""
    secret = secrets.token_urlsafe(32)
    row = session.get(FeedToken, user.id)
    if row is None:
        session.add(FeedToken(user_id=user.id, token_hash=token_hash(secret)))
    else:
        row.token_hash = token_hash(secret)
        row.created_at = utcnow()
    return secret


def revoke_feed_token(session: Session, user: User) -> None:
    """Turn the user's Atom feed off."""
    row = session.get(FeedToken, user.id)
    if row is not None:
        session.delete(row)


def user_for_feed_token(session: Session, secret: str) -> User | None:
    """The active user whose feed URL carries this token, or None."""
    if not secret or len(secret) > 100:
        return None
    found = session.execute(
        select(User)
        .join(FeedToken, FeedToken.user_id == User.id)
        .where(FeedToken.token_hash == token_hash(secret), User.is_active.is_(True))
    ).scalar_one_or_none()
    return found


def has_feed_token(session: Session, user: User) -> bool:
    """True when the user's Atom feed is on."""
    return session.get(FeedToken, user.id) is not None
