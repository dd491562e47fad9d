"""The statements a page view runs, built once with named parameters: building a SQLAlchemy
statement costs more than running it (0.3 to 0.5 ms each, a dozen per page)."""

from __future__ import annotations

from sqlalchemy import Select, bindparam, literal, select, union

from rse_core import Content, User

from .models import WikiPage, WikiRedirect, WikiRevision, WikiWatch

MAX_DEPTH = 50  # a page tree deeper than this is refused (and breadcrumbs stop there)
#: What lists of pages (breadcrumbs, a page's pages, backlinks) load: an address and a title
#: per page, as plain rows (a hundred ORM objects cost a page view ~2 ms).
LISTED = (WikiPage.slug, WikiPage.title)

_WITH_ITEM = select(WikiPage, Content).join(Content, Content.id == WikiPage.content_id)
#: The page at an address (``wiki_id``, ``slug``), with its content row.
PAGE_AT = _WITH_ITEM.where(
    WikiPage.wiki_id == bindparam("wiki_id"), WikiPage.slug == bindparam("slug")
)
#: The page an old address (``wiki_id``, ``slug``) points to, with its content row.
PAGE_MOVED_FROM = _WITH_ITEM.join(WikiRedirect, WikiRedirect.page_id == WikiPage.id).where(
    WikiRedirect.wiki_id == bindparam("wiki_id"), WikiRedirect.slug == bindparam("slug")
)

#: Which of ``slugs`` name a live page or an old address of one in ``wiki_id``.
EXISTING = union(
    select(WikiPage.slug).where(
        WikiPage.wiki_id == bindparam("wiki_id"),
        WikiPage.slug.in_(bindparam("slugs", expanding=True)),
        WikiPage.deleted_at.is_(None),
    ),
    select(WikiRedirect.slug)
    .join(WikiPage, WikiPage.id == WikiRedirect.page_id)
    .where(
        WikiRedirect.wiki_id == bindparam("wiki_id"),
        WikiRedirect.slug.in_(bindparam("slugs", expanding=True)),
        WikiPage.deleted_at.is_(None),
    ),
)

#: Who saved revision ``number`` of ``page_id``, and whether ``reader_id`` watches the page.
LAST_EDITOR = (
    select(
        User,
        select(WikiWatch.user_id)
        .where(
            WikiWatch.page_id == bindparam("page_id"), WikiWatch.user_id == bindparam("reader_id")
        )
        .exists()
        .label("watching"),
    )
    .join(WikiRevision, WikiRevision.author_id == User.id)
    .where(WikiRevision.page_id == bindparam("page_id"), WikiRevision.number == bindparam("number"))
)


def _ancestors() -> Select[tuple[str, str]]:
    up = (
        select(WikiPage.id, WikiPage.parent_id, literal(1).label("depth"))
        .where(WikiPage.id == bindparam("parent_id"))
        .cte("ancestors", recursive=True)
    )
    up = up.union_all(
        select(WikiPage.id, WikiPage.parent_id, up.c.depth + 1)
        .join(up, WikiPage.id == up.c.parent_id)
        .where(up.c.depth < MAX_DEPTH)
    )
    return select(*LISTED).join(up, WikiPage.id == up.c.id).order_by(up.c.depth.desc())


#: The ancestors of a page whose parent is ``parent_id``, root first (one recursive query).
ANCESTORS = _ancestors()

_LIVE = select(*LISTED).where(
    WikiPage.wiki_id == bindparam("wiki_id"), WikiPage.deleted_at.is_(None)
)
#: The live pages right below ``parent_id`` in ``wiki_id``, by title, at most ``limit``.
CHILDREN = (
    _LIVE.where(WikiPage.parent_id == bindparam("parent_id"))
    .order_by(WikiPage.title)
    .limit(bindparam("limit"))
)
#: The wiki's top pages, by title, at most ``limit``. Ordered by the whole of the index
#: ``(wiki_id, parent_id, title)``: PostgreSQL does not take ``parent_id IS NULL`` as making
#: ``parent_id`` constant, so by title alone it sorted every page of the wiki (3 ms for 3,500).
TOP_PAGES = (
    _LIVE.where(WikiPage.parent_id.is_(None))
    .order_by(WikiPage.wiki_id, WikiPage.parent_id, WikiPage.title)
    .limit(bindparam("limit"))
)
