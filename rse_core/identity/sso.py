"""Accounts from an identity provider: who an OpenID Connect sign-in is, created or updated
from its claims.

The provider is the truth about a person's name, e-mail, department and job title: they are
copied at every sign-in. A person is found by the provider's subject (stable, unlike an e-mail);
at their first sign-in, by an e-mail address the provider says it verified (an account made by
an admin or by SCIM before SSO was switched on), else a new account is made when the site
allows it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..i18n import N_
from ..validation import EMAIL, USERNAME
from .accounts import create_user, normalise_username, reindex_person
from .models import ExternalIdentity, User


class SignInRefused(Exception):
    """The provider vouched for someone this site will not let in; ``message`` says why
    (a msgid, translated on the page)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ClaimNames:
    """Which claims carry what the standard ones do not (set per provider)."""

    department: str = "department"
    job_title: str = "job_title"


def _text(claims: Mapping[str, Any], name: str, limit: int) -> str:
    value = claims.get(name)
    if not isinstance(value, str):
        return ""
    return " ".join(value.replace("\x00", "").split())[:limit]


def _display_name(claims: Mapping[str, Any]) -> str:
    name = _text(claims, "name", 120)
    if not name:
        given, family = _text(claims, "given_name", 60), _text(claims, "family_name", 60)
        name = f"{given} {family}".strip()
    return name


def _verified_email(claims: Mapping[str, Any]) -> str:
    email = _text(claims, "email", 254).lower()
    if not EMAIL.match(email) or claims.get("email_verified") is not True:
        return ""
    return email


def free_username(session: Session, wanted: str) -> str:
    """A free username made from ``wanted`` (a name or an e-mail address): valid, unique
    (``jdoe``, ``jdoe-2``, ...)."""
    base = re.sub(r"[^a-z0-9_.-]+", "-", normalise_username(wanted.split("@", 1)[0]))
    base = base.strip("-._")[:34] or "user"
    if len(base) < 2:
        base = f"{base}-user"
    candidate, n = base, 1
    while session.execute(select(User.id).where(User.username == candidate)).first():
        n += 1
        candidate = f"{base}-{n}"
    assert USERNAME.match(candidate)
    return candidate


def link(session: Session, user: User, source: str, subject: str) -> None:
    """Remember that ``subject`` at ``source`` is ``user``."""
    session.add(ExternalIdentity(source=source, subject=subject, user_id=user.id))
    session.flush()


def linked_user(session: Session, source: str, subject: str) -> User | None:
    """The account linked to ``subject`` at ``source``, if any."""
    query = (
        select(User)
        .join(ExternalIdentity, ExternalIdentity.user_id == User.id)
        .where(ExternalIdentity.source == source, ExternalIdentity.subject == subject)
    )
    return session.execute(query).scalar_one_or_none()


def user_for_claims(
    session: Session,
    issuer: str,
    claims: Mapping[str, Any],
    *,
    create: bool = True,
    names: ClaimNames = ClaimNames(),
) -> User:
    """The active account these verified ID-token claims belong to, created or updated from
    them; raise :class:`SignInRefused` when there is none to give."""
    subject = _text(claims, "sub", 300)
    if not subject:
        raise SignInRefused(N_("The identity provider did not say who you are."))
    email = _verified_email(claims)
    user = linked_user(session, issuer, subject)
    if user is None and email:
        user = session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        if user is not None:
            link(session, user, issuer, subject)
    if user is None:
        if not create:
            raise SignInRefused(
                N_("You have no account here yet: ask an administrator to create it.")
            )
        if not email:
            raise SignInRefused(
                N_("The identity provider gave no verified e-mail address for you.")
            )
        user = create_user(
            session,
            free_username(
                session, _text(claims, "preferred_username", 254) or email.split("@", 1)[0]
            ),
            email=email,
            password=None,
            display_name=_display_name(claims) or email.split("@", 1)[0],
        )
        link(session, user, issuer, subject)
    if not user.is_active:
        raise SignInRefused(N_("This account is deactivated."))
    _update_profile(session, user, claims, email, names)
    return user


def _update_profile(
    session: Session, user: User, claims: Mapping[str, Any], email: str, names: ClaimNames
) -> None:
    changed = False
    values = {
        "display_name": _display_name(claims),
        "department": _text(claims, names.department, 120),
        "job_title": _text(claims, names.job_title, 120),
    }
    for field, value in values.items():
        # A claim the provider does not send leaves what the person or an admin wrote.
        if value and getattr(user, field) != value:
            setattr(user, field, value)
            changed = True
    if email and email != user.email:
        taken = session.execute(
            select(User.id).where(User.email == email, User.id != user.id)
        ).first()
        if not taken:
            user.email = email
            changed = True
    if changed:
        reindex_person(session, user)


def linked_user_ids(session: Session, source: str) -> set[int]:
    """The ids of the accounts linked to someone at ``source`` (a directory's people)."""
    query = select(ExternalIdentity.user_id).where(
        ExternalIdentity.source == source, ExternalIdentity.user_id.is_not(None)
    )
    return set(session.execute(query).scalars())
