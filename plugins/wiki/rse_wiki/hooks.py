"""Hook implementations of the wiki plugin."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request

from rse_core import (
    N_,
    EvidenceKind,
    ExportTable,
    NavItem,
    Permission,
    SpaceTab,
    excerpt,
    hookimpl,
    render_fragment,
)

from . import api, pages, views
from .demo import load_demo
from .models import WikiPage, WikiRevision, WikiWatch


@hookimpl
def rse_routes(settings):
    """The wikis, their pages, history, diffs and the editor."""
    return list(views.PAGE_ROUTES)


@hookimpl
def rse_api_routes(settings):
    """The wiki API under /api/v1/wiki."""
    return list(api.API_ROUTES)


@hookimpl
def rse_permissions():
    """Editing wiki pages (every employee in the company wiki; in a space, its members)."""
    return [Permission("wiki.edit", "Edit wiki pages", default_roles=("everyone",))]


@hookimpl
def rse_nav_items(request: Request):
    """A "Wiki" entry in the header."""
    return [NavItem("Wiki", "/wiki", order=35)]


@hookimpl
def rse_space_tabs(request: Request, space):
    """A space's wiki."""
    return [SpaceTab("Wiki", f"/wiki/{space.slug}", order=45)]


@hookimpl
def rse_render_activity(request: Request, entry):
    """A page in the stream: its title and the start of its text (no query per entry)."""
    if entry.content.type != "wiki.page":
        return None
    return render_fragment(
        request, "wiki/entry.html", {"entry": entry, "teaser": excerpt(entry.content.summary, 200)}
    )


@hookimpl
def rse_demo_data(session, settings):
    """A company wiki tree with links, and a space's wiki, in French and English."""
    load_demo(session)


@hookimpl
def rse_evidence_kinds():
    """A wiki page under a tag (its #hashtags): its author documented it, its editors too."""
    return [
        EvidenceKind("wiki.page", N_("wiki page"), N_("wiki pages"), 2.0),
        EvidenceKind("wiki.edited", N_("wiki page edited"), N_("wiki pages edited"), 1.0),
    ]


@hookimpl
def rse_evidence(session, items):
    """Who else edited these pages: each editor once per page, as of their last edit."""
    return pages.editors(session, items)


@hookimpl
def rse_content_types():
    """The names search shows for this plugin's items."""
    return {"wiki.page": "Wiki page"}


@hookimpl
def rse_personal_data(session, user):
    """The revisions the person wrote (their text and summary) and the pages they watch."""
    revisions = session.execute(
        select(WikiRevision, WikiPage.content_id)
        .join(WikiPage, WikiPage.id == WikiRevision.page_id)
        .where(WikiRevision.author_id == user.id)
        .order_by(WikiRevision.id)
    )
    watched = session.scalars(
        select(WikiPage.title)
        .join(WikiWatch, WikiWatch.page_id == WikiPage.id)
        .where(WikiWatch.user_id == user.id)
    )
    return {
        "revisions": [
            {
                "page": r.title,
                "number": r.number,
                "summary": r.summary,
                "body": r.body,
                "created_at": r.created_at.isoformat(),
            }
            for r, _content_id in revisions
        ],
        "watched_pages": sorted(watched),
    }


@hookimpl
def rse_export_tables() -> list[ExportTable]:
    """Pages, every revision, redirects, links and watches."""
    return [
        ExportTable("wiki_page"),
        ExportTable("wiki_revision"),
        ExportTable("wiki_redirect"),
        ExportTable("wiki_link"),
        ExportTable("wiki_watch"),
    ]
