"""The search page and ``GET /api/v1/search``: one box, everything the reader may see."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..content import Content
from ..identity.models import Space
from ..search.indexer import rebuild_in_progress
from .context import principals, reading_page, runtime
from .contract import Query, Shape, Text, api, api_routes
from .errors import ApiError
from .templating import render

PER_PAGE = 20
MAX_QUERY = 200
MAX_PAGE = 1000


def _page(request: Request) -> int:
    raw = request.query_params.get("cursor") or request.query_params.get("page") or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise ApiError(400, "bad_cursor", "The cursor is not valid.", {"cursor": "invalid"})
    return int(raw)


def run_search(
    request: Request, q: str, kind: str = "", space: str = "", page: int = 1
) -> tuple[str, Any]:
    """Run query ``q`` filtered by ``kind`` and ``space`` (slug): the page's results, or None
    for an empty query."""
    rt = runtime(request)
    if rt.search is None:
        raise HTTPException(404)
    q = q.strip()[:MAX_QUERY]
    if not q:
        return q, None
    results = rt.search.search(
        q,
        principals(request),
        kind=kind or None,
        space=space or None,
        page=page,
        per_page=PER_PAGE,
    )
    # The index lags the database by up to a second: drop hits deleted meanwhile.
    content_ids = [int(h.key[2:]) for h in results.hits if h.key.startswith("c:")]
    if content_ids:
        with rt.db.read() as session:
            live = set(
                session.execute(
                    select(Content.id).where(
                        Content.id.in_(content_ids), Content.deleted_at.is_(None)
                    )
                ).scalars()
            )
        results.hits = [
            h for h in results.hits if not h.key.startswith("c:") or int(h.key[2:]) in live
        ]
    return q, results


def search_visible(request: Request, q: str, *, kind: str = "", limit: int = 5) -> list[Any]:
    """The best ``limit`` hits of ``q`` among what this request's reader may see (of
    ``kind``, a content type such as ``"qa.question"``), for a plugin's suggestions ("similar
    questions"); empty when search is off or ``q`` is. Hits have ``title``, ``url``, ``key``
    (``"c:<content id>"``) and a ``snippet``."""
    if runtime(request).search is None or not q.strip():
        return []
    _q, results = run_search(request, q, kind=kind)
    return [] if results is None else list(results.hits[:limit])


@reading_page
def search_page(request: Request) -> Response:
    """GET /search?q=&type=&space=&cursor=."""
    params = request.query_params
    space = params.get("space", "")
    q, results = run_search(
        request, params.get("q", ""), params.get("type", ""), space, _page(request)
    )
    return render(
        request,
        "search/results.html",
        {
            "q": q,
            "results": results,
            "type": request.query_params.get("type", ""),
            "space": space,
            "type_names": runtime(request).content_types,
            "space_names": _space_names(request, results, space),
            "rebuilding": rebuild_in_progress(runtime(request).db, runtime(request).search),
        },
    )


def _space_names(request: Request, results: Any, chosen: str) -> dict[str, str]:
    """Names for the space slugs a results page shows (hits, facet, filter): one query."""
    slugs = {chosen} if chosen else set()
    if results is not None:
        slugs |= {h.space for h in results.hits if h.space}
        slugs |= set(results.facets.get("space", {}))
    if not slugs:
        return {}
    with runtime(request).db.read() as session:
        rows = session.execute(select(Space.slug, Space.name).where(Space.slug.in_(slugs)))
        return dict(rows.all())


class HitOut(Shape):
    """One result; ``snippet`` is safe HTML (``<mark>`` around the words found)"""

    type: str
    id: str
    title: str
    url: str
    snippet: str
    space: str | None
    author: str


class FacetsOut(Shape):
    """How many results of each type and in each space (slug): the 10 with the most results,
    and the one filtered on"""

    type: dict[str, int]
    space: dict[str, int]


class SearchOut(Shape):
    """What the caller may see that matches: a page of hits, the total, facets and a
    spelling suggestion"""

    hits: list[HitOut]
    total: int
    total_capped: Annotated[
        bool,
        Field(
            description="more matched than ``total``: the PostgreSQL backend counts, facets"
            " and ranks the newest 2,000 matches"
        ),
    ]
    facets: FacetsOut
    suggestion: str | None
    next: str | None


class SearchQuery(Query):
    q: Text(MAX_QUERY) = ""
    type: Text(60) = ""
    space: Text(60) = ""
    cursor: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 1


@api(
    "GET",
    "/api/v1/search",
    summary="Everything the caller may see: hits, total, facets (type, space), suggestion"
    " (an empty q finds nothing)",
    operation_id="search",
    query=SearchQuery,
    responses={200: SearchOut},
    errors=(404,),
)
async def search_api(request: Request, query: SearchQuery) -> Response:
    """GET /api/v1/search?q=&type=&space=&cursor=; 404 when search is turned off."""
    _q, results = run_search(request, query.q, query.type, query.space, query.cursor)
    if results is None:
        return JSONResponse(
            {
                "hits": [],
                "total": 0,
                "total_capped": False,
                "facets": {"type": {}, "space": {}},
                "suggestion": None,
                "next": None,
            }
        )
    return JSONResponse(
        {
            "hits": [
                {
                    "type": h.kind,
                    "id": h.key,
                    "title": h.title,
                    "url": h.url,
                    "snippet": h.snippet,
                    "space": h.space or None,
                    "author": h.author,
                }
                for h in results.hits
            ],
            "total": results.total,
            "total_capped": results.total_capped,
            "facets": {
                "type": results.facets.get("kind", {}),
                "space": results.facets.get("space", {}),
            },
            "suggestion": results.suggestion,
            "next": str(results.next_page) if results.next_page else None,
        }
    )


ROUTES = [Route("/search", search_page, methods=["GET"])]
API_ROUTES = api_routes(search_api)
