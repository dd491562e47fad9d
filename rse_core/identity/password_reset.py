"""Forgotten passwords: a signed link that expires within the hour and works once.

The token signs the user's id and a fingerprint of their current password hash, so that it
stops working as soon as the password changes (used once, or changed another way) and needs
no table. Requests are throttled per address and per account like sign-ins."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import throttle
from .models import User

LIFETIME = timedelta(hours=1)
_SALT = "rse.password-reset"


def _fingerprint(user: User) -> str:
    return hashlib.sha256(f"{user.id}:{user.password_hash}".encode()).hexdigest()[:24]


def reset_token(secret_key: str, user: User) -> str:
    """A token for the link mailed to ``user``."""
    serializer = URLSafeTimedSerializer(secret_key, salt=_SALT)
    return serializer.dumps({"u": user.id, "p": _fingerprint(user)})


def user_for_reset_token(session: Session, secret_key: str, token: str) -> User | None:
    """The active user a token was made for, if it is genuine, younger than an hour and the
    password has not changed since; otherwise None."""
    serializer = URLSafeTimedSerializer(secret_key, salt=_SALT)
    try:
        data = serializer.loads(token, max_age=int(LIFETIME.total_seconds()))
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = session.get(User, data["u"])
    if user is None or not user.is_active or not user.password_hash:
        return None
    return user if data.get("p") == _fingerprint(user) else None


def account_for_reset(session: Session, address: str, ip: str) -> User | None:
    """The account a reset link may be mailed to for this e-mail address or username, or
    None (unknown, deactivated, signing in elsewhere only, or too many requests). Every
    request counts against the throttle, so that the form cannot flood a mailbox."""
    address = address.strip().lower()[:254]
    key = f"reset:{address}"
    if not address or throttle.is_throttled(session, key, ip):
        return None
    throttle.record_failure(session, key, ip)
    column = User.email if "@" in address else User.username
    user = session.execute(select(User).where(column == address)).scalar_one_or_none()
    if user is None or not user.is_active or not user.password_hash:
        return None
    return user
