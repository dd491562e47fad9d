"""Core pages that are not about any one service: the home page and its stream."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .community_pages import pinned_context
from .context import active_plugins, reading_page, runtime
from .stream import render_items
from .templating import render


@reading_page
def home(request: Request) -> Response:
    """GET /: the home stream (``?following=1`` for following only) and plugin widgets."""
    rt = runtime(request)
    active = active_plugins(request)
    widgets = [
        (name, html)
        for name, results in rt.plugins.collect("rse_home_widgets", active, request=request)
        for html in results
    ]
    composers = [
        (name, html)
        for name, html in rt.plugins.collect(
            "rse_stream_composer", active, request=request, space=None
        )
    ]
    stream_html, _next, newest = render_items(request)
    return render(
        request,
        "home.html",
        {
            "widgets": widgets,
            "composers": composers,
            "stream_html": stream_html,
            "newest": newest,
            "following": request.query_params.get("following") == "1",
            **pinned_context(request, None),
        },
    )


ROUTES = [Route("/", home, methods=["GET"], name="home")]
