"""``GET /api/openapi.json``: the API of the core and of the reader's active plugins, written
from the operations' own declarations (:mod:`.contract`), so that it cannot drift from what
the handlers accept and answer."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from .._version import __version__
from .context import active_plugins
from .contract import ApiRoute, Operation, openapi_document
from .routing import PluginRoute


def declared_operations(
    routes: Iterable[BaseRoute], active: frozenset[str] | None = None
) -> Iterator[tuple[str | None, Operation]]:
    """Every declared operation in a route table with the plugin it belongs to (None for the
    core's); with ``active``, only the core's and those plugins'."""
    for route in routes:
        plugin = route.plugin if isinstance(route, PluginRoute) else None
        inner = route.route if isinstance(route, PluginRoute) else route
        if not isinstance(inner, ApiRoute):
            continue
        if active is not None and plugin is not None and plugin not in active:
            continue
        for operation in inner.operations.values():
            yield plugin, operation


def build_spec(request: Request) -> dict[str, Any]:
    """The OpenAPI 3.1 document for this reader."""
    operations = [op for _p, op in declared_operations(request.app.routes, active_plugins(request))]
    return openapi_document(operations, title="rse API", version=__version__)


async def openapi(request: Request) -> Response:
    """GET /api/openapi.json."""
    return JSONResponse(build_spec(request))


ROUTES = [Route("/api/openapi.json", openapi, methods=["GET"])]
