"""The wiki API under /api/v1/wiki/{wiki}: pages, revisions, diffs and reverts.

``{wiki}`` is ``company`` or a space's address. A save names the revision it started from
(``base_revision``): a save based on an older revision is merged when the edits touch different
lines (``"merged": true``) and answered 409 with the current revision when they do not.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rse_core import (
    ApiBody,
    ApiError,
    ApiId,
    ApiLink,
    ApiQuery,
    ApiShape,
    ApiText,
    User,
    api,
    api_routes,
    current_user,
    principals,
    runtime,
    utcnow,
    write,
)

from . import pages, text
from .models import WikiPage
from .views import may_edit, readable_page, wiki_for

SLUG = {"type": "string", "pattern": "^[a-z0-9](?:[a-z0-9-]{0,118}[a-z0-9])?$"}
Revision = ApiId  # a revision number: 1 and up


class AuthorOut(ApiShape):
    """Who saved it"""

    username: str
    display_name: str


class PageOut(ApiShape):
    """A wiki page at its current revision"""

    wiki: str
    slug: str
    url: str
    title: str
    body: str
    html: str
    revision: int
    parent: str | None
    content_id: int
    updated_at: str


class SavedOut(ApiShape):
    """The revision a save made; ``merged`` when it was merged with a save made meanwhile"""

    revision: int
    merged: bool
    page: PageOut


class ConflictOut(ApiShape):
    """The edit overlaps changes saved since its base revision: nothing was saved. ``current``
    is the page now; save again with ``base_revision`` = its revision once resolved."""

    class Detail(ApiShape):
        code: str
        message: str
        fields: dict[str, str]

    error: Detail
    current: PageOut | None = None


class RevisionOut(ApiShape):
    """One save"""

    number: int
    title: str
    summary: str
    author: AuthorOut
    merged: bool
    reverted_to: int | None
    created_at: str


class RevisionPage(ApiShape):
    """Revisions, newest first; ``next`` is the ``before`` of the following page"""

    items: list[RevisionOut]
    next: str | None


class DiffRowOut(ApiShape):
    """A line: same, del, add, or gap (unchanged lines left out); escaped HTML with the
    changed words in del and ins"""

    kind: str
    old: int | None
    new: int | None
    html: str


class DiffOut(ApiShape):
    """The changes between two revisions"""

    from_revision: int
    to_revision: int
    rows: list[DiffRowOut]


class PageIn(ApiBody):
    title: ApiText(pages.MAX_TITLE, required=True)
    body: ApiText(pages.MAX_BODY)
    base_revision: Revision | None = None
    parent: ApiText(120) | None = None
    summary: ApiText(pages.MAX_SUMMARY) = ""


class RevertIn(ApiBody):
    revision: Revision


class HistoryQuery(ApiQuery):
    before: ApiId | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 50


class DiffQuery(ApiQuery):
    """Omitted, ``to`` is the current revision and ``from`` the one before ``to``"""

    from_: Annotated[Revision | None, Field(alias="from")] = None
    to: Revision | None = None


def page_json(session: Session, wiki: pages.Wiki, page: WikiPage) -> dict[str, Any]:
    """A page as the API shows it (its links to missing pages offer to create them)."""
    parent = session.get(WikiPage, page.parent_id) if page.parent_id else None
    found = pages.existing(session, wiki, text.link_targets(page.body))
    return {
        "wiki": wiki.key,
        "slug": page.slug,
        "url": f"{wiki.base}/{page.slug}",
        "title": page.title,
        "body": page.body,
        "html": str(text.render_page(page.body, wiki.base, found)[0]),
        "revision": page.revision,
        "parent": parent.slug if parent else None,
        "content_id": page.content_id,
        "updated_at": page.updated_at.isoformat(),
    }


PATH = "/api/v1/wiki/{wiki}/pages/{page_slug}"
PATH_SCHEMAS = {"page_slug": SLUG}
PAGE_PARAMETERS = {"wiki": "$response.body#/page/wiki", "page_slug": "$response.body#/page/slug"}
PAGE_LINKS = {
    "GetPage": ApiLink("wiki.getPage", PAGE_PARAMETERS),
    "Revisions": ApiLink("wiki.listRevisions", PAGE_PARAMETERS),
}


@api(
    "PUT",
    PATH,
    summary="Create a page, or save a new revision of it (merged with saves made meanwhile)",
    operation_id="wiki.savePage",
    body=PageIn,
    responses={200: SavedOut, 201: SavedOut, 409: ConflictOut},
    errors=(403,),
    links={200: PAGE_LINKS, 201: PAGE_LINKS},
    path_schemas=PATH_SCHEMAS,
)
async def api_save(request: Request, body: PageIn) -> Response:
    """PUT /api/v1/wiki/{wiki}/pages/{slug} {"title", "body", "base_revision"?, "parent"?,
    "summary"?}."""
    me = current_user(request)

    def run(session: Session) -> tuple[dict[str, Any], int] | dict[str, Any]:
        wiki = wiki_for(request, session, request.path_params["wiki"])
        page, _moved = pages.find(session, wiki, request.path_params["page_slug"])
        hidden = page is not None and pages.readable(session, principals(request), page) is None
        if hidden and page.deleted_at is None:
            raise ApiError(404, "not_found", "No such page.")
        if not may_edit(request, wiki):
            raise ApiError(403, "forbidden", "You may not edit this wiki.")
        try:
            saved = pages.save(
                session,
                wiki,
                request.path_params["page_slug"],
                session.get(User, me.id),
                title=body.title,
                body=body.body,
                base_revision=body.base_revision,
                parent=body.parent,
                summary=body.summary,
                now=utcnow(),
            )
        except pages.EditConflict as conflict:
            current = page_json(session, wiki, conflict.page)
            return {
                "error": {
                    "code": "conflict",
                    "message": "Your edit overlaps changes saved since revision "
                    f"{conflict.base}: nothing was saved.",
                    "fields": {"body": "Overlaps changes saved meanwhile."},
                },
                "current": current,
            }
        out = {
            "revision": saved.revision,
            "merged": saved.merged,
            "page": page_json(session, wiki, saved.page),
        }
        return out, 201 if saved.created else 200

    result = await write(request, run)
    if isinstance(result, dict):
        return JSONResponse(result, status_code=409)
    out, status = result
    return JSONResponse(out, status_code=status)


@api(
    "GET",
    PATH,
    summary="A page at its current revision",
    operation_id="wiki.getPage",
    responses={200: PageOut},
    path_schemas=PATH_SCHEMAS,
)
async def api_get(request: Request) -> Response:
    """GET /api/v1/wiki/{wiki}/pages/{slug} (an old address answers the renamed page)."""
    with runtime(request).db.read() as session:
        wiki, page, _content = readable_page(request, session)
        return JSONResponse(page_json(session, wiki, page))


@api(
    "GET",
    PATH + "/revisions",
    summary="A page's revisions, newest first",
    operation_id="wiki.listRevisions",
    query=HistoryQuery,
    responses={200: RevisionPage},
    path_schemas=PATH_SCHEMAS,
)
async def api_revisions(request: Request, query: HistoryQuery) -> Response:
    """GET .../revisions?before=&limit=."""
    with runtime(request).db.read() as session:
        _wiki, page, _content = readable_page(request, session)
        rows = pages.history(session, page, before=query.before, limit=query.limit + 1)
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    items = [
        {
            "number": r.number,
            "title": r.title,
            "summary": r.summary,
            "author": {"username": u.username, "display_name": u.display_name},
            "merged": r.merged,
            "reverted_to": r.reverted_to,
            "created_at": r.created_at.isoformat(),
        }
        for r, u in rows
    ]
    return JSONResponse({"items": items, "next": str(rows[-1][0].number) if more else None})


@api(
    "GET",
    PATH + "/diff",
    summary="The changes between two revisions of a page (by default, its last change)",
    operation_id="wiki.diff",
    query=DiffQuery,
    responses={200: DiffOut},
    path_schemas=PATH_SCHEMAS,
)
async def api_diff(request: Request, query: DiffQuery) -> Response:
    """GET .../diff?from=&to=."""
    with runtime(request).db.read() as session:
        _wiki, page, _content = readable_page(request, session)
        to = query.to or page.revision
        old = pages.revision(session, page, query.from_ or max(1, to - 1))
        new = pages.revision(session, page, to)
        if old is None or new is None:
            raise ApiError(
                404,
                "not_found",
                "This page has no such revision.",
                {"from" if old is None else "to": "No such revision."},
            )
        rows = text.diff(old.body, new.body)
    return JSONResponse(
        {"from_revision": old.number, "to_revision": new.number, "rows": text.diff_json(rows)}
    )


@api(
    "POST",
    PATH + "/revert",
    summary="Bring back an earlier revision, as a new revision",
    operation_id="wiki.revert",
    body=RevertIn,
    responses={200: SavedOut},
    errors=(403, 409),
    path_schemas=PATH_SCHEMAS,
)
async def api_revert(request: Request, body: RevertIn) -> Response:
    """POST .../revert {"revision"}."""
    me = current_user(request)

    def run(session: Session) -> dict[str, Any]:
        wiki, page, _content = readable_page(request, session)
        if not may_edit(request, wiki):
            raise ApiError(403, "forbidden", "You may not edit this wiki.")
        saved = pages.revert(session, wiki, page, body.revision, session.get(User, me.id), utcnow())
        return {
            "revision": saved.revision,
            "merged": saved.merged,
            "page": page_json(session, wiki, saved.page),
        }

    return JSONResponse(await write(request, run))


API_ROUTES = api_routes(api_save, api_get, api_revisions, api_diff, api_revert)
