"""Writing, scheduling, publishing and reading blog posts through the core's content API.

A draft or scheduled post lives only in ``blog_post``; going live (at once, or by the
``blog.publish`` job at its time) registers it with the core (``publish``), which is what
puts it in streams, search, Atom feeds and mentions' notifications, all at the same instant.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy.orm import Session

from rse_core import (
    Conflict,
    Content,
    ContentTag,
    JobContext,
    NotFound,
    ScopeParameter,
    Space,
    User,
    ValidationError,
    cancel_job,
    clean_tags,
    clean_text,
    delete_content,
    enqueue_job,
    get_visible,
    notify_mentions,
    publish,
    update_content,
    visible,
    within_spaces,
)

from .models import DRAFT, PUBLISHED, SCHEDULED, STATUSES, BlogPost

MAX_TITLE = 200
MAX_BODY = 100_000
MAX_TAGS = 10
MAX_COVER_URL = 1000
WORDS_PER_MINUTE = 200
PUBLISH_JOB = "blog.publish"


@dataclass
class PostFields:
    """Checked input for a post; ``None`` means "not given" (an edit keeps the old value)."""

    title: str | None = None
    body: str | None = None
    tags: list[str] | None = None
    cover_url: str | None = None  # "" removes the cover
    status: str | None = None
    publish_at: datetime | None = None


# An http(s) address in plain ASCII (percent-encoded beyond it), written with explicit
# classes so that the API's JSON Schema pattern and this check accept exactly the same strings.
COVER_URL = r"^[hH][tT][tT][pP][sS]?://[A-Za-z0-9._~%!$&'()*+,;=:@-]+([/?#][!-~]*)?$"


def clean_cover_url(value: object) -> str:
    """An http(s) image address, or "" for no cover."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or len(value) > MAX_COVER_URL:
        message = f"Give an address of at most {MAX_COVER_URL} characters."
        raise ValidationError({"cover_url": message})
    if not re.fullmatch(COVER_URL, value):
        raise ValidationError({"cover_url": "Give an http or https image address."})
    return value


def clean(data: Mapping[str, Any], *, now: datetime, creating: bool) -> PostFields:
    """Check a post's fields (a form's or the API's); every error names its field."""
    fields = PostFields()
    if creating or "title" in data:
        fields.title = clean_text(
            data.get("title"), "title", max_length=MAX_TITLE, required="Give the post a title."
        )
    if creating or "body" in data:
        fields.body = clean_text(
            data.get("body"), "body", max_length=MAX_BODY, required="Write the post first."
        )
    if data.get("tags") is not None:
        fields.tags = clean_tags(data["tags"], max_tags=MAX_TAGS)
    if "cover_url" in data:
        fields.cover_url = clean_cover_url(data["cover_url"])
    status = data.get("status", DRAFT if creating else None)
    if status is not None and status not in STATUSES:
        raise ValidationError({"status": "Choose draft, scheduled or published."})
    fields.status = status
    publish_at = data.get("publish_at")
    if publish_at is not None:
        if not isinstance(publish_at, datetime) or publish_at.tzinfo is None:
            raise ValidationError({"publish_at": "Give a date and time with its time zone."})
        fields.publish_at = publish_at
    if creating and status == SCHEDULED and publish_at is None:
        raise ValidationError({"publish_at": "Choose when the post goes live."})
    if status == SCHEDULED and publish_at is not None:
        future(publish_at, now)
    return fields


def future(publish_at: datetime, now: datetime) -> None:
    """A publication time must still be ahead: a time passed since is a conflict with the
    present (409 in the API), not malformed input."""
    if publish_at <= now:
        raise Conflict({"publish_at": "Choose a time in the future."})


def reading_minutes(body: str) -> int:
    """Minutes to read a post at 200 words a minute (at least one)."""
    return max(1, math.ceil(len(body.split()) / WORDS_PER_MINUTE))


def post_url(post: BlogPost) -> str:
    """A post's page."""
    return f"/blog/posts/{post.id}"


def _job_key(post: BlogPost) -> str:
    return f"blog.publish:{post.id}"


def create_post(
    session: Session, author: User, space: Space | None, fields: PostFields, now: datetime
) -> BlogPost:
    """A new post in the author's blog (``space`` None) or a space's blog; published at once,
    scheduled, or kept as a draft."""
    post = BlogPost(
        author_id=author.id,
        space_id=space.id if space else None,
        title=fields.title or "",
        body=fields.body or "",
        tags=" ".join(fields.tags or []),
        cover_url=fields.cover_url or None,
        status=DRAFT,
        created_at=now,
        updated_at=now,
    )
    session.add(post)
    session.flush()
    _move_to(session, post, author, space, fields.status or DRAFT, fields.publish_at, now)
    return post


def edit_post(
    session: Session,
    post: BlogPost,
    editor: User,
    space: Space | None,
    fields: PostFields,
    now: datetime,
) -> None:
    """Change a post (its author); a published post's edit reaches streams and search."""
    if fields.title is not None:
        post.title = fields.title
    if fields.body is not None:
        post.body = fields.body
    if fields.tags is not None:
        post.tags = " ".join(fields.tags)
    if fields.cover_url is not None:
        post.cover_url = fields.cover_url or None
    post.updated_at = now
    if post.status == PUBLISHED:
        if fields.status not in (None, PUBLISHED):
            raise Conflict(
                {"status": "A published post stays published: delete it to take it down."}
            )
        content = session.get(Content, post.content_id)
        update_content(
            session, content, editor, title=post.title, summary=post.body, tags=post.tags.split()
        )
        notify_mentions(session, post.body, editor, content)
        return
    status = fields.status or post.status
    publish_at = fields.publish_at or (post.publish_at if status == SCHEDULED else None)
    if status == SCHEDULED:
        if publish_at is None:
            raise Conflict({"publish_at": "Choose when the post goes live."})
        future(publish_at, now)
    _move_to(session, post, editor, space, status, publish_at, now)


def _move_to(
    session: Session,
    post: BlogPost,
    author: User,
    space: Space | None,
    status: str,
    publish_at: datetime | None,
    now: datetime,
) -> None:
    if status == PUBLISHED:
        cancel_job(session, _job_key(post))
        go_live(session, post, author, space, now)
    elif status == SCHEDULED:
        post.status, post.publish_at = SCHEDULED, publish_at
        # One queued job per post: rescheduling replaces its time.
        enqueue_job(session, PUBLISH_JOB, {"post": post.id}, run_at=publish_at, key=_job_key(post))
    else:
        post.status, post.publish_at = DRAFT, None
        cancel_job(session, _job_key(post))


def go_live(
    session: Session, post: BlogPost, author: User, space: Space | None, now: datetime
) -> Content:
    """Register the post with the core: from now on streams, search, feeds and mentions'
    notifications know it, all in this transaction."""
    content = publish(
        session,
        plugin="blog",
        type="blog.post",
        author=author,
        url=post_url(post),
        title=post.title,
        summary=post.body,
        space=space,
        tags=post.tags.split(),
    )
    post.content_id = content.id
    post.status, post.published_at = PUBLISHED, content.created_at
    notify_mentions(session, post.body, author, content)
    return content


def publish_due(ctx: JobContext) -> None:
    """Job ``blog.publish``: a scheduled post whose time has come goes live. A post made a
    draft again, deleted, already published or rescheduled later is left alone."""
    with ctx.runtime.db.write() as session:
        post = session.get(BlogPost, int(ctx.payload["post"]))
        if post is None or post.status != SCHEDULED or post.publish_at is None:
            return
        if post.publish_at > ctx.now:
            return
        author = session.get(User, post.author_id)
        space = session.get(Space, post.space_id) if post.space_id else None
        try:
            go_live(session, post, author, space, ctx.now)
        except PermissionError:
            # The author left the space since scheduling: the post waits as a draft.
            post.status, post.publish_at = DRAFT, None


def remove_post(session: Session, post: BlogPost) -> None:
    """Delete a post: a published one disappears from every read path (the core keeps its
    row); a draft or scheduled one is gone."""
    cancel_job(session, _job_key(post))
    if post.content_id is not None:
        content = session.get(Content, post.content_id)
        if content is not None and content.deleted_at is None:
            delete_content(session, content)
        return
    session.delete(post)


def readable(
    session: Session, post_id: int, principals: frozenset[str], reader_id: int
) -> tuple[BlogPost, Content | None]:
    """The post and its content if the reader may read it: a published post its audience
    may see, or a draft or scheduled post (content None) of the reader's own. Raises
    NotFound otherwise (a 404 on pages and in the API alike)."""
    post = session.get(BlogPost, post_id)
    if post is not None and post.content_id is None and post.author_id == reader_id:
        return post, None
    if post is not None and post.content_id is not None:
        content = get_visible(session, post.content_id, principals)
        if content is not None:
            return post, content
    raise NotFound("No such post.")


def published(principals: frozenset[str] | ScopeParameter) -> Select[tuple[BlogPost]]:
    """Published, not deleted posts the reader may see, newest first. The walk starts from
    ``blog_post`` (in publication order: ``content_id``) and probes each post's item, so its
    cost follows the number of posts, not of every plugin's items. (A join let SQLite start
    from ``rse_content`` whenever ``blog_post`` looked large to it, empty and unanalysed
    included: 44 ms for a home page among 100,000 feed items and no post, bench/blog_bench.py.)
    """
    readable_item = (
        select(Content.id)
        .where(
            Content.id == BlogPost.content_id,
            visible(Content.audience, principals),
            Content.deleted_at.is_(None),
        )
        .exists()
    )
    return (
        select(BlogPost)
        .where(BlogPost.content_id.is_not(None), readable_item)
        .order_by(BlogPost.content_id.desc())
    )


_CONTENTS = select(Content).where(Content.id.in_(bindparam("ids", expanding=True)))


def with_contents(session: Session, rows: Sequence[BlogPost]) -> list[tuple[BlogPost, Content]]:
    """Each post with its content row: one query for the page."""
    ids = [p.content_id for p in rows]
    if not ids:
        return []
    contents = {c.id: c for c in session.execute(_CONTENTS, {"ids": ids}).scalars()}
    return [(p, contents[p.content_id]) for p in rows if p.content_id in contents]


@lru_cache(maxsize=32)
def _newest(scope: ScopeParameter) -> Select[tuple[BlogPost]]:
    """The newest posts the reader may see, built once per form of reader's scope (the home
    widget's and the blog page's: building it cost as much as running it)."""
    return published(scope).limit(bindparam("limit", type_=Integer))


@lru_cache(maxsize=32)
def _latest(scope: ScopeParameter) -> Select[tuple[int, str, str]]:
    """:func:`latest`'s statement, built once per form of reader's scope."""
    newest = published(scope).join(User, User.id == BlogPost.author_id)
    columns = newest.with_only_columns(BlogPost.id, BlogPost.title, User.display_name)
    return columns.limit(bindparam("limit", type_=Integer))


def latest(
    session: Session, principals: frozenset[str], limit: int = 5
) -> list[tuple[int, str, str]]:
    """``(post id, title, author's name)`` of the newest posts the reader may see (the home
    widget): one statement, where the post page's listing reads posts, their items and their
    authors in three."""
    scope = ScopeParameter.of(principals)
    values = {**scope.values(principals), "limit": limit}
    return [tuple(row) for row in session.execute(_latest(scope), values)]


def listing(
    session: Session,
    principals: frozenset[str],
    *,
    space_id: int | None = None,
    author_id: int | None = None,
    personal: bool = False,
    tag: str | None = None,
    before: int | None = None,
    limit: int = 20,
) -> list[tuple[BlogPost, Content]]:
    """A page of visible published posts: a space's blog (``space_id``), an author's
    (``author_id``; ``personal`` keeps only their own blog, not their space posts), a tag's;
    ``before``: the id of the last post of the previous page."""
    if space_id is None and author_id is None and not personal and not tag and before is None:
        scope = ScopeParameter.of(principals)
        values = {**scope.values(principals), "limit": limit}
        return with_contents(session, session.execute(_newest(scope), values).scalars().all())
    # A space's posts all carry its principal: compare those that can match (within_spaces).
    query = published(principals if space_id is None else within_spaces(principals, [space_id]))
    if space_id is not None:
        query = query.where(BlogPost.space_id == space_id)
    if author_id is not None:
        query = query.where(BlogPost.author_id == author_id)
    if personal:
        query = query.where(BlogPost.space_id.is_(None))
    if tag:
        query = query.where(
            BlogPost.content_id.in_(
                select(ContentTag.content_id).where(ContentTag.tag == tag.lower())
            )
        )
    if before is not None:
        cursor = select(BlogPost.content_id).where(BlogPost.id == before).scalar_subquery()
        query = query.where(BlogPost.content_id < cursor)
    return with_contents(session, session.execute(query.limit(limit)).scalars().all())


def unpublished(
    session: Session,
    author_id: int,
    *,
    statuses: tuple[str, ...] = (DRAFT, SCHEDULED),
    before: int | None = None,
    limit: int = 100,
) -> list[BlogPost]:
    """The author's drafts and scheduled posts, newest first (``before``: a post id)."""
    query = select(BlogPost).where(BlogPost.author_id == author_id, BlogPost.status.in_(statuses))
    if before is not None:
        query = query.where(BlogPost.id < before)
    return list(session.execute(query.order_by(BlogPost.id.desc()).limit(limit)).scalars())


def unpublished_count(session: Session, author_id: int) -> int:
    """How many drafts and scheduled posts the author has (the blog pages' "3 drafts")."""
    return session.execute(
        select(func.count()).where(
            BlogPost.author_id == author_id, BlogPost.status.in_((DRAFT, SCHEDULED))
        )
    ).scalar_one()


def neighbours(
    session: Session, principals: frozenset[str], post: BlogPost
) -> tuple[tuple[BlogPost, Content] | None, tuple[BlogPost, Content] | None]:
    """The previous and next visible posts of the same blog (the space's, or the author's)."""
    query = published(principals)
    if post.space_id is not None:
        query = query.where(BlogPost.space_id == post.space_id)
    else:
        query = query.where(BlogPost.space_id.is_(None), BlogPost.author_id == post.author_id)
    older = (
        session.execute(query.where(BlogPost.content_id < post.content_id).limit(1)).scalars().all()
    )
    newer = (
        session.execute(
            query.where(BlogPost.content_id > post.content_id)
            .order_by(None)
            .order_by(BlogPost.content_id)
            .limit(1)
        )
        .scalars()
        .all()
    )
    pair = with_contents(session, [*older, *newer])
    found = {p.id: (p, c) for p, c in pair}
    return (
        found.get(older[0].id) if older else None,
        found.get(newer[0].id) if newer else None,
    )
