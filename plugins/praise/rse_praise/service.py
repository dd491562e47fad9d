"""Praise: giving it (checked), reading it as a viewer may see it, the badges admins edit,
and the month's most praised."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from rse_core import (
    N_,
    Conflict,
    Content,
    NotFound,
    Space,
    User,
    ValidationError,
    clean_text,
    delete_content,
    get_visible,
    notify,
    people_and_spaces,
    principals_for,
    publish,
    utcnow,
    visible,
)

from .models import Badge, Praise, Recipient, Setting

TYPE = "praise.praise"
MAX_RECIPIENTS = 10
MAX_MESSAGE = 2_000
MONTHLY_WIDGET = "monthly_widget"
TOP = 5  # people in the month's widget


@dataclass(frozen=True)
class Shown:
    """A praise as a page shows it: its row, item, badge, author and the praised."""

    praise: Praise
    content: Content
    badge: Badge
    author: User
    recipients: list[User]
    space: Space | None


# -- badges ----------------------------------------------------------------------------------


def badges(session: Session, *, retired: bool = False) -> list[Badge]:
    """The badges offered (with ``retired``, every badge), by name."""
    query = select(Badge).order_by(Badge.name)
    if not retired:
        query = query.where(Badge.retired_at.is_(None))
    return list(session.scalars(query))


def clean_badge(data: dict[str, object]) -> dict[str, str]:
    """A badge's name (required, at most 40), description (200) and symbol (8)."""
    return {
        "name": clean_text(data.get("name"), "name", max_length=40, required=True),
        "description": clean_text(data.get("description") or "", "description", max_length=200),
        "symbol": clean_text(data.get("symbol") or "★", "symbol", max_length=8) or "★",
    }


def save_badge(session: Session, badge: Badge | None, fields: dict[str, str]) -> Badge:
    """Add a badge (``badge`` None) or change one; names are unique (case aside)."""
    taken = session.scalar(select(Badge.id).where(func.lower(Badge.name) == fields["name"].lower()))
    if taken is not None and (badge is None or taken != badge.id):
        raise Conflict({"name": N_("A badge already has this name.")})
    if badge is None:
        badge = Badge(created_at=utcnow())
        session.add(badge)
    badge.name, badge.description, badge.symbol = (
        fields["name"],
        fields["description"],
        fields["symbol"],
    )
    session.flush()
    return badge


def retire_badge(session: Session, badge: Badge, retired: bool) -> None:
    """Stop offering a badge (praise given with it keeps it), or offer it again."""
    badge.retired_at = utcnow() if retired else None


def monthly_widget_on(session: Session) -> bool:
    """Does the home page show the month's most praised? (On unless an admin turned it off.)"""
    row = session.get(Setting, MONTHLY_WIDGET)
    return row is None or row.value != "off"


def set_monthly_widget(session: Session, on: bool) -> None:
    """Turn the home page's "most praised this month" on or off, for everyone."""
    row = session.get(Setting, MONTHLY_WIDGET) or Setting(key=MONTHLY_WIDGET)
    row.value = "on" if on else "off"
    session.add(row)


# -- giving ----------------------------------------------------------------------------------


def clean_names(usernames: Iterable[object]) -> list[str]:
    """Usernames as typed ("@Bob", "bob") once each, lower-cased."""
    return list(
        dict.fromkeys(str(n).strip().lstrip("@").lower() for n in usernames if str(n).strip())
    )


def unknown_names(session: Session, names: Sequence[str]) -> list[str]:
    """Those of ``names`` that are no active colleague's username."""
    active = set(
        session.scalars(
            select(User.username).where(User.username.in_(names), User.is_active.is_(True))
        )
    )
    return [n for n in names if n not in active]


def give(
    session: Session,
    author: User,
    usernames: Iterable[object],
    badge_id: object,
    message: object,
    space: Space | None,
) -> Praise:
    """Praise colleagues: 1 to ``MAX_RECIPIENTS`` active people other than the author, a
    badge on offer, a message; in ``space`` (the author a member, the praised able to read
    it) or company-wide. The praised are notified."""
    names = list(
        dict.fromkeys(str(n).strip().lstrip("@").lower() for n in usernames if str(n).strip())
    )
    if not names:
        raise ValidationError({"recipients": N_("Say whom you praise.")})
    if len(names) > MAX_RECIPIENTS:
        raise ValidationError({"recipients": N_("Praise at most 10 people at once.")})
    people = {u.username: u for u in session.scalars(select(User).where(User.username.in_(names)))}
    if author.username in names:
        raise ValidationError({"recipients": N_("You cannot praise yourself.")})
    if any(n not in people or not people[n].is_active for n in names):
        raise ValidationError(
            {"recipients": N_("Praise colleagues by their username: someone here is not one.")}
        )
    try:
        badge = session.get(Badge, int(str(badge_id)))
    except ValueError:
        badge = None
    if badge is None or badge.retired_at is not None:
        raise ValidationError({"badge": N_("Choose one of the badges offered.")})
    text = clean_text(message, "message", max_length=MAX_MESSAGE, required=True)
    recipients = [people[n] for n in names]
    if space is not None and any(
        space.principal not in principals_for(session, p) for p in recipients
    ):
        raise ValidationError(
            {"recipients": N_("Someone you praise cannot read this space: praise them elsewhere.")}
        )
    content = publish(
        session,
        plugin="praise",
        type=TYPE,
        author=author,
        url="/praise",  # set below, once the praise has its id
        title=f"{badge.name}: {', '.join(p.display_name for p in recipients)}"[:300],
        summary=text,
        space=space,
    )
    praise = Praise(
        content_id=content.id,
        author_id=author.id,
        space_id=space.id if space else None,
        badge_id=badge.id,
        message=text,
        created_at=content.created_at,
    )
    session.add(praise)
    session.flush()
    session.add_all(Recipient(praise_id=praise.id, user_id=p.id) for p in recipients)
    content.url = f"/praise/{praise.id}"
    for person in recipients:
        notify(session, person, "mention", actor=author, content=content, note=N_("praised you:"))
    return praise


def remove(session: Session, praise: Praise) -> None:
    """Delete a praise (its author or an admin): gone from every page at once."""
    delete_content(session, session.get(Content, praise.content_id))


# -- reading ---------------------------------------------------------------------------------


def readable(session: Session, praise_id: int, principals: frozenset[str]) -> Praise:
    """The praise if the reader may see it; else NotFound (a 404)."""
    praise = session.get(Praise, praise_id)
    if praise is None or get_visible(session, praise.content_id, principals) is None:
        raise NotFound("No such praise.")
    return praise


def listing(
    session: Session,
    principals: frozenset[str],
    *,
    recipient: User | None = None,
    space: Space | None = None,
    before: int | None = None,
    limit: int = 20,
) -> list[Shown]:
    """Visible praise, newest first: all, one person's received, or a space's."""
    query = (
        select(Praise)
        .join(Content, Content.id == Praise.content_id)
        .where(visible(Content.audience, principals), Content.deleted_at.is_(None))
    )
    if recipient is not None:
        query = query.join(Recipient, Recipient.praise_id == Praise.id).where(
            Recipient.user_id == recipient.id
        )
    if space is not None:
        query = query.where(Praise.space_id == space.id)
    if before is not None:
        query = query.where(Praise.id < before)
    rows = list(session.scalars(query.order_by(Praise.id.desc()).limit(limit)))
    return shown(session, rows)


@dataclass(frozen=True)
class InStream:
    """A praise as a stream entry shows it (the entry holds its item, author and space):
    its row, badge and the praised (``username`` and ``display_name``, by name)."""

    praise: Praise
    badge: Badge
    recipients: list[Any]


_WITH_BADGES = (
    select(Praise, Badge)
    .join(Badge, Badge.id == Praise.badge_id)
    .where(Praise.content_id.in_(bindparam("ids", expanding=True)))
)
_PRAISED = (
    select(Recipient.praise_id, User.username, User.display_name)
    .join(User, User.id == Recipient.user_id)
    .where(Recipient.praise_id.in_(bindparam("ids", expanding=True)))
    .order_by(User.display_name)
)


def in_stream(session: Session, content_ids: Sequence[int]) -> dict[int, InStream]:
    """The praise of a stream page's items, by content id, in two statements (``shown``
    reads each item, author and space again: six at 10,000,000 activities, 1.8 ms a page)."""
    pairs = session.execute(_WITH_BADGES, {"ids": list(content_ids)}).all()
    praised: dict[int, list[Any]] = {}
    if pairs:
        for person in session.execute(_PRAISED, {"ids": [praise.id for praise, _ in pairs]}):
            praised.setdefault(person.praise_id, []).append(person)
    return {
        praise.content_id: InStream(praise, badge, praised.get(praise.id, []))
        for praise, badge in pairs
    }


def shown(session: Session, rows: Sequence[Praise]) -> list[Shown]:
    """What pages need of these praises, in at most five queries whatever their number."""
    if not rows:
        return []
    ids = [p.id for p in rows]
    contents = {
        c.id: c
        for c in session.scalars(
            select(Content).where(Content.id.in_([p.content_id for p in rows]))
        )
    }
    badge_rows = {
        b.id: b
        for b in session.scalars(select(Badge).where(Badge.id.in_({p.badge_id for p in rows})))
    }
    praised: dict[int, list[int]] = {}
    for praise_id, user_id in session.execute(
        select(Recipient.praise_id, Recipient.user_id).where(Recipient.praise_id.in_(ids))
    ):
        praised.setdefault(praise_id, []).append(user_id)
    people, spaces = people_and_spaces(
        session,
        [*(p.author_id for p in rows), *(u for users in praised.values() for u in users)],
        [p.space_id for p in rows],
    )
    return [
        Shown(
            praise=p,
            content=contents[p.content_id],
            badge=badge_rows[p.badge_id],
            author=people[p.author_id],
            recipients=sorted(
                (people[u] for u in praised.get(p.id, ())), key=lambda u: u.display_name
            ),
            space=spaces.get(p.space_id) if p.space_id else None,
        )
        for p in rows
    ]


def badge_tally(
    session: Session, principals: frozenset[str], person: User
) -> list[tuple[Badge, int]]:
    """How often ``person`` received each badge, from the praise the reader may see."""
    rows = session.execute(
        select(Praise.badge_id, func.count())
        .join(Recipient, Recipient.praise_id == Praise.id)
        .join(Content, Content.id == Praise.content_id)
        .where(
            Recipient.user_id == person.id,
            visible(Content.audience, principals),
            Content.deleted_at.is_(None),
        )
        .group_by(Praise.badge_id)
    ).all()
    found = {
        b.id: b for b in session.scalars(select(Badge).where(Badge.id.in_([r[0] for r in rows])))
    }
    return sorted(((found[b], n) for b, n in rows), key=lambda item: (-item[1], item[0].name))


def month_counts(session: Session, since: datetime) -> dict[tuple[str, str], Counter[int]]:
    """How often each person was praised since ``since``, by the praise's audience and
    plugin: the parts ``shared_tally`` merges into each reader's "most praised this month".

    A worker counts the month once a minute for every reader instead of each home page
    walking the month's praise (three statements a page, one of them ~1.6 ms at 50,000 praise
    on SQLite, more on PostgreSQL: bench/scale_bench.py). The walk starts from the month's
    praise (its ``created_at`` index) and reaches each item by its key."""
    # Grouped by an expression, not the column: by the column SQLite walked every item in
    # audience order to skip the sort (a test checks the plan).
    audience = Content.audience.concat("")
    rows = session.execute(
        select(audience, Content.plugin, Recipient.user_id, func.count())
        .select_from(Praise)
        .join(Content, Content.id == Praise.content_id)
        .join(Recipient, Recipient.praise_id == Praise.id)
        .where(Praise.created_at >= since, Content.deleted_at.is_(None))
        .group_by(audience, Content.plugin, Recipient.user_id)
    )
    parts: dict[tuple[str, str], Counter[int]] = {}
    for audience, plugin, user_id, times in rows:
        parts.setdefault((audience, plugin), Counter())[user_id] = times
    return parts


def most_praised(
    session: Session, ranked: Sequence[tuple[int, int]], limit: int = TOP
) -> list[tuple[User, int]]:
    """The first ``limit`` of ``ranked`` (``(user id, times)``, most praised first: twice as
    many, for those who left) who are still active."""
    if not ranked:
        return []
    people = {u.id: u for u in session.scalars(_ACTIVE_USERS, {"ids": [uid for uid, _ in ranked]})}
    return [(people[uid], times) for uid, times in ranked if uid in people][:limit]


_ACTIVE_USERS = select(User).where(
    User.id.in_(bindparam("ids", expanding=True)), User.is_active.is_(True)
)


def month_start(now: datetime) -> datetime:
    """The first instant of ``now``'s month (UTC)."""
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def counts(tally: Iterable[tuple[Badge, int]]) -> Counter[str]:
    """Badge name -> times, for the API."""
    return Counter({badge.name: n for badge, n in tally})
