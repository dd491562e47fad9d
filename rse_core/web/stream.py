"""Stream pages and API: home (all, or following only), a space's, a person's; htmx "load
more" and the "N new items" poll."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from markupsafe import Markup
from pydantic import Field
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ..activity import Following, StreamEntry, as_activity_streams, count_newer, stream
from ..identity import accounts
from ..identity import spaces as svc
from ..permissions import can_read_space
from ..social import comment_counts, followed, reaction_summary
from . import parse_id
from .context import access, active_plugins, current_user, principals, public_base, runtime
from .contract import Id, Limit, Query, Shape, Text, api, api_routes
from .errors import ApiError
from .templating import render_fragment

PAGE = 20


def _int(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    number = parse_id(raw)
    if number is None:
        raise ApiError(400, "bad_parameter", f"{name} must be an id.", {name: "number"})
    return number


def stream_filters(
    request: Request, session: Session, params: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Filters from the query string: ``space`` (slug), ``person`` (username), ``following``.
    A space or person the reader may not see is a 404, like a missing one."""
    params = request.query_params if params is None else params
    filters: dict[str, Any] = {}
    acc = access(request)
    if slug := params.get("space"):
        try:
            space = svc.get_space(session, acc, slug)
        except svc.NotFound:
            raise HTTPException(404) from None
        if not can_read_space(acc, space):
            raise HTTPException(404)
        filters["space_id"] = space.id
    if username := params.get("person"):
        person = accounts.get_user(session, username)
        if person is None:
            raise HTTPException(404)
        filters["actor_id"] = person.id
    if params.get("following") == "1":
        filters["following"] = Following.from_targets(followed(session, acc.user.id))
    return filters


def decorate(request: Request, session: Session, entries: list[StreamEntry]) -> list[dict]:
    """Entries with likes and comment counts (two queries for the whole page) and their
    rendering (plugins first, then the core's default)."""
    ids = sorted({e.content.id for e in entries})
    reactions = reaction_summary(session, ids, current_user(request).id)
    comments = comment_counts(session, ids)
    rt = runtime(request)
    active = active_plugins(request)
    prepared = prepare_entries(request, [e for e in entries if e.content.plugin in active])
    items = []
    for entry in entries:
        html = None
        if entry.content.plugin in active:
            for _name, result in rt.plugins.collect(
                "rse_render_activity",
                {entry.content.plugin},
                request=request,
                entry=entry,
                prepared=prepared.get(entry.content.id),
            ):
                html = result
                break
        items.append(
            {
                "entry": entry,
                "html": html,
                "likes": reactions[entry.content.id],
                "comments": comments.get(entry.content.id, 0),
                "actions": item_actions(request, entry.content),
            }
        )
    return items


def prepare_entries(request: Request, entries: list[StreamEntry]) -> dict[int, Any]:
    """What each plugin loads at once for its entries of the page (``rse_prepare_entries``),
    by content id: one call per plugin that owns entries here."""
    by_plugin: dict[str, list[StreamEntry]] = {}
    for entry in entries:
        by_plugin.setdefault(entry.content.plugin, []).append(entry)
    prepared: dict[int, Any] = {}
    plugins = runtime(request).plugins
    for plugin, owned in by_plugin.items():
        owned_ids = {entry.content.id for entry in owned}
        for _name, loaded in plugins.collect(
            "rse_prepare_entries", {plugin}, request=request, entries=owned
        ):
            if loaded:
                prepared.update((key, value) for key, value in loaded.items() if key in owned_ids)
    return prepared


def item_actions(request: Request, content: Any) -> list[Any]:
    """Controls plugins add under an item (``rse_item_actions``), from the active plugins."""
    return [
        html
        for _name, results in runtime(request).plugins.collect(
            "rse_item_actions", active_plugins(request), request=request, content=content
        )
        for html in results
    ]


def render_items(request: Request, **fixed: str) -> tuple[Markup, int | None, int | None]:
    """The stream's items as HTML, the cursor for "load more" and the newest id shown.

    ``fixed`` parameters (``space="hr"``) override the query string's, and are carried into
    the "load more" link."""
    params = {**dict(request.query_params), **fixed}
    with runtime(request).db.read() as session:
        filters = stream_filters(request, session, params)
        entries = stream(
            session,
            principals(request),
            before=_int(params, "before"),
            limit=PAGE + 1,
            fold=True,
            **filters,
        )
        more = len(entries) > PAGE
        entries = entries[:PAGE]
        items = decorate(request, session, entries)
    next_before = entries[-1].activity.id if more and entries else None
    newest = entries[0].activity.id if entries else None
    html = render_fragment(
        request,
        "stream/_items.html",
        {
            "items": items,
            "next_before": next_before,
            "query": _query(params, "before"),
        },
    )
    return html, next_before, newest


def _query(params: Mapping[str, str], without: str) -> str:
    return urlencode({k: v for k, v in params.items() if k != without})


async def items_partial(request: Request) -> Response:
    """GET /stream/items?before=&space=&person=&following=: htmx "load more"."""
    html, _, _ = render_items(request)
    return HTMLResponse(html)


async def new_count(request: Request) -> Response:
    """GET /stream/new?after=&...: the "N new items" notice (htmx poll), counting items as the
    folded stream shows them."""
    after = _int(request.query_params, "after") or 0
    with runtime(request).db.read() as session:
        filters = stream_filters(request, session)
        count = count_newer(session, principals(request), after, fold=True, **filters)
    return HTMLResponse(
        render_fragment(
            request,
            "stream/_new.html",
            {"count": count, "query": _query(request.query_params, "after"), "after": after},
        )
    )


#: An absolute IRI, as the Activity Streams vocabulary requires.
IRI = Annotated[str, Field(pattern=r"^https?://")]


class AS2Person(Shape):
    """The actor"""

    type: Literal["Person"]
    id: IRI
    name: str
    preferredUsername: str


class AS2Object(Shape):
    """The item acted on"""

    type: Literal["Note", "Article"]
    id: IRI
    url: IRI
    name: str
    summary: str
    rse_type: str = Field(alias="rse:type")
    rse_content_id: int = Field(alias="rse:contentId")
    published: str
    updated: str


class AS2Group(Shape):
    """The space it happened in"""

    type: Literal["Group"]
    id: IRI
    name: str


class ActivityOut(Shape):
    """One activity (Activity Streams 2.0)"""

    context: Literal["https://www.w3.org/ns/activitystreams"] = Field(alias="@context")
    id: IRI
    type: Literal["Create", "Update", "Activity"]
    rse_verb: Literal["create", "update", "comment", "status"] = Field(alias="rse:verb")
    actor: AS2Person
    object: AS2Object
    published: str
    target: AS2Group | None = None


class StreamPage(Shape):
    """Activities, newest first"""

    items: list[ActivityOut]
    next: str | None


class StreamQuery(Query):
    space: Text(60) = ""
    person: Text(60) = ""
    following: bool = False
    before: Id | None = None
    limit: Limit = 20


@api(
    "GET",
    "/api/v1/stream",
    summary="Activities the caller may see, newest first (Activity Streams 2.0); a space or"
    " person the caller may not see is a 404",
    operation_id="stream",
    query=StreamQuery,
    responses={200: StreamPage},
    errors=(404,),
)
async def stream_api(request: Request, query: StreamQuery) -> Response:
    """GET /api/v1/stream?space=&person=&following=&before=&limit=: Activity Streams 2.0,
    every activity (the pages fold an item's activities into one entry; the API does not, so
    each activity keeps its id)."""
    params = {"space": query.space, "person": query.person}
    if query.following:
        params["following"] = "1"
    with runtime(request).db.read() as session:
        entries = stream(
            session,
            principals(request),
            before=query.before,
            limit=query.limit + 1,
            **stream_filters(request, session, params),
        )
    more = len(entries) > query.limit
    entries = entries[: query.limit]
    base = public_base(request)
    return JSONResponse(
        {
            "items": [as_activity_streams(e, base) for e in entries],
            "next": str(entries[-1].activity.id) if more and entries else None,
        }
    )


ROUTES = [
    Route("/stream/items", items_partial, methods=["GET"]),
    Route("/stream/new", new_count, methods=["GET"]),
]
API_ROUTES = api_routes(stream_api)
