"""SCIM 2.0 provisioning (RFC 7643/7644): the company's identity provider creates, updates,
deactivates and removes accounts, and keeps spaces' members in step with its groups.

Shapes are scim2-models' (``User`` with the enterprise extension, ``Group``). What rse keeps
of a SCIM user: ``userName`` (the provider's name for the person, often an e-mail address:
kept as given, the rse username made from it), ``externalId``, ``displayName`` (or ``name``),
the primary e-mail, ``title``, a phone number, ``active`` and the enterprise ``department``.
Groups are spaces the provider made: private, joined by invitation, their members the
group's; spaces made by people stay theirs (not in the provider's view).

Removing a user (DELETE) deactivates the account and takes it out of the provider's view:
what they wrote stays. Removing a group lets the space go (no longer the provider's); its
content and members stay.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from typing import Any

from scim2_models import (
    Email,
    EnterpriseUser,
    Group,
    GroupMember,
    InvalidFilterException,
    InvalidValueException,
    Meta,
    Name,
    NotFoundException,
    PhoneNumber,
    ScimFilter,
    UniquenessException,
)
from scim2_models import (
    User as ScimUser,
)
from scim2_models.path.expressions import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
)
from sqlalchemy import ColumnElement, String, and_, delete, func, not_, or_, select, true, union
from sqlalchemy.orm import Session

from ..db import utcnow
from ..validation import EMAIL, USERNAME, ValidationError, clean_text, slugify
from .accounts import create_user, deactivate_user, reindex_person
from .models import ExternalIdentity, Membership, Space, User
from .spaces import reindex_space
from .sso import free_username

USER_NAME = "scim:userName"
USER_EXTERNAL_ID = "scim:externalId"
GROUP = "scim:group"  # subject: the space's id; the space is the provider's
GROUP_EXTERNAL_ID = "scim:groupExternalId"
FullUser = ScimUser[EnterpriseUser]
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
MAX_PAGE = 200


# -- reading and writing the links -------------------------------------------------------------


def _set_subject(
    session: Session,
    source: str,
    value: str | None,
    *,
    user_id: int | None = None,
    space_id: int | None = None,
) -> None:
    """Link ``value`` at ``source`` to the user or space (replacing its previous one);
    raise a uniqueness error when it names someone else."""
    owner = ExternalIdentity.user_id if user_id is not None else ExternalIdentity.space_id
    owner_id = user_id if user_id is not None else space_id
    if value:
        taken = session.execute(
            select(owner).where(
                ExternalIdentity.source == source, ExternalIdentity.subject == value
            )
        ).first()
        if taken is not None and taken[0] != owner_id:
            raise UniquenessException(detail=f"{source.split(':')[-1]} {value!r} is taken.")
        if taken is not None:
            return
    session.execute(
        delete(ExternalIdentity).where(ExternalIdentity.source == source, owner == owner_id)
    )
    if value:
        session.add(
            ExternalIdentity(source=source, subject=value, user_id=user_id, space_id=space_id)
        )
    session.flush()


# -- users ------------------------------------------------------------------------------------


def _location(base: str, kind: str, ident: int) -> str:
    return f"{base}/{kind}/{ident}"


def user_resources(session: Session, users: list[User], base: str) -> list[Any]:
    """The SCIM representations of accounts (``base``: the SCIM root URL), their links read
    in one query."""
    links: dict[tuple[int, str], str] = {}
    if users:
        rows = session.execute(
            select(
                ExternalIdentity.user_id, ExternalIdentity.source, ExternalIdentity.subject
            ).where(
                ExternalIdentity.user_id.in_([u.id for u in users]),
                ExternalIdentity.source.in_((USER_NAME, USER_EXTERNAL_ID)),
            )
        )
        links = {(user_id, source): subject for user_id, source, subject in rows}
    resources = []
    for user in users:
        resource = FullUser(
            id=str(user.id),
            user_name=links.get((user.id, USER_NAME)) or user.username,
            external_id=links.get((user.id, USER_EXTERNAL_ID)),
            display_name=user.display_name,
            emails=[Email(value=user.email)],
            active=user.is_active,
            title=user.job_title or None,
            phone_numbers=[PhoneNumber(value=user.phone)] if user.phone else None,
            meta=Meta(
                resource_type="User",
                created=user.created_at,
                last_modified=user.created_at,
                location=_location(base, "Users", user.id),
            ),
        )
        resource[EnterpriseUser] = EnterpriseUser(department=user.department or None)
        resources.append(resource)
    return resources


def _display_name(data: Any) -> str:
    name: Name | None = data.name
    parts = [name.given_name, name.family_name] if name else []
    return (
        data.display_name
        or (name.formatted if name else None)
        or " ".join(p for p in parts if p)
        or data.user_name
        or ""
    )


def _primary(values: Iterable[Any] | None) -> str:
    values = list(values or [])
    chosen = next((v for v in values if v.primary), values[0] if values else None)
    return (chosen.value or "").strip() if chosen else ""


def _check(value: str | None, field: str, limit: int, *, required: bool = False) -> str:
    try:
        text = clean_text(value or "", field, max_length=limit)
    except ValidationError as exc:
        raise InvalidValueException(detail=f"{field}: {next(iter(exc.fields.values()))}") from exc
    if required and not text:
        raise InvalidValueException(detail=f"{field} is required.")
    return text


def _apply_user(session: Session, user: User, data: Any) -> None:
    """Write what the provider says about the person (a full replacement)."""
    email = _primary(data.emails).lower()
    if not EMAIL.match(email):
        raise InvalidValueException(detail="emails: rse needs a valid e-mail address.")
    taken = session.execute(select(User.id).where(User.email == email, User.id != user.id)).first()
    if taken:
        raise UniquenessException(detail=f"The e-mail address {email!r} is taken.")
    user.email = email
    user.display_name = _check(_display_name(data), "displayName", 120) or user.username
    user.job_title = _check(data.title or "", "title", 120)
    user.phone = _check(_primary(data.phone_numbers), "phoneNumbers", 40)
    enterprise = data[EnterpriseUser]
    user.department = _check(
        (enterprise.department if enterprise else None) or "", "department", 120
    )
    _set_active(session, user, data.active is not False)
    _set_subject(
        session,
        USER_EXTERNAL_ID,
        _check(data.external_id or "", "externalId", 300),
        user_id=user.id,
    )
    reindex_person(session, user)


def _set_active(session: Session, user: User, active: bool) -> None:
    if active:
        user.is_active = True
    else:
        deactivate_user(session, user)


def _user_by_name(session: Session, user_name: str) -> User | None:
    linked = select(ExternalIdentity.user_id).where(
        ExternalIdentity.source == USER_NAME,
        func.lower(ExternalIdentity.subject) == user_name.lower(),
    )
    query = select(User).where(or_(User.id.in_(linked), User.username == user_name.lower()))
    return session.execute(query.limit(1)).scalars().first()


def create_scim_user(session: Session, data: Any) -> User:
    """POST /Users: a new account (or, for a ``userName`` the provider removed before, the same
    account back: someone who returns finds what they wrote)."""
    user_name = _check(data.user_name, "userName", 300, required=True)
    existing = _user_by_name(session, user_name)
    if existing is not None and existing.deprovisioned_at is None:
        raise UniquenessException(detail=f"userName {user_name!r} is taken.")
    if existing is None:
        email = _primary(data.emails).lower()
        wanted = user_name if USERNAME.match(user_name.lower()) else user_name.split("@")[0]
        try:
            user = create_user(
                session,
                free_username(session, wanted),
                email=email,
                password=None,
                display_name=_display_name(data)[:120] or user_name[:40],
            )
        except ValidationError as exc:
            if "email" in exc.fields and "used" in exc.fields["email"]:
                raise UniquenessException(detail=f"The e-mail address {email!r} is taken.") from exc
            raise InvalidValueException(detail="; ".join(exc.fields.values())) from exc
    else:
        user = existing
        user.deprovisioned_at = None
    _set_subject(session, USER_NAME, user_name, user_id=user.id)
    _apply_user(session, user, data)
    return user


def get_scim_user(session: Session, ident: str) -> User:
    """The account SCIM's ``id`` names (not one the provider removed); else not found."""
    user = session.get(User, int(ident)) if ident.isdigit() and len(ident) < 12 else None
    if user is None or user.deprovisioned_at is not None:
        raise NotFoundException(detail=f"No user {ident}.")
    return user


def replace_scim_user(session: Session, user: User, data: Any) -> None:
    """PUT /Users/{id} (and PATCH, applied to the current representation first)."""
    user_name = _check(data.user_name, "userName", 300, required=True)
    other = _user_by_name(session, user_name)
    if other is not None and other.id != user.id:
        raise UniquenessException(detail=f"userName {user_name!r} is taken.")
    _set_subject(session, USER_NAME, user_name, user_id=user.id)
    _apply_user(session, user, data)


def remove_scim_user(session: Session, user: User) -> None:
    """DELETE /Users/{id}: deactivated and out of the provider's view; content stays."""
    _set_active(session, user, False)
    user.deprovisioned_at = utcnow()
    reindex_person(session, user)


# -- groups -----------------------------------------------------------------------------------


def group_resources(session: Session, spaces: list[Space], base: str) -> list[Any]:
    """The SCIM representations of the provider's spaces, their members as users, read in
    two queries whatever the number of groups."""
    ids = [space.id for space in spaces]
    members: dict[int, list[int]] = {space_id: [] for space_id in ids}
    external: dict[int, str] = {}
    if ids:
        rows = session.execute(
            select(Membership.space_id, Membership.user_id)
            .where(Membership.space_id.in_(ids))
            .order_by(Membership.space_id, Membership.user_id)
        )
        for space_id, user_id in rows:
            members[space_id].append(user_id)
        external = dict(
            session.execute(
                select(ExternalIdentity.space_id, ExternalIdentity.subject).where(
                    ExternalIdentity.space_id.in_(ids),
                    ExternalIdentity.source == GROUP_EXTERNAL_ID,
                )
            ).all()
        )
    return [
        Group(
            id=str(space.id),
            external_id=external.get(space.id),
            display_name=space.name,
            members=[
                GroupMember(value=str(uid), ref=_location(base, "Users", uid))
                for uid in members[space.id]
            ],
            meta=Meta(
                resource_type="Group",
                created=space.created_at,
                last_modified=space.created_at,
                location=_location(base, "Groups", space.id),
            ),
        )
        for space in spaces
    ]


def _member_ids(session: Session, data: Any) -> set[int]:
    wanted: set[int] = set()
    for member in data.members or []:
        value = member.value or ""
        if not value.isdigit() or len(value) > 11:
            raise InvalidValueException(detail=f"members: no user {value!r}.")
        wanted.add(int(value))
    if wanted:
        found = set(
            session.execute(
                select(User.id).where(User.id.in_(wanted), User.deprovisioned_at.is_(None))
            ).scalars()
        )
        if missing := wanted - found:
            raise InvalidValueException(detail=f"members: no user {sorted(missing)[0]}.")
    return wanted


def _apply_group(session: Session, space: Space, data: Any) -> None:
    name = _check(data.display_name, "displayName", 120, required=True)
    space.name = name
    _set_subject(
        session,
        GROUP_EXTERNAL_ID,
        _check(data.external_id or "", "externalId", 300),
        space_id=space.id,
    )
    wanted = _member_ids(session, data)
    current = set(
        session.execute(select(Membership.user_id).where(Membership.space_id == space.id)).scalars()
    )
    gone = [uid for uid in current if uid not in wanted]
    if gone:
        session.execute(
            delete(Membership).where(Membership.space_id == space.id, Membership.user_id.in_(gone))
        )
    for uid in sorted(wanted - current):
        session.add(Membership(space_id=space.id, user_id=uid, role="member"))
    reindex_space(session, space)
    session.flush()


def create_scim_group(session: Session, data: Any, creator: User) -> Space:
    """POST /Groups: a private space joined by invitation, its members the group's."""
    name = _check(data.display_name, "displayName", 120, required=True)
    taken = session.execute(
        select(Space.id)
        .join(ExternalIdentity, ExternalIdentity.space_id == Space.id)
        .where(ExternalIdentity.source == GROUP, Space.name == name)
    ).first()
    if taken:
        raise UniquenessException(detail=f"A group is already called {name!r}.")
    base = (slugify(name) or "group")[:50]
    slug = base
    while session.execute(select(Space.id).where(Space.slug == slug)).first():
        slug = f"{base}-{secrets.token_hex(3)}"
    space = Space(
        slug=slug, name=name, visibility="private", join_policy="invite", created_by=creator.id
    )
    session.add(space)
    session.flush()
    session.add(ExternalIdentity(source=GROUP, subject=str(space.id), space_id=space.id))
    _apply_group(session, space, data)
    return space


def get_scim_group(session: Session, ident: str) -> Space:
    """The provider's space SCIM's ``id`` names; else not found."""
    query = (
        select(Space)
        .join(ExternalIdentity, ExternalIdentity.space_id == Space.id)
        .where(ExternalIdentity.source == GROUP, ExternalIdentity.subject == ident)
    )
    space = session.execute(query).scalar_one_or_none()
    if space is None:
        raise NotFoundException(detail=f"No group {ident}.")
    return space


def replace_scim_group(session: Session, space: Space, data: Any) -> None:
    """PUT /Groups/{id} (and PATCH through the current representation)."""
    _apply_group(session, space, data)


def release_scim_group(session: Session, space: Space) -> None:
    """DELETE /Groups/{id}: the space is no longer the provider's; it and its people stay."""
    session.execute(
        delete(ExternalIdentity).where(
            ExternalIdentity.space_id == space.id,
            ExternalIdentity.source.in_((GROUP, GROUP_EXTERNAL_ID)),
        )
    )


# -- lists and filters ------------------------------------------------------------------------


def _linked(source: str, column: Any, op: Callable[[Any], ColumnElement[bool]]) -> Any:
    owner = ExternalIdentity.user_id if column is User.id else ExternalIdentity.space_id
    return column.in_(
        select(owner).where(ExternalIdentity.source == source, op(ExternalIdentity.subject))
    )


def _compare(
    column: Any, op: CompareOperator, value: Any, *, fold: bool, stored_lower: bool = False
) -> ColumnElement[bool]:
    """``column op value``; ``fold``: ignoring case (``stored_lower``: the column holds
    lower-case text already, so its index serves)."""
    if isinstance(value, bool) or value is None:
        if op not in (CompareOperator.eq, CompareOperator.ne):
            raise InvalidFilterException(detail=f"{op} needs a string.")
        clause = column.is_(value) if value is None else column == value
        return clause if op == CompareOperator.eq else not_(clause)
    text = str(value)
    target = func.lower(column) if fold and not stored_lower else column
    text = text.lower() if fold else text
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if op == CompareOperator.eq:
        return target == text
    if op == CompareOperator.ne:
        return target != text
    if op == CompareOperator.co:
        return target.like(f"%{escaped}%", escape="\\")
    if op == CompareOperator.sw:
        return target.like(f"{escaped}%", escape="\\")
    if op == CompareOperator.ew:
        return target.like(f"%{escaped}", escape="\\")
    return {"gt": target > text, "ge": target >= text, "lt": target < text, "le": target <= text}[
        op.value
    ]


def _attr_name(path: AttrPath) -> str:
    name = path.attr + (f".{path.sub_attr}" if path.sub_attr else "")
    if path.uri and path.uri.lower() == ENTERPRISE.lower():
        name = f"enterprise:{name}"
    return name.lower()


def user_filter_attribute(name: str, op: CompareOperator | None, value: Any) -> ColumnElement[bool]:
    """The SQL condition for one comparison (``op`` None: present) on a user attribute."""

    def linked(source: str) -> ColumnElement[bool]:
        if op is None:
            return _linked(source, User.id, lambda c: c.is_not(None))
        return _linked(source, User.id, lambda c: _compare(c, op, value, fold=True))

    columns = {
        "displayname": User.display_name,
        "emails": User.email,
        "emails.value": User.email,
        "title": User.job_title,
        "enterprise:department": User.department,
        "phonenumbers": User.phone,
        "phonenumbers.value": User.phone,
    }
    if name == "username":
        if op is None:
            return true()
        # The provider's userName, or, for accounts it never named, the rse username: one
        # set of ids from two indexed lookups.
        named = select(ExternalIdentity.user_id).where(
            ExternalIdentity.source == USER_NAME,
            _compare(ExternalIdentity.subject, op, value, fold=True),
        )
        has_name = (
            select(ExternalIdentity.id)
            .where(ExternalIdentity.user_id == User.id, ExternalIdentity.source == USER_NAME)
            .exists()
        )
        username = _compare(User.username, op, value, fold=True, stored_lower=True)
        unnamed = select(User.id).where(username, ~has_name)
        return User.id.in_(union(named, unnamed))
    if name == "externalid":
        return linked(USER_EXTERNAL_ID)
    if name == "id":
        return _compare(func.cast(User.id, String()), op, value, fold=False) if op else true()
    if name == "active":
        return (
            User.is_active.is_not(None)
            if op is None
            else _compare(User.is_active, op, value, fold=False)
        )
    if name in columns:
        column = columns[name]
        return column != "" if op is None else _compare(column, op, value, fold=True)
    raise InvalidFilterException(detail=f"Filtering on {name} is not supported.")


def group_filter_attribute(
    name: str, op: CompareOperator | None, value: Any
) -> ColumnElement[bool]:
    """The SQL condition for one comparison (``op`` None: present) on a group attribute."""
    if name == "displayname":
        return Space.name != "" if op is None else _compare(Space.name, op, value, fold=True)
    if name == "externalid":
        if op is None:
            return _linked(GROUP_EXTERNAL_ID, Space.id, lambda c: c.is_not(None))
        return _linked(GROUP_EXTERNAL_ID, Space.id, lambda c: _compare(c, op, value, fold=False))
    if name == "id":
        return _compare(func.cast(Space.id, String()), op, value, fold=False) if op else true()
    if name in ("members", "members.value") and op == CompareOperator.eq:
        return Space.id.in_(
            select(Membership.space_id).where(func.cast(Membership.user_id, String()) == str(value))
        )
    raise InvalidFilterException(detail=f"Filtering on {name} is not supported.")


def filter_clause(text: str | None, attr: Callable[..., ColumnElement[bool]]) -> Any:
    """A SCIM filter as a SQL condition (never a table filtered in Python)."""
    if not text:
        return true()
    try:
        node = ScimFilter(text).ast
    except ValueError as exc:
        raise InvalidFilterException(detail=f"This filter cannot be read: {exc}") from exc

    def walk(node: FilterNode) -> Any:
        if isinstance(node, Comparison):
            return attr(_attr_name(node.attr_path), node.op, node.value)
        if isinstance(node, Present):
            return attr(_attr_name(node.attr_path), None, None)
        if isinstance(node, Not):
            return not_(walk(node.expr))
        if isinstance(node, LogicalExpr):
            parts = [walk(term) for term in node.terms]
            return and_(*parts) if node.op == LogicalOperator.and_ else or_(*parts)
        raise InvalidFilterException(detail="This filter is not supported.")

    return walk(node)


def page_of_users(session: Session, where: Any, start: int, count: int) -> tuple[int, list[User]]:
    """Users the provider sees, filtered, one page (``start`` is 1-based)."""
    base = select(User).where(User.deprovisioned_at.is_(None), where)
    total = session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    rows = session.execute(base.order_by(User.id).offset(start - 1).limit(count)).scalars()
    return total, list(rows)


def page_of_groups(session: Session, where: Any, start: int, count: int) -> tuple[int, list[Space]]:
    """The provider's spaces, filtered, one page."""
    base = (
        select(Space)
        .join(ExternalIdentity, ExternalIdentity.space_id == Space.id)
        .where(ExternalIdentity.source == GROUP, where)
    )
    total = session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    rows = session.execute(base.order_by(Space.id).offset(start - 1).limit(count)).scalars()
    return total, list(rows)
