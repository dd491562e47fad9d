"""Core pages that are not about any one service: the home page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .context import active_plugins, runtime
from .templating import render


async def home(request: Request) -> Response:
    """GET /: the home page, with widgets from the active plugins."""
    widgets = [
        (name, html)
        for name, results in runtime(request).plugins.collect(
            "rse_home_widgets", active_plugins(request), request=request
        )
        for html in results
    ]
    return render(request, "home.html", {"widgets": widgets})


ROUTES = [Route("/", home, methods=["GET"], name="home")]
