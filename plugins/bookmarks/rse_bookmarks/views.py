"""Bookmark pages (yours, a space's, one bookmark, import and export) and the API."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from rse_core import (
    ApiBody,
    ApiError,
    ApiId,
    ApiLink,
    ApiQuery,
    ApiShape,
    ApiText,
    Content,
    Space,
    User,
    ValidationError,
    access,
    api,
    api_routes,
    can,
    current_user,
    excerpt,
    find_space,
    flash,
    get_visible,
    member_spaces,
    parse_id,
    principals,
    reading_page,
    render,
    render_fragment,
    render_social,
    runtime,
    shared_top,
    utcnow,
    write,
)

from . import netscape, service
from .models import Bookmark
from .urls import MAX_URL, fetch_title


def fetching_enabled(request: Request) -> bool:
    """Whether the site turned the title fetch on (off by default)."""
    value = runtime(request).settings.extra.get("bookmarks_fetch_titles", False)
    return value is True or str(value).lower() in ("1", "true", "yes", "on")


def bookmark_json(bookmark: Bookmark, content: Content, space: Space | None = None) -> dict:
    """A bookmark as the API shows it."""
    if content.audience.startswith("user:"):
        visibility = "private"
    elif content.space_id:
        visibility = "space"
    else:
        visibility = "everyone"
    return {
        "id": bookmark.id,
        "url": bookmark.url,
        "title": bookmark.title,
        "description": bookmark.description,
        "visibility": visibility,
        "space": space.slug if space else None,
        "page": content.url,
        "created_at": content.created_at.isoformat(),
    }


def _save_from(request: Request, data: dict[str, Any]) -> Any:
    me = current_user(request)
    fetch = fetching_enabled(request)

    def run(session: Session) -> int:
        space = None
        slug = data.get("space")
        if slug not in (None, ""):
            if not isinstance(slug, str):
                raise ValidationError({"space": "Give the space's address."})
            space = find_space(session, access(request), slug)
        title, description = data.get("title"), data.get("description")
        if fetch and not title and isinstance(data.get("url"), str):
            try:
                fetched_title, fetched_description = fetch_title(data["url"])
            except Exception:
                fetched_title, fetched_description = "", ""
            title = fetched_title or title
            description = description or fetched_description
        bookmark = service.save(
            session,
            session.get(User, me.id),
            url=data.get("url"),
            title=title,
            description=description,
            tags=data.get("tags"),
            space=space,
            visibility=data.get("visibility") or None,
        )
        return bookmark.id

    return run


def _load(session: Session, request: Request, bookmark_id: int) -> tuple[Bookmark, Content]:
    bookmark = session.get(Bookmark, bookmark_id)
    content = get_visible(session, bookmark.content_id, principals(request)) if bookmark else None
    if bookmark is None or content is None:
        raise HTTPException(404)
    return bookmark, content


def _may_delete(request: Request, session: Session, content: Content) -> bool:
    if content.author_id == current_user(request).id:
        return True
    if content.space_id is None:
        return False
    return can(request, "core.space.moderate", session.get(Space, content.space_id))


def _before(request: Request) -> int | None:
    raw = request.query_params.get("before")
    before = parse_id(raw)
    if raw is not None and before is None:
        raise ApiError(400, "bad_parameter", "before must be an id.", {"before": "number"})
    return before


@reading_page
def my_bookmarks(request: Request) -> Response:
    """GET /bookmarks?tag=: your bookmarks, the add form, import and export."""
    tag = request.query_params.get("tag") or None
    me = current_user(request)
    with runtime(request).db.read() as session:
        rows = service.listing(
            session,
            principals(request),
            author_id=me.id,
            tag=tag,
            before=_before(request),
            limit=31,
        )
        spaces = member_spaces(request, session)
    return render(
        request,
        "bookmarks/list.html",
        {
            "rows": rows[:30],
            "tag": tag,
            "heading": "My bookmarks",
            "spaces": spaces,
            "next_before": rows[29][0].id if len(rows) > 30 else None,
            "errors": {},
            "values": {},
        },
    )


async def add(request: Request) -> Response:
    """POST /bookmarks: the add form."""
    form = await request.form()
    data = {k: form.get(k) for k in ("url", "title", "description", "tags", "space", "visibility")}
    try:
        bookmark_id = await write(request, _save_from(request, data))
    except ValidationError as exc:
        with runtime(request).db.read() as session:
            rows = service.listing(session, principals(request), author_id=current_user(request).id)
            spaces = member_spaces(request, session)
        return render(
            request,
            "bookmarks/list.html",
            {
                "rows": rows,
                "tag": None,
                "heading": "My bookmarks",
                "spaces": spaces,
                "next_before": None,
                "errors": exc.fields,
                "values": data,
            },
            status_code=422,
        )
    return RedirectResponse(f"/bookmarks/{bookmark_id}", status_code=303)


async def space_bookmarks(request: Request) -> Response:
    """GET /bookmarks/spaces/{slug}: a space's shared bookmarks."""
    with runtime(request).db.read() as session:
        space = find_space(session, access(request), request.path_params["slug"])
        rows = service.listing(
            session,
            principals(request),
            space_id=space.id,
            tag=request.query_params.get("tag") or None,
            before=_before(request),
            limit=31,
        )
    return render(
        request,
        "bookmarks/list.html",
        {
            "rows": rows[:30],
            "tag": request.query_params.get("tag"),
            "space": space,
            "heading": f"Bookmarks of {space.name}",
            "spaces": [],
            "errors": {},
            "values": {},
            "next_before": rows[29][0].id if len(rows) > 30 else None,
        },
    )


async def bookmark_page(request: Request) -> Response:
    """GET /bookmarks/{id}: the link, its likes and comments."""
    with runtime(request).db.read() as session:
        bookmark, content = _load(session, request, request.path_params["bookmark_id"])
        author = session.get(User, content.author_id)
        deletable = _may_delete(request, session, content)
    return render(
        request,
        "bookmarks/bookmark.html",
        {
            "bookmark": bookmark,
            "content": content,
            "author": author,
            "deletable": deletable,
            "social": render_social(request, content),
        },
    )


async def delete_page(request: Request) -> Response:
    """POST /bookmarks/{id}/delete."""

    def run(session: Session) -> None:
        _bookmark, content = _load(session, request, request.path_params["bookmark_id"])
        if not _may_delete(request, session, content):
            raise HTTPException(403)
        service.remove(session, content)

    await write(request, run)
    return RedirectResponse("/bookmarks", status_code=303)


async def save_for_later(request: Request) -> Response:
    """POST /bookmarks/save: ``content_id`` of any visible intranet item, saved privately."""
    form = await request.form()
    content_id = parse_id(form.get("content_id"))
    if content_id is None:
        raise HTTPException(400, "content_id must be an id.")
    me = current_user(request)

    def run(session: Session) -> None:
        item = get_visible(session, content_id, principals(request))
        if item is None:
            raise HTTPException(404)
        service.save(
            session,
            session.get(User, me.id),
            url=item.url,
            title=item.title or excerpt(item.summary, 80) or "Saved item",
            visibility="private",
            saved_content_id=item.id,
        )

    await write(request, run)
    if request.headers.get("hx-request"):  # stay on the page: the button says it is done
        return HTMLResponse(render_fragment(request, "bookmarks/saved.html", {}))
    return flash(request, RedirectResponse("/bookmarks", status_code=303), "Saved for later")


async def import_page(request: Request) -> Response:
    """GET and POST /bookmarks/import: upload a browser bookmark file (all or nothing)."""
    if request.method == "GET":
        return render(request, "bookmarks/import.html", {"error": None})
    async with request.form() as form:
        upload = form.get("file")
        data = (
            None
            if upload is None or isinstance(upload, str)
            else await upload.read(netscape.MAX_FILE + 1)
        )
    if data is None:
        return render(
            request,
            "bookmarks/import.html",
            {"error": "Choose a bookmark file exported by your browser."},
            status_code=400,
        )
    try:
        entries = netscape.parse(data)
    except netscape.BadBookmarkFile as exc:
        return render(request, "bookmarks/import.html", {"error": str(exc)}, status_code=400)
    me = current_user(request)
    saved, skipped = await write(
        request, lambda session: service.import_entries(session, session.get(User, me.id), entries)
    )
    notice = f"Imported {saved} bookmarks" + (
        f", skipped {skipped} unsafe links" if skipped else ""
    )
    return flash(request, RedirectResponse("/bookmarks", status_code=303), notice)


async def export_file(request: Request) -> Response:
    """GET /bookmarks/export: your bookmarks as a browser bookmark file."""
    me = current_user(request)
    with runtime(request).db.read() as session:
        rows = service.listing(session, principals(request), author_id=me.id, limit=100_000)
        tags = service.tags_of(session, [c.id for _b, c in rows])
    body = netscape.export(
        [
            (
                b.url if not b.saved_content_id else f"{request.base_url}".rstrip("/") + b.url,
                b.title,
                b.description,
                tags.get(c.id, []),
                int(c.created_at.replace(tzinfo=UTC).timestamp()),
            )
            for b, c in rows
        ]
    )
    return Response(
        body,
        media_type="text/html; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="rse-bookmarks.html"'},
    )


def week_top(request: Request) -> list[tuple[str, str, int]]:
    """The week's most bookmarked links the reader may see (counted once a minute per worker
    for every audience: ``shared_top``)."""

    def week(session: Session) -> dict[tuple[str, str], service.Saves]:
        return service.saves_tally(session, utcnow() - timedelta(days=7))

    top = shared_top(request, "bookmarks.top", week, service.merge_saves, service.by_savers, 10)
    return [(url, title, len(savers)) for url, (title, savers) in top]


# --- API -------------------------------------------------------------------------------------

#: What ``check_saveable`` accepts: an http(s) link with a host, or mailto.
SAVEABLE_URL = r"^(?:[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9._~-]+(?::[0-9]{1,5})?(?:[/?#][^\s\x00]*)?|[Mm][Aa][Ii][Ll][Tt][Oo]:[^\s\x00]+)$"


class BookmarkOut(ApiShape):
    """A saved link; ``page`` is its page here"""

    id: int
    url: str
    title: str
    description: str
    visibility: Literal["private", "space", "everyone"]
    space: str | None
    page: str
    created_at: str


class BookmarksPage(ApiShape):
    """Bookmarks, newest first"""

    items: list[BookmarkOut]
    next: str | None


class BookmarkIn(ApiBody):
    """A link to save: for yourself (the default), a space you belong to, or everyone;
    ``visibility: space`` needs ``space``"""

    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"visibility": {"const": "space"}}, "required": ["visibility"]},
            "then": {"required": ["space"], "properties": {"space": {"type": "string"}}},
        }
    )

    url: Annotated[str, Field(max_length=MAX_URL, pattern=SAVEABLE_URL)]
    title: ApiText(300) = ""
    description: ApiText(2000) = ""
    tags: Annotated[list[ApiText(60)], Field(max_length=service.MAX_TAGS)] = []
    visibility: Literal["private", "space", "everyone"] | None = None
    space: Annotated[
        str | None,
        Field(min_length=1, max_length=60, pattern=r"^[^\x00]+$", validate_default=True),
    ] = None

    @field_validator("space")
    @classmethod
    def _needed_for_space(cls, space: str | None, info: ValidationInfo) -> str | None:
        if space is None and info.data.get("visibility") == "space":
            raise ValueError("Choose the space to share with.")
        return space


class BookmarksQuery(ApiQuery):
    space: ApiText(60) = ""
    tag: ApiText(60) = ""
    before: ApiId | None = None


@api(
    "POST",
    "/api/v1/bookmarks",
    summary="Save a link",
    operation_id="bookmarks.create",
    body=BookmarkIn,
    responses={201: BookmarkOut},
    errors=(403, 404),
    links={201: {"Delete": ApiLink("bookmarks.delete", {"bookmark_id": "$response.body#/id"})}},
)
async def api_create(request: Request, body: BookmarkIn) -> Response:
    """POST /api/v1/bookmarks."""
    bookmark_id = await write(request, _save_from(request, body.model_dump()))
    with runtime(request).db.read() as session:
        bookmark, content = _load(session, request, bookmark_id)
        space = session.get(Space, content.space_id) if content.space_id else None
        out = bookmark_json(bookmark, content, space)
    return JSONResponse(out, status_code=201)


@api(
    "GET",
    "/api/v1/bookmarks",
    summary="Your bookmarks, or a space's (?space=), by tag (?tag=)",
    operation_id="bookmarks.list",
    query=BookmarksQuery,
    responses={200: BookmarksPage},
    errors=(404,),
)
async def api_list(request: Request, query: BookmarksQuery) -> Response:
    """GET /api/v1/bookmarks?tag=&space=&before=: yours, or a space's."""
    with runtime(request).db.read() as session:
        filters: dict[str, Any] = {}
        if query.space:
            filters["space_id"] = find_space(session, access(request), query.space).id
        else:
            filters["author_id"] = current_user(request).id
        rows = service.listing(
            session,
            principals(request),
            tag=query.tag or None,
            before=query.before,
            limit=51,
            **filters,
        )
        spaces = service.spaces_of(session, [c for _b, c in rows])
    items = [bookmark_json(b, c, spaces.get(c.space_id)) for b, c in rows[:50]]
    return JSONResponse({"items": items, "next": str(rows[49][0].id) if len(rows) > 50 else None})


@api(
    "DELETE",
    "/api/v1/bookmarks/{bookmark_id:int}",
    summary="Delete a bookmark (its author, or a moderator of its space)",
    operation_id="bookmarks.delete",
    responses={204: None},
    errors=(403,),
)
async def api_delete(request: Request) -> Response:
    """DELETE /api/v1/bookmarks/{id} (its author, or a moderator of its space)."""

    def run(session: Session) -> None:
        _bookmark, content = _load(session, request, request.path_params["bookmark_id"])
        if not _may_delete(request, session, content):
            raise ApiError(403, "forbidden", "You may not delete this bookmark.")
        service.remove(session, content)

    await write(request, run)
    return Response(status_code=204)


PAGE_ROUTES = [
    Route("/bookmarks", my_bookmarks, methods=["GET"]),
    Route("/bookmarks", add, methods=["POST"]),
    Route("/bookmarks/save", save_for_later, methods=["POST"]),
    Route("/bookmarks/import", import_page, methods=["GET", "POST"]),
    Route("/bookmarks/export", export_file, methods=["GET"]),
    Route("/bookmarks/spaces/{slug}", space_bookmarks, methods=["GET"]),
    Route("/bookmarks/{bookmark_id:int}", bookmark_page, methods=["GET"]),
    Route("/bookmarks/{bookmark_id:int}/delete", delete_page, methods=["POST"]),
]
API_ROUTES = api_routes(api_create, api_list, api_delete)
