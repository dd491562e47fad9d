"""A person's own data, to download (GDPR right of access): their profile, memberships,
everything they published (any plugin's items), their comments, likes and follows, their
settings, and what each plugin keeps about them (hook ``rse_personal_data``), as one JSON
document. Never another person's data: only what this person wrote, chose or received."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ._version import __version__
from .content import Content
from .db import utcnow
from .digests import DigestSubscription
from .identity.models import ApiToken, Membership, Space, User, UserSkill
from .notifications import NotificationPreference
from .runtime import Runtime
from .social import Comment, Follow, Reaction


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def core_data(session: Session, user: User) -> dict[str, Any]:
    """What the core keeps about ``user``."""
    skills = session.scalars(select(UserSkill.skill).where(UserSkill.user_id == user.id))
    memberships = session.execute(
        select(Space.slug, Space.name, Membership.role, Membership.joined_at)
        .join(Membership, Membership.space_id == Space.id)
        .where(Membership.user_id == user.id)
        .order_by(Space.slug)
    )
    items = session.scalars(
        select(Content).where(Content.author_id == user.id).order_by(Content.id)
    )
    comments = session.execute(
        select(Comment, Content.url)
        .join(Content, Content.id == Comment.content_id)
        .where(Comment.author_id == user.id)
        .order_by(Comment.id)
    )
    reactions = session.execute(
        select(Reaction.kind, Reaction.created_at, Content.url)
        .join(Content, Content.id == Reaction.content_id)
        .where(Reaction.user_id == user.id)
        .order_by(Reaction.created_at)
    )
    follows = session.execute(
        select(Follow.target, Follow.created_at).where(Follow.user_id == user.id)
    )
    preferences = session.execute(
        select(NotificationPreference.kind, NotificationPreference.enabled).where(
            NotificationPreference.user_id == user.id
        )
    )
    digest = session.get(DigestSubscription, user.id)
    tokens = session.execute(
        select(ApiToken.name, ApiToken.prefix, ApiToken.created_at).where(
            ApiToken.user_id == user.id
        )
    )
    return {
        "profile": {
            "username": user.username,
            "email": user.email,
            "display_name": user.display_name,
            "job_title": user.job_title,
            "department": user.department,
            "location": user.location,
            "phone": user.phone,
            "bio": user.bio,
            "time_zone": user.time_zone,
            "skills": sorted(skills),
            "created_at": _when(user.created_at),
        },
        "memberships": [
            {"space": slug, "name": name, "role": role, "joined_at": _when(joined)}
            for slug, name, role, joined in memberships
        ],
        "items": [
            {
                "type": item.type,
                "title": item.title,
                "text": item.summary,
                "url": item.url,
                "created_at": _when(item.created_at),
                "updated_at": _when(item.updated_at),
                "deleted_at": _when(item.deleted_at),
            }
            for item in items
        ],
        "comments": [
            {
                "on": url,
                "body": comment.body,
                "created_at": _when(comment.created_at),
                "deleted_at": _when(comment.deleted_at),
            }
            for comment, url in comments
        ],
        "reactions": [
            {"kind": kind, "on": url, "created_at": _when(at)} for kind, at, url in reactions
        ],
        "follows": [{"target": target, "since": _when(at)} for target, at in follows],
        "notification_settings": {kind: enabled for kind, enabled in preferences},
        "digest": (
            {"frequency": digest.frequency, "language": digest.language} if digest else None
        ),
        "api_tokens": [
            {"name": name, "starts_with": prefix, "created_at": _when(at)}
            for name, prefix, at in tokens
        ],
    }


def collect(rt: Runtime, user_id: int) -> dict[str, Any]:
    """The whole document for ``user_id``: the core's part and every installed plugin's."""
    with rt.db.read() as session:
        user = session.get(User, user_id)
        if user is None:
            raise LookupError(user_id)
        names = rt.plugins.plugin_names()
        found = dict(rt.plugins.collect("rse_personal_data", names, session=session, user=user))
        implementers = {
            impl.plugin_name
            for impl in rt.plugins.pm.hook.rse_personal_data.get_hookimpls()
            if impl.plugin_name in names
        }
        return {
            "rse": __version__,
            "exported_at": utcnow().isoformat(),
            **core_data(session, user),
            "plugins": {name: found[name] for name in sorted(found)},
            "missing": sorted(implementers - set(found)),
        }
