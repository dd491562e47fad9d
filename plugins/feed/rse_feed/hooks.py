"""Hook implementations of the feed plugin."""

from __future__ import annotations

from starlette.requests import Request

from rse_core import (
    N_,
    EvidenceKind,
    ExportTable,
    Permission,
    hookimpl,
    member_spaces,
    render_fragment,
    runtime,
)

from . import views
from .demo import load_demo
from .posts import render_body


@hookimpl
def rse_routes(settings):
    """Post pages, tag pages and the composer's form action."""
    return list(views.PAGE_ROUTES)


@hookimpl
def rse_api_routes(settings):
    """The feed API under /api/v1/feed."""
    return list(views.API_ROUTES)


@hookimpl
def rse_permissions():
    """Posting to the feed (everyone; in a space, its members)."""
    return [Permission("feed.post", "Post to the feed", default_roles=("everyone",))]


@hookimpl
def rse_stream_composer(request: Request, space):
    """ "What are you working on?" above the home stream and each space's stream."""
    spaces: tuple[tuple[str, str], ...] = ()
    if space is None:
        with runtime(request).db.read() as session:
            spaces = member_spaces(request, session)
    return render_fragment(request, "feed/composer.html", {"space": space, "spaces": spaces})


@hookimpl
def rse_render_activity(request: Request, entry):
    """A post in the stream: its Markdown body, hashtags and mentions linked."""
    if entry.content.type != "feed.post":
        return None
    # The post's Markdown is its content summary: no query per stream entry.
    return render_fragment(
        request,
        "feed/entry.html",
        {"entry": entry, "body_html": render_body(entry.content.summary)},
    )


@hookimpl
def rse_home_widgets(request: Request):
    """Trending hashtags of the week."""
    return [render_fragment(request, "feed/trending.html", {"tags": views.trending(request)})]


@hookimpl
def rse_demo_data(session, settings):
    """A few posts so the demo's home stream is alive."""
    load_demo(session)


@hookimpl
def rse_evidence_kinds():
    """Posts under a tag: their authors write about it."""
    return [EvidenceKind("feed.post", N_("post"), N_("posts"), 1.0)]


@hookimpl
def rse_content_types():
    """The names search shows for this plugin's items."""
    return {"feed.post": "Feed post"}


@hookimpl
def rse_export_tables() -> list[ExportTable]:
    """Posts."""
    return [ExportTable("feed_post")]
