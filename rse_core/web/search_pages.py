"""The search page and ``GET /api/v1/search``: one box, everything the reader may see."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..content import Content
from ..identity.models import Space
from .context import principals, runtime
from .errors import ApiError
from .templating import render

PER_PAGE = 20
MAX_QUERY = 200


def _page(request: Request) -> int:
    raw = request.query_params.get("cursor") or request.query_params.get("page") or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= 1000:
        raise ApiError(400, "bad_cursor", "The cursor is not valid.", {"cursor": "invalid"})
    return int(raw)


def run_search(request: Request) -> tuple[str, Any]:
    """Run the query in the request's ``q``, ``type``, ``space`` and ``cursor``."""
    rt = runtime(request)
    if rt.search is None:
        raise HTTPException(404)
    q = request.query_params.get("q", "").strip()[:MAX_QUERY]
    if not q:
        return q, None
    results = rt.search.search(
        q,
        principals(request),
        kind=request.query_params.get("type") or None,
        space=request.query_params.get("space") or None,
        page=_page(request),
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


async def search_page(request: Request) -> Response:
    """GET /search?q=&type=&space=&cursor=."""
    q, results = run_search(request)
    space = request.query_params.get("space", "")
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


async def search_api(request: Request) -> Response:
    """GET /api/v1/search?q=&type=&space=&cursor=."""
    _q, results = run_search(request)
    if results is None:
        raise ApiError(422, "invalid", "q is required.", {"q": "required"})
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
            "facets": {
                "type": results.facets.get("kind", {}),
                "space": results.facets.get("space", {}),
            },
            "suggestion": results.suggestion,
            "next": str(results.next_page) if results.next_page else None,
        }
    )


ROUTES = [Route("/search", search_page, methods=["GET"])]
API_ROUTES = [Route("/api/v1/search", search_api, methods=["GET"])]
