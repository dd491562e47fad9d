"""Activity streams: what happened that a reader may see, newest first, paged by id.

Every stream filters with the same predicate (the activity's audience among the reader's
principals, the content not deleted) and pages with "older than id X", never OFFSET. A page
is one query whatever its length: SQLite walks the activity table newest first, checks each
row's audience against the reader's principals (an in-memory set), and stops at the limit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from .content import Activity, Content, carries_tag, visible
from .identity.models import Space, User
from .permissions import ScopeParameter, within_spaces
from .sql_sets import in_set, set_form, set_parameter

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


def _following(activity: Any, sets: _FollowingShape) -> ColumnElement[bool]:
    """Activities (of the ``Activity`` entity or an alias) by followed people, in followed
    spaces or on items with a followed tag (the parameters ``follow_people``, ``follow_spaces``
    and ``follow_tags``, those that are not None in ``sets``).

    Each set is one parameter (``in_set``: someone may follow a thousand people), and a tag is
    a probe of the row's item's tags (their primary key), not the list of every item with a
    followed tag, which SQLite built before the walk: 63 ms for someone following 1,000
    people and tags at 100,000 activities, 296 ms at 1,000,000 (bench/scale_bench.py)."""
    people, spaces, tags = sets
    conditions: list[ColumnElement[bool]] = []
    if people is not None:
        values = set_parameter("follow_people", integers=True)
        conditions.append(in_set(activity.actor_id, values, integers=True, large=people))
    if spaces is not None:
        values = set_parameter("follow_spaces", integers=True)
        conditions.append(in_set(activity.space_id, values, integers=True, large=spaces))
    if tags is not None:
        conditions.append(
            carries_tag(activity.content_id, set_parameter("follow_tags"), large=tags)
        )
    return or_(*conditions)


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

#: For each followed set (people, spaces, tags): None when empty, else whether it is large
#: (``sql_sets.LARGE_SET``), which changes how PostgreSQL is asked.
_FollowingShape = tuple[bool | None, bool | None, bool | None]


@dataclass(frozen=True)
class _Shape:
    """What a stream statement's SQL depends on; the values are its parameters. Statements
    are built once per shape (building one cost as much as running it: docs/performance.md)."""

    scope: ScopeParameter
    before: bool = False
    after: bool = False
    space: bool = False
    actor: bool = False
    following: _FollowingShape | None = None
    fold: bool = False


def _newest_of_its_item(shape: _Shape) -> ColumnElement[bool]:
    """The activity is the newest one on its item among those the stream's filters keep.

    Activities of one item share its audience, space and plugin, so only the filters on the
    activity itself (actor, following) need repeating; each row costs one probe of the
    ``(content_id, id)`` index, so a folded page costs what an unfolded one does."""
    later = _LATER
    conditions = [later.content_id == Activity.content_id, later.id > Activity.id]
    if shape.actor:
        conditions.append(later.actor_id == bindparam("actor_id"))
    if shape.following is not None:
        conditions.append(_following(later, shape.following))
    return ~exists().where(*conditions)


@lru_cache(maxsize=256)
def _walk(shape: _Shape) -> Select[Any]:
    """The ids of a stream's page, newest first: the visibility predicate, the filters and,
    with ``fold``, only each item's newest matching activity."""
    query = select(Activity.id).where(visible(Activity.audience, shape.scope), ~_item_deleted())
    if shape.before:
        query = query.where(Activity.id < bindparam("before"))
    if shape.after:
        query = query.where(Activity.id > bindparam("after"))
    if shape.space:
        query = query.where(Activity.space_id == bindparam("space_id"))
    if shape.actor:
        query = query.where(Activity.actor_id == bindparam("actor_id"))
    if shape.following is not None:
        query = query.where(_following(Activity, shape.following))
    if shape.fold:
        query = query.where(_newest_of_its_item(shape))
    return query.order_by(Activity.id.desc()).limit(bindparam("limit", type_=Integer))


@lru_cache(maxsize=256)
def _page(shape: _Shape) -> Select[Any]:
    """A stream page's rows: the activities with their content, actor and space.

    The page's ids first (the walk), then their rows: joined to the walk itself, the content
    table would be scanned to build a Bloom filter (see _item_deleted)."""
    page = _walk(shape).subquery()
    actor = _ACTOR
    return (
        select(Activity, Content, actor, Space)
        .join(page, page.c.id == Activity.id)
        .join(Content, Content.id == Activity.content_id)
        .join(actor, actor.id == Activity.actor_id)
        .outerjoin(Space, Space.id == Activity.space_id)
        .order_by(Activity.id.desc())
    )


def _shape_and_values(
    principals: frozenset[str],
    *,
    limit: int = 20,
    before: int | None = None,
    after: int | None = None,
    space_id: int | None = None,
    actor_id: int | None = None,
    following: Following | None = None,
    fold: bool = False,
) -> tuple[_Shape, dict[str, Any]] | None:
    """A stream's statement shape and parameters; None when nothing can match.

    The filters: ``before`` and ``after`` (activity ids), ``space_id``, ``actor_id``,
    ``following`` (activities by followed people, in followed spaces or on items with a
    followed tag). With ``fold``, only each item's newest matching activity is kept."""
    if space_id is not None:  # a space's activities all carry its principal
        principals = within_spaces(principals, (space_id,))
    scope = ScopeParameter.of(principals)
    values: dict[str, Any] = {**scope.values(principals), "limit": max(1, min(limit, MAX_PAGE))}
    following_shape: _FollowingShape | None = None
    if following is not None:
        if not (following.user_ids or following.space_ids or following.tags):
            return None
        following_shape = (
            set_form(following.user_ids),
            set_form(following.space_ids),
            set_form(following.tags),
        )
        values |= {
            "follow_people": following.user_ids,
            "follow_spaces": following.space_ids,
            "follow_tags": following.tags,
        }
    for name, value in (
        ("before", before),
        ("after", after),
        ("space_id", space_id),
        ("actor_id", actor_id),
    ):
        if value is not None:
            values[name] = value
    shape = _Shape(
        scope,
        before is not None,
        after is not None,
        space_id is not None,
        actor_id is not None,
        following_shape,
        fold,
    )
    return shape, values


def stream_ids(
    session: Session, principals: frozenset[str], *, limit: int = 20, **filters: Any
) -> list[int]:
    """Ids of the newest visible activities matching the filters (one query); the filters are
    :func:`_shape_and_values`'s."""
    built = _shape_and_values(principals, limit=limit, **filters)
    if built is None:
        return []
    shape, values = built
    return list(session.execute(_walk(shape), values).scalars())


def stream(
    session: Session, principals: frozenset[str], *, limit: int = 20, **filters: Any
) -> list[StreamEntry]:
    """A page of a stream, newest first: the activities with their content, actor and space.
    See :func:`_shape_and_values` for the filters (``before``, ``after``, ``space_id``,
    ``actor_id``, ``following``). With ``fold=True`` an item appears once, at its newest
    activity, with the other people who did the same (``others``; one more query for the
    page)."""
    built = _shape_and_values(principals, limit=limit, **filters)
    if built is None:
        return []
    shape, values = built
    rows = session.execute(_page(shape), values).all()
    entries = [StreamEntry(*row) for row in rows]
    if filters.get("fold") and filters.get("actor_id") is None and entries:
        entries = _with_others(session, entries)
    return entries


_LAST = func.max(Activity.id).label("last")
#: Who did what on the page's items, the latest first (one query for the page).
_PEOPLE_OF_ITEMS = (
    select(Activity.content_id, Activity.verb, User.id, User.username, User.display_name, _LAST)
    .join(User, User.id == Activity.actor_id)
    .where(Activity.content_id.in_(bindparam("ids", expanding=True)))
    .group_by(Activity.content_id, Activity.verb, User.id, User.username, User.display_name)
    .order_by(_LAST.desc())
)


def _with_others(session: Session, entries: list[StreamEntry]) -> list[StreamEntry]:
    """Add to each folded entry the other people who did the same on its item (one query)."""
    query, ids = _PEOPLE_OF_ITEMS, sorted({e.content.id for e in entries})
    people: dict[tuple[int, str], list[tuple[int, str, str]]] = {}
    for content_id, verb, user_id, username, name, _last in session.execute(query, {"ids": ids}):
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
