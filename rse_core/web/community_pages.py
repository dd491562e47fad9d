"""The company guidelines page and pinned announcements (pages and API)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import community
from ..content import Content, get_visible
from ..i18n import N_
from ..identity.models import Space, User
from ..identity.spaces import get_space
from ..markdown import render_markdown
from ..validation import Conflict, Forbidden, NotFound, ValidationError
from .context import access, can, current_user, principals, runtime, write
from .contract import Body, Id, Query, Shape, Text, api, api_routes
from .errors import ApiError
from .flash import flash
from .forms import form_dict
from .templating import render
from .times import time_zone


def may_edit_guidelines(request: Request) -> bool:
    """Community managers and site admins write the guidelines."""
    me = current_user(request)
    return bool(me and (me.is_admin or me.is_community_manager))


def may_pin(request: Request, space: Space | None) -> bool:
    """Community managers pin on everyone's home and on every space they may read; a
    space's moderators on their space."""
    me = current_user(request)
    if me is None:
        return False
    if space is None:
        return bool(me.is_community_manager)
    if me.is_community_manager and space.principal in principals(request):
        return True
    return can(request, "core.space.moderate", space)


def pin_places(request: Request, session: Session, content: Content) -> list[tuple[str, str]]:
    """Where the reader may pin ``content``: ``("home", label)`` and ``("space", label)``."""
    places = []
    if content.audience == community.EVERYONE and may_pin(request, None):
        places.append(("home", N_("Everyone's home")))
    if content.space_id is not None:
        space = session.get(Space, content.space_id)
        if space is not None and may_pin(request, space):
            places.append(("space", N_("This space's home")))
    return places


# -- Guidelines --------------------------------------------------------------------------------


async def guidelines_page(request: Request) -> Response:
    """GET /guidelines: the company guidelines, with "Edit" for those who may."""
    with runtime(request).db.read() as session:
        found = community.guidelines(session)
    return render(
        request,
        "community/guidelines.html",
        {
            "guidelines": found,
            "body_html": render_markdown(found.body) if found.body else "",
            "may_edit": may_edit_guidelines(request),
        },
    )


async def edit_guidelines_page(request: Request) -> Response:
    """GET and POST /guidelines/edit: the Markdown text (community managers, admins)."""
    if not may_edit_guidelines(request):
        raise HTTPException(403, "Only community managers edit the guidelines.")
    errors: dict[str, str] = {}
    if request.method == "POST":
        data = await form_dict(request)
        me = current_user(request)

        def save(session: Session) -> None:
            community.save_guidelines(session, session.get(User, me.id), data.get("body"))

        try:
            await write(request, save)
        except ValidationError as exc:
            errors = exc.fields
            body = str(data.get("body", ""))
        else:
            back = RedirectResponse("/guidelines", status_code=303)
            return flash(request, back, N_("The guidelines are saved."))
    else:
        with runtime(request).db.read() as session:
            body = community.guidelines(session).body
    return render(
        request,
        "community/guidelines_edit.html",
        {"body": body, "errors": errors},
        status_code=422 if errors else 200,
    )


# -- Announcements -----------------------------------------------------------------------------


def _pin(request: Request, content_id: int, place: object, until: object):  # type: ignore[no-untyped-def]
    me = current_user(request)
    zone = time_zone(request)

    def run(session: Session) -> community.Announcement:
        content = get_visible(session, content_id, principals(request))
        if content is None:
            raise NotFound("No such item.")
        if place not in ("home", "space"):
            raise ValidationError({"place": "Pin on everyone's home or on the item's space."})
        space = None
        if place == "space":
            space = session.get(Space, content.space_id) if content.space_id else None
            if space is None:
                raise Conflict({"place": "This item is not in a space."})
        if not may_pin(request, space):
            raise Forbidden("Only community managers and the space's moderators pin items.")
        ends = community.end_of(until, zone)
        return community.pin(session, session.get(User, me.id), content, space, ends)

    return run


async def pin_page(request: Request) -> Response:
    """POST /content/{content_id}/pin: ``place`` (home or space) and ``until`` (a date)."""
    data = await form_dict(request)
    content_id = request.path_params["content_id"]
    try:
        await write(request, _pin(request, content_id, data.get("place"), data.get("until")))
    except ValidationError as exc:
        with runtime(request).db.read() as session:
            found = get_visible(session, content_id, principals(request))
        back = RedirectResponse(found.url if found else "/", status_code=303)
        return flash(request, back, next(iter(exc.fields.values())))
    except Forbidden:
        raise HTTPException(403, "Only community managers and moderators pin items.") from None
    with runtime(request).db.read() as session:
        found = get_visible(session, content_id, principals(request))
    back = RedirectResponse(found.url if found else "/", status_code=303)
    return flash(request, back, N_("Pinned."))


def _unpin(request: Request, announcement_id: int):  # type: ignore[no-untyped-def]
    def run(session: Session) -> str:
        announcement = session.get(community.Announcement, announcement_id)
        content = (
            get_visible(session, announcement.content_id, principals(request))
            if announcement is not None
            else None
        )
        if announcement is None or content is None:
            raise NotFound("No such announcement.")
        space = session.get(Space, announcement.space_id) if announcement.space_id else None
        if not may_pin(request, space):
            raise Forbidden("Only community managers and the space's moderators unpin items.")
        community.unpin(session, announcement)
        return f"/spaces/{space.slug}" if space is not None else "/"

    return run


async def unpin_page(request: Request) -> Response:
    """POST /announcements/{announcement_id}/unpin: back to where it was pinned."""
    try:
        where = await write(request, _unpin(request, request.path_params["announcement_id"]))
    except NotFound:
        raise HTTPException(404) from None
    except Forbidden:
        raise HTTPException(403, "Only community managers and moderators unpin items.") from None
    back = request.headers.get("referer") or where
    if not back.startswith(str(request.base_url)) and not back.startswith("/"):
        back = where
    return flash(request, RedirectResponse(back, status_code=303), N_("Unpinned."))


def pinned_context(request: Request, space: Space | None) -> dict[str, Any]:
    """What a home page needs to show its announcements (``pinned``, ``may_unpin``)."""
    with runtime(request).db.read() as session:
        found = community.pinned(session, principals(request), space.id if space else None)
    return {"pinned": found, "may_unpin": may_pin(request, space) if found else False}


PAGE_ROUTES = [
    Route("/guidelines", guidelines_page, methods=["GET"]),
    Route("/guidelines/edit", edit_guidelines_page, methods=["GET", "POST"]),
    Route("/content/{content_id:int}/pin", pin_page, methods=["POST"]),
    Route("/announcements/{announcement_id:int}/unpin", unpin_page, methods=["POST"]),
]


# -- API ---------------------------------------------------------------------------------------


class GuidelinesOut(Shape):
    """The company guidelines (Markdown, and as HTML)"""

    body: str
    html: str
    updated_by: str
    updated_at: str


class GuidelinesIn(Body):
    """New guidelines text (Markdown; community managers and admins)"""

    body: Text(community.MAX_GUIDELINES)


def guidelines_json(found: community.Guidelines) -> dict[str, Any]:
    """The guidelines as the API shows them."""
    return {
        "body": found.body,
        "html": str(render_markdown(found.body)) if found.body else "",
        "updated_by": found.updated_by,
        "updated_at": found.updated_at,
    }


@api(
    "GET",
    "/api/v1/guidelines",
    summary="The company guidelines",
    operation_id="core.getGuidelines",
    responses={200: GuidelinesOut},
)
async def api_guidelines(request: Request) -> Response:
    """GET /api/v1/guidelines."""
    with runtime(request).db.read() as session:
        return JSONResponse(guidelines_json(community.guidelines(session)))


@api(
    "PUT",
    "/api/v1/guidelines",
    summary="Replace the company guidelines (community managers and admins)",
    operation_id="core.putGuidelines",
    body=GuidelinesIn,
    responses={200: GuidelinesOut},
    errors=(403,),
)
async def api_put_guidelines(request: Request, body: GuidelinesIn) -> Response:
    """PUT /api/v1/guidelines {"body"}."""
    if not may_edit_guidelines(request):
        raise ApiError(403, "forbidden", "Only community managers edit the guidelines.")
    me = current_user(request)

    def save(session: Session) -> community.Guidelines:
        return community.save_guidelines(session, session.get(User, me.id), body.body)

    return JSONResponse(guidelines_json(await write(request, save)))


def _date_text(value: object) -> object:
    # Lax parsing would also take a number as a Unix time: the document says text.
    if not isinstance(value, str):
        raise ValueError("must be a day as text (YYYY-MM-DD)")
    return value


Day = Annotated[
    date,
    Field(
        strict=False,
        description="the last day shown (YYYY-MM-DD, today to a year ahead)",
        # A week ahead of when the document is served (clients, and the contract run).
        examples=[(date.today() + timedelta(days=7)).isoformat()],
    ),
    BeforeValidator(_date_text),
]


class AnnouncementIn(Body):
    """Pin an item on everyone's home or on its space's home until a day (in your time zone;
    pinning it again there moves the day; a day past or more than a year ahead is a 409)"""

    # The demo's first items are company-wide wiki pages.
    content: Annotated[Id, Field(examples=[1, 2])]
    place: Literal["home", "space"]
    until: Day


class AnnouncementOut(Shape):
    """An item pinned on a home page"""

    id: int
    content_id: int
    space: str | None
    url: str
    title: str
    author: str
    until: str


class AnnouncementPage(Shape):
    """The announcements pinned now (on everyone's home, or ``space``'s)"""

    items: list[AnnouncementOut]


class AnnouncementQuery(Query):
    """Which home: everyone's (no ``space``) or a space's (its slug)"""

    space: Text(60) = ""


def announcement_json(
    announcement: community.Announcement, content: Content, author: User, slug: str | None
) -> dict[str, Any]:
    """An announcement as the API shows it."""
    return {
        "id": announcement.id,
        "content_id": content.id,
        "space": slug,
        "url": content.url,
        "title": content.title or content.summary[:120],
        "author": author.username,
        "until": announcement.until.isoformat(),
    }


@api(
    "GET",
    "/api/v1/announcements",
    summary="The items pinned now on everyone's home or on a space's",
    operation_id="core.listAnnouncements",
    query=AnnouncementQuery,
    responses={200: AnnouncementPage},
    errors=(404,),
)
async def api_announcements(request: Request, query: AnnouncementQuery) -> Response:
    """GET /api/v1/announcements?space=<slug>."""
    with runtime(request).db.read() as session:
        space = None
        if query.space:
            try:
                space = get_space(session, access(request), query.space)
            except NotFound:
                raise ApiError(404, "not_found", "No such space.") from None
            if space.principal not in principals(request):
                raise ApiError(404, "not_found", "No such space.")
        found = community.pinned(session, principals(request), space.id if space else None)
        slug = space.slug if space else None
        items = [announcement_json(p.announcement, p.content, p.author, slug) for p in found]
    return JSONResponse({"items": items})


@api(
    "POST",
    "/api/v1/announcements",
    summary="Pin an item on a home page (community managers, a space's moderators)",
    operation_id="core.pinItem",
    body=AnnouncementIn,
    responses={201: AnnouncementOut},
    errors=(403, 404, 409),
)
async def api_pin(request: Request, body: AnnouncementIn) -> Response:
    """POST /api/v1/announcements {"content", "place", "until"}."""
    try:
        announcement = await write(
            request, _pin(request, body.content, body.place, body.until.isoformat())
        )
    except Forbidden as exc:
        raise ApiError(403, "forbidden", str(exc)) from None
    with runtime(request).db.read() as session:
        content = session.get(Content, announcement.content_id)
        author = session.get(User, content.author_id)
        space = session.get(Space, announcement.space_id) if announcement.space_id else None
        shown = announcement_json(announcement, content, author, space.slug if space else None)
    return JSONResponse(shown, status_code=201)


@api(
    "DELETE",
    "/api/v1/announcements/{announcement_id:int}",
    summary="Unpin an announcement",
    operation_id="core.unpinItem",
    responses={204: None},
    errors=(403,),
)
async def api_unpin(request: Request) -> Response:
    """DELETE /api/v1/announcements/{id}."""
    try:
        await write(request, _unpin(request, request.path_params["announcement_id"]))
    except Forbidden as exc:
        raise ApiError(403, "forbidden", str(exc)) from None
    return Response(status_code=204)


API_ROUTES = api_routes(api_guidelines, api_put_guidelines, api_announcements, api_pin, api_unpin)
