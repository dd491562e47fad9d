"""Spaces and memberships: create, list what a user may see, join, invite, approve, leave.

Every function that acts for someone takes the acting user's ``UserAccess`` and refuses with
``Forbidden`` what they may not do; ``NotFound`` is raised for a space they may not know of.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from ..db import once_per_read
from ..hooktypes import Permission
from ..notifications import notify
from ..permissions import UserAccess, can_see_space_exists, user_can
from ..sql_sets import in_set
from ..validation import (  # Forbidden and NotFound: raised here, imported from here too
    SLUG,
    Conflict,
    Forbidden,
    NotFound,
    ValidationError,
    clean_text,
    slugify,
)
from .accounts import like_pattern
from .models import JOIN_POLICIES, ROLES, VISIBILITIES, Membership, Space, SpaceRequest, User

#: Addresses no space may take: ``company`` names the company-wide wiki (``/wiki/company``).
RESERVED_SLUGS = frozenset({"company"})


# Built once, like every statement a page runs (docs/architecture.md, "Database").
_SPACE_BY_SLUG = select(Space).where(Space.slug == bindparam("slug"))
_INVITED_TO = (
    select(Space)
    .join(SpaceRequest, SpaceRequest.space_id == Space.id)
    .where(SpaceRequest.user_id == bindparam("user_id"), SpaceRequest.kind == "invite")
    .order_by(Space.name)
)


def get_space(session: Session, access: UserAccess, slug: str) -> Space:
    """The space with this slug if the user may know it exists, else NotFound. Read once a
    page (the space's page and its stream both ask)."""

    def load() -> Space | None:
        return session.execute(_SPACE_BY_SLUG, {"slug": slug}).scalar_one_or_none()

    space = once_per_read(session, ("space", slug), load)
    if space is None:
        raise NotFound(slug)
    if not can_see_space_exists(access, space) and not _is_invited(session, access, space):
        raise NotFound(slug)
    return space


def _is_invited(session: Session, access: UserAccess, space: Space) -> bool:
    """An invitation reveals a secret space to its invitee (to accept or decline it)."""
    if access.user is None:
        return False
    found = session.execute(
        select(SpaceRequest.id).where(
            SpaceRequest.space_id == space.id,
            SpaceRequest.user_id == access.user.id,
            SpaceRequest.kind == "invite",
        )
    ).first()
    return found is not None


def visible_spaces_query(access: UserAccess):  # type: ignore[no-untyped-def]
    """A SELECT of the spaces listed to this user: public, private, and secret ones they are
    in (site admins see every space, to manage it)."""
    query = select(Space)
    if access.user is None:
        return query.where(Space.id.is_(None))
    if not access.user.is_admin:
        query = query.where(
            or_(Space.visibility != "secret", in_set(Space.id, access.roles, integers=True))
        )
    return query


def list_spaces(
    session: Session,
    access: UserAccess,
    *,
    q: str = "",
    after: str | None = None,
    limit: int = 50,
) -> list[Space]:
    """Spaces this user may know of, by slug, paged with ``after`` (the last slug seen)."""
    query = visible_spaces_query(access)
    if q:
        pattern = "%" + q.lower().replace("%", "").replace("_", "") + "%"
        query = query.where(func.lower(Space.name).like(pattern))
    if after:
        query = query.where(Space.slug > after)
    return list(session.execute(query.order_by(Space.slug).limit(limit)).scalars())


def _check_choice(value: str, choices: tuple[str, ...], field: str) -> str:
    if value not in choices:
        raise ValidationError({field: f"Choose one of: {', '.join(choices)}."})
    return value


def create_space(
    session: Session,
    registry: Mapping[str, Permission],
    access: UserAccess,
    *,
    name: object,
    slug: object = None,
    visibility: object = "public",
    description: object = "",
    join_policy: object = None,
) -> Space:
    """Create a space owned by the acting user."""
    if not user_can(session, registry, access, "core.space.create"):
        raise Forbidden("core.space.create")
    assert access.user is not None
    errors: dict[str, str] = {}
    fields: dict[str, str] = {}
    for field, value, max_length, required in (
        ("name", name, 120, True),
        ("description", description, 5000, False),
    ):
        try:
            fields[field] = clean_text(value, field, max_length=max_length, required=required)
        except ValidationError as exc:
            errors.update(exc.fields)
    if slug in (None, ""):
        # A name of no Latin letters ("日本") still gets an address.
        slug_value = slugify(fields.get("name", "")) or f"space-{secrets.token_hex(3)}"
    elif isinstance(slug, str):
        slug_value = slug.strip().lower()
    else:
        slug_value = ""
    if not SLUG.match(slug_value):
        errors["slug"] = "Use lower-case letters, digits and dashes (at most 60)."
    taken = slug_value in RESERVED_SLUGS or bool(
        SLUG.match(slug_value)
        and session.execute(select(Space.id).where(Space.slug == slug_value)).first()
    )
    if visibility is None:
        visibility = "public"
    if visibility not in VISIBILITIES:
        errors["visibility"] = f"Choose one of: {', '.join(VISIBILITIES)}."
    policy = join_policy or ("open" if visibility == "public" else "request")
    if visibility == "secret" and join_policy in (None, ""):
        policy = "invite"
    if policy not in JOIN_POLICIES:
        errors["join_policy"] = f"Choose one of: {', '.join(JOIN_POLICIES)}."
    if errors:
        raise ValidationError(errors)
    if taken:
        raise Conflict({"slug": "This address is taken."})
    space = Space(
        slug=slug_value,
        name=fields["name"],
        description=fields["description"],
        visibility=str(visibility),
        join_policy=str(policy),
        created_by=access.user.id,
    )
    session.add(space)
    session.flush()
    session.add(Membership(space_id=space.id, user_id=access.user.id, role="owner"))
    reindex_space(session, space)
    session.flush()
    return space


def reindex_space(session: Session, space: Space) -> None:
    """Queue the space's own search entry (name, description) to be rewritten."""
    from ..content import SearchOutbox  # content imports identity: import at call time

    session.add(SearchOutbox(space_id=space.id, op="index"))


def update_space(
    session: Session,
    registry: Mapping[str, Permission],
    access: UserAccess,
    space: Space,
    data: Mapping[str, object],
) -> None:
    """Change name, description, visibility or join policy (``core.space.manage``)."""
    if not user_can(session, registry, access, "core.space.manage", space):
        raise Forbidden("core.space.manage")
    errors: dict[str, str] = {}
    for field, max_length in (("name", 120), ("description", 5000)):
        if field in data:
            try:
                value = clean_text(
                    data[field], field, max_length=max_length, required=field == "name"
                )
                setattr(space, field, value)
            except ValidationError as exc:
                errors.update(exc.fields)
    for field, choices in (("visibility", VISIBILITIES), ("join_policy", JOIN_POLICIES)):
        if field in data:
            if data[field] not in choices:
                errors[field] = f"Choose one of: {', '.join(choices)}."
            else:
                setattr(space, field, data[field])
    if errors:
        raise ValidationError(errors)
    reindex_space(session, space)


def members(session: Session, space: Space) -> list[tuple[User, str]]:
    """Members of a space with their roles, owners first, then by name."""
    order = {"owner": 0, "moderator": 1, "member": 2}
    rows = session.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.space_id == space.id)
        .order_by(User.display_name)
    ).all()
    return sorted(((u, r) for u, r in rows), key=lambda pair: order.get(pair[1], 9))


def pending(session: Session, space: Space, kind: str) -> list[tuple[User, SpaceRequest]]:
    """Pending join requests (``kind="request"``) or invitations (``"invite"``)."""
    rows = session.execute(
        select(User, SpaceRequest)
        .join(SpaceRequest, SpaceRequest.user_id == User.id)
        .where(SpaceRequest.space_id == space.id, SpaceRequest.kind == kind)
        .order_by(SpaceRequest.id)
    ).all()
    return [(u, r) for u, r in rows]


def invitations_for(session: Session, user: User) -> list[Space]:
    """Spaces that invited this user and wait for an answer."""
    return list(session.execute(_INVITED_TO, {"user_id": user.id}).scalars())


def _managers(session: Session, space: Space) -> list[User]:
    """Owners and moderators, who hear about join requests."""
    return list(
        session.execute(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.space_id == space.id, Membership.role.in_(("owner", "moderator")))
        ).scalars()
    )


def _membership(session: Session, space: Space, user: User) -> Membership | None:
    return session.get(Membership, (space.id, user.id))


def _request(session: Session, space: Space, user: User) -> SpaceRequest | None:
    return session.execute(
        select(SpaceRequest).where(
            SpaceRequest.space_id == space.id, SpaceRequest.user_id == user.id
        )
    ).scalar_one_or_none()


def join(session: Session, access: UserAccess, space: Space) -> str:
    """The acting user joins (open space or accepted invitation) or asks to join.

    Returns ``"member"``, ``"requested"`` or ``"already"``.
    """
    user = access.user
    assert user is not None
    if _membership(session, space, user):
        return "already"
    pending_row = _request(session, space, user)
    if pending_row is not None and pending_row.kind == "invite":
        session.delete(pending_row)
        session.add(Membership(space_id=space.id, user_id=user.id, role=pending_row.role))
        return "member"
    if space.join_policy == "open" and space.visibility != "secret":
        session.add(Membership(space_id=space.id, user_id=user.id, role="member"))
        return "member"
    if space.join_policy == "request" and space.visibility != "secret":
        if pending_row is None:
            session.add(SpaceRequest(space_id=space.id, user_id=user.id, kind="request"))
            for manager in _managers(session, space):
                notify(session, manager, "join_request", actor=user, space=space)
        return "requested"
    raise Forbidden("this space is joined by invitation only")


def decline_invitation(session: Session, access: UserAccess, space: Space) -> None:
    """The acting user declines an invitation to ``space``."""
    assert access.user is not None
    row = _request(session, space, access.user)
    if row is not None and row.kind == "invite":
        session.delete(row)


def add_member(
    session: Session,
    registry: Mapping[str, Permission],
    access: UserAccess,
    space: Space,
    user: User,
    role: str = "member",
) -> str:
    """Add someone: members managers add directly (or approve a request); inviters invite.

    Returns ``"member"`` when added, ``"invited"`` when an invitation was sent, ``"already"``.
    """
    _check_choice(role, ROLES, "role")
    if not user.is_active:
        raise Conflict({"username": "This account is deactivated."})
    if _membership(session, space, user):
        return "already"
    row = _request(session, space, user)
    if user_can(session, registry, access, "core.space.members", space):
        if row is not None:
            session.delete(row)
            session.flush()
        session.add(Membership(space_id=space.id, user_id=user.id, role=role))
        return "member"
    if user_can(session, registry, access, "core.space.invite", space):
        if role != "member":
            raise Forbidden("only members managers give roles")
        if row is None:
            session.add(
                SpaceRequest(
                    space_id=space.id,
                    user_id=user.id,
                    kind="invite",
                    role=role,
                    created_by=access.user.id if access.user else None,
                )
            )
            notify(session, user, "invite", actor=access.user, space=space)
        return "invited"
    raise Forbidden("core.space.members")


def set_role(
    session: Session,
    registry: Mapping[str, Permission],
    access: UserAccess,
    space: Space,
    user: User,
    role: str,
) -> None:
    """Change a member's role, keeping at least one owner."""
    _check_choice(role, ROLES, "role")
    if not user_can(session, registry, access, "core.space.members", space):
        raise Forbidden("core.space.members")
    membership = _membership(session, space, user)
    if membership is None:
        raise NotFound(user.username)
    if membership.role == "owner" and role != "owner":
        _keep_an_owner(session, space)
    membership.role = role


def _keep_an_owner(session: Session, space: Space) -> None:
    owners = session.execute(
        select(func.count()).where(Membership.space_id == space.id, Membership.role == "owner")
    ).scalar_one()
    if owners <= 1:
        raise Conflict({"role": "A space keeps at least one owner."})


def remove_member(
    session: Session,
    registry: Mapping[str, Permission],
    access: UserAccess,
    space: Space,
    user: User,
) -> None:
    """Remove a member (members managers), or leave (the user themself)."""
    is_self = access.user is not None and access.user.id == user.id
    if not is_self and not user_can(session, registry, access, "core.space.members", space):
        raise Forbidden("core.space.members")
    membership = _membership(session, space, user)
    if membership is None:
        row = _request(session, space, user)
        if row is not None:  # withdrawing a request or an invitation
            session.delete(row)
            return
        raise NotFound(user.username)
    if membership.role == "owner":
        _keep_an_owner(session, space)
    session.delete(membership)


def reject_request(
    session: Session,
    registry: Mapping[str, Permission],
    access: UserAccess,
    space: Space,
    user: User,
) -> None:
    """Turn down a join request."""
    if not user_can(session, registry, access, "core.space.members", space):
        raise Forbidden("core.space.members")
    row = _request(session, space, user)
    if row is not None and row.kind == "request":
        session.delete(row)


def audience_for_slugs(session: Session, slugs: list[str]) -> list[str]:
    """Rollout audience principals for these space slugs; unknown slugs are an error."""
    wanted = sorted({s.strip().lower() for s in slugs if s.strip()})
    if not wanted:
        raise ValidationError({"spaces": "Choose at least one space."})
    found = dict(session.execute(select(Space.slug, Space.id).where(Space.slug.in_(wanted))).all())
    missing = [slug for slug in wanted if slug not in found]
    if missing:
        raise ValidationError({"spaces": f"No such space: {', '.join(missing)}."})
    return [f"space:{found[slug]}" for slug in wanted]


def audience_spaces(
    session: Session, audience: list[str] | tuple[str, ...]
) -> list[tuple[str, str]]:
    """The ``(slug, name)`` of the spaces in a rollout audience, by name (a space deleted since
    shows as its principal)."""
    ids = [int(p.split(":", 1)[1]) for p in audience if p.startswith("space:")]
    found = {
        f"space:{id_}": (slug, name)
        for id_, slug, name in session.execute(
            select(Space.id, Space.slug, Space.name).where(Space.id.in_(ids))
        )
    }
    spaces = [found.get(p, (p, p)) for p in audience if p.startswith("space:")]
    return sorted(spaces, key=lambda pair: pair[1].lower())


def describe_audience(session: Session, audience: list[str] | tuple[str, ...]) -> str:
    """A rollout audience in words: "disabled" (empty), "everyone", or "pilot: " and the
    spaces' names ("pilot: HR team, Kubernetes guild")."""
    if not audience:
        return "disabled"
    if "everyone" in audience:
        return "everyone"
    return "pilot: " + ", ".join(name for _slug, name in audience_spaces(session, audience))


def find_spaces(
    session: Session, q: str, *, exclude: Iterable[str] = (), limit: int = 50
) -> list[tuple[str, str]]:
    """Spaces whose name or slug contains ``q`` (all of them for admins' rollout picker, secret
    ones included), ``(slug, name)`` by name, at most ``limit``; ``exclude``: slugs left out."""
    query = select(Space.slug, Space.name).order_by(func.lower(Space.name), Space.slug)
    term = q.strip().lower()
    if term:
        pattern = like_pattern(term)
        query = query.where(
            or_(
                func.lower(Space.name).like(pattern, escape="\\"),
                Space.slug.like(pattern, escape="\\"),
            )
        )
    skipped = sorted(set(exclude))
    if skipped:
        query = query.where(Space.slug.not_in(skipped))
    return [(slug, name) for slug, name in session.execute(query.limit(limit))]
