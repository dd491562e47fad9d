"""Activity streams: what happened that a reader may see, newest first, paged by id.

Every stream filters with the same predicate (the activity's audience among the reader's
principals, the content not deleted) and pages with "older than id X", never OFFSET. A page
is one query whatever its length: SQLite walks the activity table newest first, checks each
row's audience against the reader's principals (an in-memory set), and stops at the limit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from .content import Activity, Content, ContentTag, visible
from .identity.models import Space, User
from .permissions import within_spaces
from .sql_sets import in_set

MAX_PAGE = 100
FOLD_NAMES = 10
AS2_TYPES = {"create": "Create", "update": "Update", "comment": "Create", "status": "Update"}


@dataclass(frozen=True)
class StreamEntry:
    """One activity with what a page needs to show it."""

    activity: Activity
    content: Content
    actor: User
    space: Space | None
    #: In a folded stream, the other people who did the same on this item, newest first
    #: (``(username, display name)``, at most :data:`FOLD_NAMES`), and how many there are.
    others: tuple[tuple[str, str], ...] = ()
    others_count: int = 0


@dataclass(frozen=True)
class Following:
    """What a reader follows: people, spaces and tags."""

    user_ids: tuple[int, ...] = ()
    space_ids: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()

    @classmethod
    def from_targets(cls, targets: list[str]) -> Following:
        """Parse ``user:<id>``, ``space:<id>`` and ``tag:<name>`` targets."""
        users, spaces, tags = [], [], []
        for target in targets:
            kind, _, value = target.partition(":")
            if kind == "user" and value.isdigit():
                users.append(int(value))
            elif kind == "space" and value.isdigit():
                spaces.append(int(value))
            elif kind == "tag" and value:
                tags.append(value)
        return cls(tuple(users), tuple(spaces), tuple(tags))


def _following(activity: Any, following: Following) -> ColumnElement[bool] | None:
    """Activities (of the ``Activity`` entity or an alias) by followed people, in followed
    spaces or on items with a followed tag; None when nothing is followed.

    Each set is one parameter (``in_set``: someone may follow a thousand people), and a tag is
    a probe of the row's item's tags (their primary key), not the list of every item with a
    followed tag, which SQLite built before the walk: 63 ms for someone following 1,000
    people and tags at 100,000 activities, 296 ms at 1,000,000 (bench/scale_bench.py)."""
    conditions: list[ColumnElement[bool]] = []
    if following.user_ids:
        conditions.append(in_set(activity.actor_id, following.user_ids, integers=True))
    if following.space_ids:
        conditions.append(in_set(activity.space_id, following.space_ids, integers=True))
    if following.tags:
        tagged = (
            select(ContentTag.content_id)
            .where(
                ContentTag.content_id == activity.content_id,
                in_set(ContentTag.tag, following.tags),
            )
            .exists()
        )
        conditions.append(tagged)
    return or_(*conditions) if conditions else None


def _item_deleted() -> ColumnElement[bool]:
    """The activity's item is deleted. A correlated probe of the content's primary key, not a
    join: with a join SQLite builds a Bloom filter over the whole content table before the
    walk (12 ms at 100,000 items, growing with them; 0.1 ms this way)."""
    return (
        select(Content.id)
        .where(Content.id == Activity.content_id, Content.deleted_at.is_not(None))
        .exists()
    )


# Made once: an alias of a mapped class builds a proxy of each of its columns at its first
# use, 0.4 ms (Activity) and 0.25 ms (User) of every stream when made per call.
_LATER = aliased(Activity, name="later")
_ACTOR = aliased(User, name="actor")


def _newest_of_its_item(
    actor_id: int | None = None, following: Following | None = None
) -> ColumnElement[bool]:
    """The activity is the newest one on its item among those the stream's filters keep.

    Activities of one item share its audience, space and plugin, so only the filters on the
    activity itself (actor, following) need repeating; each row costs one probe of the
    ``(content_id, id)`` index, so a folded page costs what an unfolded one does."""
    later = _LATER
    conditions = [later.content_id == Activity.content_id, later.id > Activity.id]
    if actor_id is not None:
        conditions.append(later.actor_id == actor_id)
    if following is not None and (matches := _following(later, following)) is not None:
        conditions.append(matches)
    return ~exists().where(*conditions)


def _filtered(
    query: Select[Any],
    principals: frozenset[str],
    *,
    before: int | None = None,
    after: int | None = None,
    space_id: int | None = None,
    actor_id: int | None = None,
    following: Following | None = None,
    fold: bool = False,
) -> Select[Any] | None:
    """Add the visibility predicate and the filters; None when nothing can match. With
    ``fold``, only each item's newest matching activity is kept."""
    if space_id is not None:  # a space's activities all carry its principal
        principals = within_spaces(principals, (space_id,))
    query = query.where(visible(Activity.audience, principals), ~_item_deleted())
    if before is not None:
        query = query.where(Activity.id < before)
    if after is not None:
        query = query.where(Activity.id > after)
    if space_id is not None:
        query = query.where(Activity.space_id == space_id)
    if actor_id is not None:
        query = query.where(Activity.actor_id == actor_id)
    if following is not None:
        matches = _following(Activity, following)
        if matches is None:
            return None
        query = query.where(matches)
    if fold:
        query = query.where(_newest_of_its_item(actor_id, following))
    return query


def stream_ids(
    session: Session, principals: frozenset[str], *, limit: int = 20, **filters: Any
) -> list[int]:
    """Ids of the newest visible activities matching the filters (one query)."""
    query = _filtered(select(Activity.id), principals, **filters)
    if query is None:
        return []
    limit = max(1, min(limit, MAX_PAGE))
    return list(session.execute(query.order_by(Activity.id.desc()).limit(limit)).scalars())


def stream(
    session: Session, principals: frozenset[str], *, limit: int = 20, **filters: Any
) -> list[StreamEntry]:
    """A page of a stream, newest first: the activities with their content, actor and space.
    See :func:`_filtered` for the filters (``before``, ``after``, ``space_id``, ``actor_id``,
    ``following``). With ``fold=True`` an item appears once, at its newest activity, with the
    other people who did the same (``others``; one more query for the page)."""
    ids = _filtered(select(Activity.id), principals, **filters)
    if ids is None:
        return []
    limit = max(1, min(limit, MAX_PAGE))
    # The page's ids first (the walk), then their rows: joined to the walk itself, the
    # content table would be scanned to build a Bloom filter (see _item_deleted).
    page = ids.order_by(Activity.id.desc()).limit(limit).subquery()
    actor = _ACTOR
    query = (
        select(Activity, Content, actor, Space)
        .join(page, page.c.id == Activity.id)
        .join(Content, Content.id == Activity.content_id)
        .join(actor, actor.id == Activity.actor_id)
        .outerjoin(Space, Space.id == Activity.space_id)
        .order_by(Activity.id.desc())
    )
    rows = session.execute(query).all()
    entries = [StreamEntry(*row) for row in rows]
    if filters.get("fold") and filters.get("actor_id") is None and entries:
        entries = _with_others(session, entries)
    return entries


def _with_others(session: Session, entries: list[StreamEntry]) -> list[StreamEntry]:
    """Add to each folded entry the other people who did the same on its item (one query)."""
    last = func.max(Activity.id).label("last")
    query = (
        select(Activity.content_id, Activity.verb, User.id, User.username, User.display_name, last)
        .join(User, User.id == Activity.actor_id)
        .where(Activity.content_id.in_({e.content.id for e in entries}))
        .group_by(Activity.content_id, Activity.verb, User.id, User.username, User.display_name)
        .order_by(last.desc())
    )
    people: dict[tuple[int, str], list[tuple[int, str, str]]] = {}
    for content_id, verb, user_id, username, name, _last in session.execute(query):
        people.setdefault((content_id, verb), []).append((user_id, username, name))
    folded = []
    for entry in entries:
        others = [
            (username, name)
            for user_id, username, name in people.get((entry.content.id, entry.activity.verb), [])
            if user_id != entry.actor.id
        ]
        folded.append(replace(entry, others=tuple(others[:FOLD_NAMES]), others_count=len(others)))
    return folded


def count_newer(session: Session, principals: frozenset[str], after: int, **filters: Any) -> int:
    """How many visible activities (with ``fold=True``, items) are newer than ``after``
    (capped at 100)."""
    return len(stream_ids(session, principals, after=after, limit=MAX_PAGE, **filters))


def as_activity_streams(entry: StreamEntry, base_url: str = "") -> dict[str, Any]:
    """An entry as Activity Streams 2.0 JSON."""
    activity, content, actor, space = entry.activity, entry.content, entry.actor, entry.space
    body: dict[str, Any] = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{base_url}/api/v1/activities/{activity.id}",
        "type": AS2_TYPES.get(activity.verb, "Activity"),
        "rse:verb": activity.verb,
        "actor": {
            "type": "Person",
            "id": f"{base_url}/people/{actor.username}",
            "name": actor.display_name,
            "preferredUsername": actor.username,
        },
        "object": {
            "type": "Note" if not content.title else "Article",
            "id": f"{base_url}{content.url}",
            "url": f"{base_url}{content.url}",
            "name": content.title,
            "summary": content.summary[:500],
            "rse:type": content.type,
            "rse:contentId": content.id,
            "published": content.created_at.isoformat(),
            "updated": content.updated_at.isoformat(),
        },
        "published": activity.created_at.isoformat(),
    }
    if space is not None:
        body["target"] = {
            "type": "Group",
            "id": f"{base_url}/spaces/{space.slug}",
            "name": space.name,
        }
    return body
