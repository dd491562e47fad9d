"""The praise API under /api/v1/praise: the badges on offer, praising, reading and deleting."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field
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
    write,
)

from . import service, views
from .models import Badge

Username = Annotated[str, Field(pattern=r"^@?[A-Za-z0-9_.-]{1,40}$")]


class PersonOut(ApiShape):
    """A colleague"""

    username: str
    display_name: str


class BadgeOut(ApiShape):
    """A badge on offer"""

    id: int
    name: str
    description: str
    symbol: str


class BadgePage(ApiShape):
    """The badges on offer, by name"""

    items: list[BadgeOut]


class PraiseOut(ApiShape):
    """A praise; ``content_id`` is its item for comments and likes
    (``/api/v1/content/{content_id}/...``)"""

    id: int
    content_id: int
    url: str
    badge: BadgeOut
    message: str
    author: PersonOut
    recipients: list[PersonOut]
    space: str | None
    created_at: str


class PraisePage(ApiShape):
    """Praise you may see, newest first; ``next`` is the ``before`` of the following page"""

    items: list[PraiseOut]
    next: str | None


class PraiseIn(ApiBody):
    """Praise 1 to 10 colleagues (not yourself) with a badge on offer and a message,
    company-wide or in one of your spaces"""

    # An example a client (and the contract run) can send as is: bruno is in the demo data.
    model_config = ConfigDict(
        **ApiBody.model_config,
        json_schema_extra={
            "examples": [{"recipients": ["bruno"], "badge": 1, "message": "Thanks for the fix!"}]
        },
    )

    recipients: Annotated[list[Username], Field(min_length=1, max_length=service.MAX_RECIPIENTS)]
    badge: ApiId
    message: ApiText(service.MAX_MESSAGE, required=True)
    space: Annotated[str, Field(description="a space's slug; omit for the company")] | None = None


class ListQuery(ApiQuery):
    user: ApiText(40) | None = None
    before: ApiId | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20


PRAISE_LINKS = {
    "GetPraise": ApiLink("praise.getPraise", {"praise_id": "$response.body#/id"}),
}


def _person(user: User) -> dict[str, str]:
    return {"username": user.username, "display_name": user.display_name}


def _badge(badge: Any) -> dict[str, Any]:
    return {
        "id": badge.id,
        "name": badge.name,
        "description": badge.description,
        "symbol": badge.symbol,
    }


def praise_json(row: service.Shown) -> dict[str, Any]:
    """A praise as the API shows it."""
    return {
        "id": row.praise.id,
        "content_id": row.content.id,
        "url": row.content.url,
        "badge": _badge(row.badge),
        "message": row.praise.message,
        "author": _person(row.author),
        "recipients": [_person(p) for p in row.recipients],
        "space": row.space.slug if row.space else None,
        "created_at": row.praise.created_at.isoformat(),
    }


def _one(request: Request, praise_id: int, status: int) -> Response:
    with runtime(request).db.read() as session:
        praise = service.readable(session, praise_id, principals(request))
        (row,) = service.shown(session, [praise])
    return JSONResponse(praise_json(row), status_code=status)


@api(
    "GET",
    "/api/v1/praise/badges",
    summary="The badges on offer",
    operation_id="praise.listBadges",
    responses={200: BadgePage},
)
async def api_badges(request: Request) -> Response:
    """GET /api/v1/praise/badges."""
    with runtime(request).db.read() as session:
        return JSONResponse({"items": [_badge(b) for b in service.badges(session)]})


@api(
    "POST",
    "/api/v1/praise",
    summary="Praise colleagues with a badge and a message",
    operation_id="praise.givePraise",
    body=PraiseIn,
    responses={201: PraiseOut},
    errors=(404, 409),
    links={201: PRAISE_LINKS},
)
async def api_give(request: Request, body: PraiseIn) -> Response:
    """POST /api/v1/praise {"recipients", "badge", "message", "space"?}."""
    me = current_user(request)

    def run(session: Session) -> int:
        space = views.space_to_praise_in(request, session, body.space)
        # What the body names must exist (404), as a space's slug must; the rest is checked
        # by the service (422 with the field).
        unknown = service.unknown_names(session, service.clean_names(body.recipients))
        if unknown:
            raise ApiError(404, "not_found", f"No active colleague is called {unknown[0]!r}.")
        badge = session.get(Badge, body.badge)
        if badge is None:
            raise ApiError(404, "not_found", "No such badge.")
        if badge.retired_at is not None:
            raise ApiError(409, "conflict", "This badge is no longer offered.")
        praise = service.give(
            session, session.get(User, me.id), body.recipients, body.badge, body.message, space
        )
        return praise.id

    return _one(request, await write(request, run), 201)


@api(
    "GET",
    "/api/v1/praise/{praise_id:int}",
    summary="A praise",
    operation_id="praise.getPraise",
    responses={200: PraiseOut},
)
async def api_get(request: Request) -> Response:
    """GET /api/v1/praise/{id}."""
    return _one(request, request.path_params["praise_id"], 200)


@api(
    "DELETE",
    "/api/v1/praise/{praise_id:int}",
    summary="Delete a praise (its author, or an admin)",
    operation_id="praise.deletePraise",
    responses={204: None},
    errors=(403,),
)
async def api_delete(request: Request) -> Response:
    """DELETE /api/v1/praise/{id}."""
    me = current_user(request)

    def run(session: Session) -> None:
        praise = service.readable(session, request.path_params["praise_id"], principals(request))
        if not (me.is_admin or me.id == praise.author_id):
            raise ApiError(403, "forbidden", "You may not delete this praise.")
        service.remove(session, praise)

    await write(request, run)
    return Response(status_code=204)


@api(
    "GET",
    "/api/v1/praise",
    summary="Praise you may see, newest first (all, or one colleague's received)",
    operation_id="praise.listPraise",
    query=ListQuery,
    responses={200: PraisePage},
    errors=(404,),
)
async def api_list(request: Request, query: ListQuery) -> Response:
    """GET /api/v1/praise?user=&before=&limit=."""
    with runtime(request).db.read() as session:
        person = None
        if query.user:
            person = views.person_or_none(session, query.user)
            if person is None:
                raise ApiError(404, "not_found", "No such colleague.")
        rows = service.listing(
            session,
            principals(request),
            recipient=person,
            before=query.before,
            limit=query.limit + 1,
        )
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return JSONResponse(
        {
            "items": [praise_json(r) for r in rows],
            "next": str(rows[-1].praise.id) if more and rows else None,
        }
    )


API_ROUTES = api_routes(api_badges, api_give, api_get, api_delete, api_list)
