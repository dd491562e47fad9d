"""Tables of the identity service: users and profiles, spaces and memberships, sessions,
personal access tokens, login failures and per-space permission overrides."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime, utcnow
from ..i18n import N_

# Stored as these words; pages translate them (``{{ _(space.visibility) }}``).
ROLES = (N_("member"), N_("moderator"), N_("owner"))
VISIBILITIES = (N_("public"), N_("private"), N_("secret"))
JOIN_POLICIES = (N_("open"), N_("request"), N_("invite"))


class User(Base):
    """An employee account and its profile."""

    __tablename__ = "rse_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200), default="")
    display_name: Mapped[str] = mapped_column(String(120))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Moderates every item they may read, besides spaces' own moderators (set by admins).
    is_community_manager: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    job_title: Mapped[str] = mapped_column(String(120), default="")
    department: Mapped[str] = mapped_column(String(120), default="", index=True)
    location: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    #: IANA time zone for showing times ("Europe/Paris"); "" follows the site's.
    time_zone: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the company's identity provider removed the account (SCIM DELETE): it is then
    #: inactive and gone from the provider's view; what the person wrote stays.
    deprovisioned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    skills: Mapped[list[UserSkill]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="UserSkill.skill"
    )

    @property
    def initials(self) -> str:
        """Up to two initials for the generated avatar."""
        parts = [p for p in self.display_name.split() if p[:1].isalnum()]
        letters = "".join(p[0] for p in parts[:2]) or self.username[:2]
        return letters.upper()


class UserSkill(Base):
    """A skill tag on a profile; ``key`` is the lower-cased form used to search."""

    __tablename__ = "rse_user_skill"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("rse_user.id", ondelete="CASCADE"))
    skill: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(60), index=True)

    user: Mapped[User] = relationship(back_populates="skills")


class Space(Base):
    """A group, community or project: who may see it and how one joins."""

    __tablename__ = "rse_space"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(10), default="public", index=True)
    join_policy: Mapped[str] = mapped_column(String(10), default="open")
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("rse_user.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def principal(self) -> str:
        """The principal string that grants access to this space's content."""
        return f"space:{self.id}"


class Membership(Base):
    """A user's role in a space."""

    __tablename__ = "rse_membership"
    __table_args__ = (Index("ix_rse_membership_user", "user_id", "space_id"),)

    space_id: Mapped[int] = mapped_column(
        ForeignKey("rse_space.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("rse_user.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(10), default="member")
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SpaceRequest(Base):
    """A pending join request (from the user) or invitation (to the user)."""

    __tablename__ = "rse_space_request"
    __table_args__ = (UniqueConstraint("space_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("rse_space.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("rse_user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # "request" or "invite"
    role: Mapped[str] = mapped_column(String(10), default="member")
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("rse_user.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PermissionOverride(Base):
    """Roles holding a permission in one space (``space_id``) or site-wide (NULL)."""

    __tablename__ = "rse_permission_override"
    __table_args__ = (UniqueConstraint("space_id", "permission"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[int | None] = mapped_column(
        ForeignKey("rse_space.id", ondelete="CASCADE"), nullable=True
    )
    permission: Mapped[str] = mapped_column(String(100))
    roles: Mapped[str] = mapped_column(Text)  # JSON list


class AuthSession(Base):
    """A signed-in browser. The cookie holds a random token; only its hash is stored."""

    __tablename__ = "rse_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie token
    user_id: Mapped[int] = mapped_column(ForeignKey("rse_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")


class ApiToken(Base):
    """A personal access token for ``Authorization: Bearer``; only its hash is stored."""

    __tablename__ = "rse_api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("rse_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LoginFailure(Base):
    """A failed sign-in, counted by account and by client address for throttling."""

    __tablename__ = "rse_login_failure"
    __table_args__ = (
        Index("ix_rse_login_failure_username_at", "username", "at"),
        Index("ix_rse_login_failure_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedToken(Base):
    """The secret in a user's personal Atom feed URL; only its hash is stored."""

    __tablename__ = "rse_feed_token"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("rse_user.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExternalIdentity(Base):
    """Who a person or a space is in another system: an OpenID provider's subject (``source``
    is the issuer URL) or an identity provider's SCIM ``externalId`` (``source`` is "scim")."""

    __tablename__ = "rse_external_identity"
    __table_args__ = (UniqueConstraint("source", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(300))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("rse_user.id", ondelete="CASCADE"), nullable=True, index=True
    )
    space_id: Mapped[int | None] = mapped_column(
        ForeignKey("rse_space.id", ondelete="CASCADE"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# SCIM names are compared ignoring case (``userName eq "JDoe@acme.example"``).
Index(
    "ix_rse_external_identity_folded",
    ExternalIdentity.source,
    func.lower(ExternalIdentity.subject),
)
