"""Loading the people and spaces a list of items names, in one query each (none per item)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from .models import Membership, Space, User

_USERS = select(User).where(User.id.in_(bindparam("ids", expanding=True)))
_SPACES = select(Space).where(Space.id.in_(bindparam("ids", expanding=True)))


def people_and_spaces(
    session: Session, user_ids: Iterable[int | None], space_ids: Iterable[int | None] = ()
) -> tuple[dict[int, User], dict[int, Space]]:
    """The users and spaces with these ids, by id (``None`` ids are skipped; an empty list
    costs no query)."""
    wanted_users = sorted({i for i in user_ids if i is not None})
    wanted_spaces = sorted({i for i in space_ids if i is not None})
    users = (
        {u.id: u for u in session.scalars(_USERS, {"ids": wanted_users})} if wanted_users else {}
    )
    spaces = (
        {s.id: s for s in session.scalars(_SPACES, {"ids": wanted_spaces})} if wanted_spaces else {}
    )
    return users, spaces


def audience_size(session: Session, space_id: int | None) -> int:
    """How many active people an item shared in a space reaches as members (its members), or
    company-wide (every active employee): the denominator of "participants as a share of the
    audience"."""
    query = select(func.count(User.id)).where(User.is_active.is_(True))
    if space_id is not None:
        query = query.join(Membership, Membership.user_id == User.id).where(
            Membership.space_id == space_id
        )
    return int(session.execute(query).scalar_one())
