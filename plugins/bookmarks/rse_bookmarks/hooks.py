"""Hook implementations of the bookmarks plugin."""

from __future__ import annotations

from rse_core import (
    N_,
    EvidenceKind,
    ExportTable,
    NavItem,
    Permission,
    SpaceTab,
    hookimpl,
    render_fragment,
)

from . import views
from .demo import load_demo


@hookimpl
def rse_routes(settings):
    """Bookmark pages, import, export and save-for-later."""
    return list(views.PAGE_ROUTES)


@hookimpl
def rse_api_routes(settings):
    """The bookmarks API under /api/v1/bookmarks."""
    return list(views.API_ROUTES)


@hookimpl
def rse_permissions():
    """Sharing bookmarks with a space or everyone."""
    return [Permission("bookmarks.share", "Share bookmarks", default_roles=("everyone",))]


@hookimpl
def rse_nav_items(request):
    """A "Bookmarks" entry in the header."""
    return [NavItem("Bookmarks", "/bookmarks", order=40)]


@hookimpl
def rse_space_tabs(request, space):
    """A space's shared bookmarks."""
    return [SpaceTab("Bookmarks", f"/bookmarks/spaces/{space.slug}", order=50)]


@hookimpl
def rse_item_actions(request, content):
    """ "Save for later" under every item (no query: a form)."""
    if content.plugin == "bookmarks":
        return None
    return [render_fragment(request, "bookmarks/save.html", {"content_id": content.id})]


@hookimpl
def rse_home_widgets(request):
    """The week's most bookmarked links."""
    return [render_fragment(request, "bookmarks/top.html", {"links": views.week_top(request)})]


@hookimpl
def rse_demo_data(session, settings):
    """A few shared links for the demo."""
    load_demo(session)


@hookimpl
def rse_evidence_kinds():
    """A shared link under a tag: its author reads about it."""
    return [EvidenceKind("bookmarks.link", N_("link shared"), N_("links shared"), 0.5)]


@hookimpl
def rse_content_types():
    """The names search shows for this plugin's items."""
    return {"bookmarks.link": "Bookmark"}


@hookimpl
def rse_export_tables() -> list[ExportTable]:
    """Bookmarks."""
    return [ExportTable("bookmarks_bookmark")]
