"""Erasing a person (GDPR right to erasure), by a site admin: their personal data goes; their
contributions stay under "Former employee" or go with them, as the admin chooses.

What goes in every case: name, username, e-mail, job, department, location, phone, bio, time
zone, skills, password, sessions, access and feed tokens, follows (theirs, and of them),
memberships, notification settings and notifications, digest subscription, the person's
search entry; the account stays as an empty, inactive row named "Former employee", so that
what others wrote in reply still reads. With ``remove_contributions`` their items (any
plugin's), comments and likes are removed from every read path too. Others' texts that
mention them are others' data and stay.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from .content import Content, SearchOutbox
from .content import delete as delete_content
from .db import utcnow
from .digests import DigestSubscription
from .identity.accounts import reindex_person
from .identity.models import ApiToken, FeedToken, Membership, Space, User, UserSkill
from .identity.sessions import end_user_sessions
from .notifications import Notification, NotificationPreference
from .social import Comment, Follow, Reaction
from .validation import Conflict

FORMER = "Former employee"


def erase(session: Session, user: User, *, remove_contributions: bool) -> None:
    """Erase ``user``'s personal data (and with ``remove_contributions`` what they wrote)."""
    _refuse_last_owner(session, user)
    end_user_sessions(session, user.id)
    for table in (ApiToken, FeedToken, UserSkill, NotificationPreference, Notification):
        session.execute(delete(table).where(table.user_id == user.id))
    session.execute(delete(DigestSubscription).where(DigestSubscription.user_id == user.id))
    session.execute(delete(Follow).where(Follow.user_id == user.id))
    session.execute(delete(Follow).where(Follow.target == f"user:{user.id}"))
    session.execute(delete(Membership).where(Membership.user_id == user.id))
    if remove_contributions:
        items = session.scalars(
            select(Content).where(Content.author_id == user.id, Content.deleted_at.is_(None))
        )
        for item in list(items):
            delete_content(session, item)
        commented = set(
            session.scalars(
                select(Comment.content_id).where(
                    Comment.author_id == user.id, Comment.deleted_at.is_(None)
                )
            )
        )
        session.execute(
            update(Comment)
            .where(Comment.author_id == user.id, Comment.deleted_at.is_(None))
            .values(deleted_at=utcnow())
        )
        for content_id in commented:  # their words leave those items' search entries
            session.add(SearchOutbox(content_id=content_id, op="index"))
        session.execute(delete(Reaction).where(Reaction.user_id == user.id))
    user.username = f"former-{user.id}"
    user.email = f"former-{user.id}@erased.invalid"
    user.display_name = FORMER
    user.password_hash = ""
    user.job_title = user.department = user.location = user.phone = ""
    user.bio = user.time_zone = ""
    user.is_active = user.is_admin = user.is_community_manager = False
    reindex_person(session, user)


def _refuse_last_owner(session: Session, user: User) -> None:
    """A space must keep an owner: 409 naming the spaces they alone own."""
    owned = session.scalars(
        select(Space)
        .join(Membership, Membership.space_id == Space.id)
        .where(Membership.user_id == user.id, Membership.role == "owner")
    )
    alone = []
    for space in owned:
        owners = session.scalars(
            select(Membership.user_id).where(
                Membership.space_id == space.id, Membership.role == "owner"
            )
        )
        if set(owners) == {user.id}:
            alone.append(space.name)
    if alone:
        raise Conflict(
            {"user": f"Give these spaces another owner first: {', '.join(sorted(alone))}."}
        )
