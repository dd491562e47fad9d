"""Saving, merging, renaming, moving, reverting and reading wiki pages.

Every save is a revision. A save based on an older revision is merged three-way with what was
saved since when the edits touch different lines (the revision records ``merged``), and refused
with an :class:`EditConflict` when they do not: nothing is ever overwritten silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Integer, Select, bindparam, func, or_, select
from sqlalchemy.orm import Session, defer

from rse_core import (
    EVERYONE,
    Conflict,
    Content,
    Evidence,
    ScopeParameter,
    Space,
    User,
    ValidationError,
    clean_text,
    delete_content,
    get_visible,
    hashtags,
    notify,
    notify_mentions,
    publish,
    update_content,
    visible,
)

from . import statements, text
from .models import COMPANY, WikiLink, WikiPage, WikiRedirect, WikiRevision, WikiWatch
from .statements import LISTED, MAX_DEPTH

COMPANY_KEY = "company"
MAX_TITLE = 200
MAX_BODY = 100_000  # as a blog post
MAX_SUMMARY = 300


@dataclass(frozen=True)
class Wiki:
    """A wiki: the company's (``space`` None) or a space's; ``key`` is its URL segment."""

    id: int
    key: str
    space: Space | None

    @property
    def base(self) -> str:
        """The wiki's pages live under this path."""
        return f"/wiki/{self.key}"

    @property
    def name(self) -> str:
        """What pages call it (the space's name, or "" for the company's)."""
        return self.space.name if self.space else ""


def company() -> Wiki:
    """The company-wide wiki."""
    return Wiki(COMPANY, COMPANY_KEY, None)


def of_space(space: Space) -> Wiki:
    """A space's wiki."""
    return Wiki(space.id, space.slug, space)


class PageLink(NamedTuple):
    """A page as lists show it (breadcrumbs, a page's pages, backlinks)."""

    slug: str
    title: str


class EditConflict(Exception):
    """A save based on ``base`` whose edits overlap those saved since (``page`` is current)."""

    def __init__(self, page: WikiPage, base: int, title: str, body: str) -> None:
        super().__init__(f"conflict with revision {page.revision}")
        self.page, self.base, self.title, self.body = page, base, title, body


@dataclass(frozen=True)
class Saved:
    """What a save did: the page, its new revision number, merged or not, new or not."""

    page: WikiPage
    revision: int
    merged: bool
    created: bool


def find(session: Session, wiki: Wiki, slug: str) -> tuple[WikiPage | None, bool]:
    """The page at ``slug`` (following an old address to the renamed page; True then). Its
    content row comes in the same query: :func:`readable` then finds it in the session."""
    address = {"wiki_id": wiki.id, "slug": slug}
    row = session.execute(statements.PAGE_AT, address).first()
    if row is not None:
        return row[0], False
    row = session.execute(statements.PAGE_MOVED_FROM, address).first()
    return (row[0], True) if row is not None else (None, False)


def readable(
    session: Session, principals: frozenset[str], page: WikiPage | None, *, deleted_ok: bool = False
) -> Content | None:
    """The page's content item if the reader may see it (a deleted page: only with
    ``deleted_ok``, for an admin's look at its history), else None."""
    if page is None:
        return None
    content = get_visible(session, page.content_id, principals)
    if content is not None or not deleted_ok:
        return content
    shown = session.execute(
        select(Content).where(Content.id == page.content_id, visible(Content.audience, principals))
    ).scalar_one_or_none()
    return shown


def existing(session: Session, wiki: Wiki, slugs: list[str]) -> set[str]:
    """Which of ``slugs`` name a live page (or an old address of one) in the wiki."""
    if not slugs:
        return set()
    found = session.execute(statements.EXISTING, {"wiki_id": wiki.id, "slugs": slugs})
    return set(found.scalars())


def _parent(session: Session, wiki: Wiki, page: WikiPage | None, slug: object) -> int | None:
    """The checked parent page id: a live page of the same wiki, and no cycle."""
    if slug in (None, ""):
        return None
    if not isinstance(slug, str):
        raise ValidationError({"parent": "Give the parent page's address."})
    parent, _moved = find(session, wiki, slug)
    if parent is None or parent.deleted_at is not None:
        raise ValidationError({"parent": "No page of this wiki has this address."})
    ancestor: WikiPage | None = parent
    for _ in range(MAX_DEPTH):
        if ancestor is None:
            return parent.id
        if page is not None and ancestor.id == page.id:
            raise ValidationError({"parent": "A page cannot sit below itself or its own pages."})
        ancestor = session.get(WikiPage, ancestor.parent_id) if ancestor.parent_id else None
    raise ValidationError({"parent": f"The page tree is limited to {MAX_DEPTH} levels."})


def _links(session: Session, page: WikiPage) -> None:
    session.execute(WikiLink.__table__.delete().where(WikiLink.page_id == page.id))
    for target in text.link_targets(page.body):
        session.add(WikiLink(page_id=page.id, wiki_id=page.wiki_id, target_slug=target))


def _watchers_told(session: Session, page: WikiPage, content: Content, author: User) -> None:
    watchers = select(User).join(WikiWatch, WikiWatch.user_id == User.id)
    for user in session.execute(watchers.where(WikiWatch.page_id == page.id)).scalars():
        notify(session, user, "watch", actor=author, content=content)
    watch(session, page, author, True)


def watch(session: Session, page: WikiPage, user: User, on: bool) -> None:
    """Start or stop telling ``user`` about every change of ``page``."""
    row = session.get(WikiWatch, (page.id, user.id))
    if on and row is None:
        session.add(WikiWatch(page_id=page.id, user_id=user.id))
    elif not on and row is not None:
        session.delete(row)


def save(
    session: Session,
    wiki: Wiki,
    slug: str,
    author: User,
    *,
    title: object,
    body: object,
    base_revision: int | None,
    parent: object = None,
    summary: object = "",
    now: datetime,
    reverted_to: int | None = None,
) -> Saved:
    """Create the page at ``slug``, or save a new revision of it.

    An existing page needs ``base_revision``, the revision the edit started from: equal to
    the current one, the save applies; older, it is merged three-way with the changes since,
    or refused with :class:`EditConflict` when both changed the same lines."""
    title = clean_text(title, "title", max_length=MAX_TITLE, required="Give the page a title.")
    body = clean_text(body, "body", max_length=MAX_BODY)
    summary = clean_text(summary, "summary", max_length=MAX_SUMMARY)
    page, _moved = find(session, wiki, slug)
    if page is not None and page.deleted_at is not None:
        raise Conflict({"slug": "A deleted page had this address; ask an admin to restore it."})
    if page is None:
        return _create(session, wiki, slug, author, title, body, parent, summary, now)
    if base_revision is None:
        raise Conflict({"base_revision": "Give the revision your edit started from."})
    merged = False
    if base_revision != page.revision:
        base = session.execute(
            select(WikiRevision).where(
                WikiRevision.page_id == page.id, WikiRevision.number == base_revision
            )
        ).scalar_one_or_none()
        if base is None or base_revision > page.revision:
            raise Conflict({"base_revision": "This page has no such revision."})
        result = text.merge(base.body, page.body, body)
        if result is None:
            raise EditConflict(page, base_revision, title, body)
        body, merged = result, True
        if title == base.title:  # only the other edit renamed it: keep their title
            title = page.title
    if parent is not None:
        page.parent_id = _parent(session, wiki, page, parent)
    _rename(session, wiki, page, title)
    page.title, page.body, page.updated_at = title, body, now
    page.revision += 1
    session.add(
        WikiRevision(
            page_id=page.id,
            wiki_id=wiki.id,
            number=page.revision,
            title=title,
            body=body,
            summary=summary,
            author_id=author.id,
            merged=merged,
            reverted_to=reverted_to,
            created_at=now,
        )
    )
    content = session.get(Content, page.content_id)
    update_content(
        session,
        content,
        author,
        title=title,
        summary=body,
        url=f"{wiki.base}/{page.slug}",
        tags=hashtags(body),  # a page's #hashtags: its topics, and who knows them
    )
    _links(session, page)
    notify_mentions(session, body, author, content)
    _watchers_told(session, page, content, author)
    return Saved(page, page.revision, merged, False)


def _create(
    session: Session,
    wiki: Wiki,
    slug: str,
    author: User,
    title: str,
    body: str,
    parent: object,
    summary: str,
    now: datetime,
) -> Saved:
    if slug != text.page_slug(slug) or len(slug) > 120:
        raise ValidationError({"slug": "Use lower-case letters, digits and dashes."})
    parent_id = _parent(session, wiki, None, parent)
    content = publish(
        session,
        plugin="wiki",
        type="wiki.page",
        author=author,
        url=f"{wiki.base}/{slug}",
        title=title,
        summary=body,
        space=wiki.space,
        audience=None if wiki.space else EVERYONE,
        tags=hashtags(body),
    )
    page = WikiPage(
        wiki_id=wiki.id,
        space_id=wiki.space.id if wiki.space else None,
        content_id=content.id,
        slug=slug,
        title=title,
        body=body,
        parent_id=parent_id,
        revision=1,
        created_at=now,
        updated_at=now,
    )
    session.add(page)
    session.flush()
    session.add(
        WikiRevision(
            page_id=page.id,
            wiki_id=wiki.id,
            number=1,
            title=title,
            body=body,
            summary=summary,
            author_id=author.id,
            created_at=now,
        )
    )
    _links(session, page)
    notify_mentions(session, body, author, content)
    watch(session, page, author, True)
    return Saved(page, 1, False, True)


def _rename(session: Session, wiki: Wiki, page: WikiPage, title: str) -> None:
    """A new title moves the page to its new address; the old one redirects there."""
    slug = text.page_slug(title)
    if slug == page.slug:
        return
    other, _moved = find(session, wiki, slug)
    if other is not None and other.id != page.id:
        raise Conflict({"title": "Another page of this wiki has this title."})
    session.execute(
        WikiRedirect.__table__.delete().where(
            WikiRedirect.wiki_id == wiki.id, WikiRedirect.slug == slug
        )
    )
    session.add(WikiRedirect(wiki_id=wiki.id, slug=page.slug, page_id=page.id))
    page.slug = slug


def revert(
    session: Session, wiki: Wiki, page: WikiPage, number: int, author: User, now: datetime
) -> Saved:
    """Bring back revision ``number``'s title and text, as a new revision."""
    old = session.execute(
        select(WikiRevision).where(WikiRevision.page_id == page.id, WikiRevision.number == number)
    ).scalar_one_or_none()
    if old is None:
        raise Conflict({"revision": "This page has no such revision."})
    return save(
        session,
        wiki,
        page.slug,
        author,
        title=old.title,
        body=old.body,
        base_revision=page.revision,
        summary=f"Reverted to revision {number}",
        now=now,
        reverted_to=number,
    )


def remove(session: Session, page: WikiPage, now: datetime) -> None:
    """Delete a page: gone from every read path, its history kept for admins; its pages move
    up to its parent."""
    session.execute(
        WikiPage.__table__.update()
        .where(WikiPage.parent_id == page.id)
        .values(parent_id=page.parent_id)
    )
    page.deleted_at = now
    delete_content(session, session.get(Content, page.content_id))


def revision(session: Session, page: WikiPage, number: int) -> WikiRevision | None:
    """One revision of a page."""
    return session.execute(
        select(WikiRevision).where(WikiRevision.page_id == page.id, WikiRevision.number == number)
    ).scalar_one_or_none()


def history(
    session: Session, page: WikiPage, *, before: int | None = None, limit: int = 50
) -> list[tuple[WikiRevision, User]]:
    """A page of revisions, newest first (``before``: a revision number)."""
    query = (
        select(WikiRevision, User)
        .join(User, User.id == WikiRevision.author_id)
        .where(WikiRevision.page_id == page.id)
        .options(defer(WikiRevision.body))  # 50 whole texts: megabytes for a long page
    )
    if before is not None:
        query = query.where(WikiRevision.number < before)
    rows = session.execute(query.order_by(WikiRevision.number.desc()).limit(limit))
    return [(r, u) for r, u in rows]


@dataclass(frozen=True)
class Change:
    """A save as recent changes list it: the revision, its page, its author, where it is."""

    revision: WikiRevision
    page: WikiPage
    author: User
    url: str
    wiki_name: str


def recent_changes(
    session: Session,
    principals: frozenset[str],
    *,
    wiki_id: int | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[Change]:
    """The latest saves the reader may see, in one wiki or every one (``before``: a revision
    id), newest first. The walk follows revisions and probes each page's item."""
    scope = ScopeParameter.of(principals)
    statement = _recent_changes(scope, wiki_id is not None, before is not None)
    values = {**scope.values(principals), "wiki_id": wiki_id, "before": before, "limit": limit}
    rows = session.execute(statement, values)
    return [
        Change(
            r,
            p,
            u,
            f"/wiki/{space.slug if space else COMPANY_KEY}/{p.slug}",
            space.name if space else "",
        )
        for r, p, u, space in rows
    ]


@lru_cache(maxsize=64)
def _recent_changes(scope: ScopeParameter, in_wiki: bool, before: bool) -> Select[Any]:
    """:func:`recent_changes`' statement, built once per form (the wiki's main page)."""
    readable_item = (
        select(Content.id)
        .where(
            Content.id == WikiPage.content_id,
            visible(Content.audience, scope),
            Content.deleted_at.is_(None),
        )
        .exists()
    )
    query = (
        select(WikiRevision, WikiPage, User, Space)
        .options(defer(WikiRevision.body), defer(WikiPage.body))
        .join(WikiPage, WikiPage.id == WikiRevision.page_id)
        .join(User, User.id == WikiRevision.author_id)
        .outerjoin(Space, Space.id == WikiPage.space_id)
        .where(readable_item)
    )
    if in_wiki:
        query = query.where(WikiRevision.wiki_id == bindparam("wiki_id"))
    if before:
        query = query.where(WikiRevision.id < bindparam("before"))
    return query.order_by(WikiRevision.id.desc()).limit(bindparam("limit", type_=Integer))


def backlinks(session: Session, principals: frozenset[str], page: WikiPage) -> list[PageLink]:
    """Visible pages of the same wiki that link here (by its address or an old one; titles
    and addresses only)."""
    old_addresses = select(WikiRedirect.slug).where(WikiRedirect.page_id == page.id)
    query = (
        select(*LISTED)
        .join(WikiLink, WikiLink.page_id == WikiPage.id)
        .join(Content, Content.id == WikiPage.content_id)
        .where(
            WikiLink.wiki_id == page.wiki_id,
            or_(WikiLink.target_slug == page.slug, WikiLink.target_slug.in_(old_addresses)),
            WikiPage.id != page.id,
            visible(Content.audience, principals),
            Content.deleted_at.is_(None),
        )
        .distinct()
        .order_by(WikiPage.title)
        .limit(100)
    )
    return [PageLink(*row) for row in session.execute(query)]


def breadcrumbs(session: Session, page: WikiPage) -> list[PageLink]:
    """The page's ancestors, root first (one recursive query; titles and addresses only)."""
    if page.parent_id is None:
        return []
    found = session.execute(statements.ANCESTORS, {"parent_id": page.parent_id})
    return [PageLink(*row) for row in found]


def children(
    session: Session, wiki: Wiki, parent: WikiPage | None, limit: int = 200
) -> list[PageLink]:
    """The live pages right below ``parent`` (the wiki's top pages for None), by title
    (titles and addresses only)."""
    if parent is None:
        found = session.execute(statements.TOP_PAGES, {"wiki_id": wiki.id, "limit": limit})
    else:
        parameters = {"wiki_id": wiki.id, "parent_id": parent.id, "limit": limit}
        found = session.execute(statements.CHILDREN, parameters)
    return [PageLink(*row) for row in found]


def page_count(session: Session, wiki: Wiki) -> int:
    """How many live pages the wiki holds."""
    return session.execute(
        select(func.count()).where(WikiPage.wiki_id == wiki.id, WikiPage.deleted_at.is_(None))
    ).scalar_one()


def editors(session: Session, items: Sequence[Content]) -> dict[int, list[Evidence]]:
    """Evidence of who knows these pages' topics beyond their author: each other person who
    wrote a revision (``wiki.edited``, as of their last one)."""
    ids = [item.id for item in items if item.type == "wiki.page"]
    if not ids:
        return {}
    found: dict[int, list[Evidence]] = {}
    rows = session.execute(
        select(WikiPage.content_id, WikiRevision.author_id, func.max(WikiRevision.created_at))
        .join(WikiRevision, WikiRevision.page_id == WikiPage.id)
        .join(Content, Content.id == WikiPage.content_id)
        .where(WikiPage.content_id.in_(ids), WikiRevision.author_id != Content.author_id)
        .group_by(WikiPage.content_id, WikiRevision.author_id)
    )
    for content_id, editor, at in rows:
        found.setdefault(content_id, []).append(Evidence(editor, "wiki.edited", at))
    return found
