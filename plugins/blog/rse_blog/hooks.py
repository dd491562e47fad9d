"""Hook implementations of the blog plugin."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request

from rse_core import (
    N_,
    EvidenceKind,
    ExportTable,
    Job,
    NavItem,
    Permission,
    SpaceTab,
    excerpt,
    hookimpl,
    principals,
    render_fragment,
    runtime,
)

from . import api, posts, views
from .demo import load_demo
from .models import BlogPost


@hookimpl
def rse_routes(settings):
    """Blog pages, the editor and its preview, drafts, and the Atom feeds."""
    return list(views.PAGE_ROUTES)


@hookimpl
def rse_api_routes(settings):
    """The blog API under /api/v1/blog."""
    return list(api.API_ROUTES)


@hookimpl
def rse_permissions():
    """Writing blog posts (every employee in their own blog; in a space, its members)."""
    return [Permission("blog.post", "Write blog posts", default_roles=("everyone",))]


@hookimpl
def rse_jobs():
    """``blog.publish``: a scheduled post goes live at its time."""
    return [Job(posts.PUBLISH_JOB, posts.publish_due)]


@hookimpl
def rse_nav_items(request: Request):
    """A "Blog" entry in the header."""
    return [NavItem("Blog", "/blog", order=30)]


@hookimpl
def rse_space_tabs(request: Request, space):
    """A space's blog: its news."""
    return [SpaceTab("Blog", f"/blog/spaces/{space.slug}", order=40)]


@hookimpl
def rse_render_activity(request: Request, entry):
    """A post in the stream: its title and the start of its text (no query per entry)."""
    if entry.content.type != "blog.post":
        return None
    return render_fragment(
        request, "blog/entry.html", {"entry": entry, "teaser": excerpt(entry.content.summary, 280)}
    )


@hookimpl
def rse_home_widgets(request: Request):
    """The latest posts of the blogs the reader may read."""
    with runtime(request).db.read() as session:
        rows = posts.latest(session, principals(request), limit=5)
    return [render_fragment(request, "blog/latest.html", {"rows": rows})]


@hookimpl
def rse_demo_data(session, settings):
    """A space blog and a few employees' posts, in French and English."""
    load_demo(session)


@hookimpl
def rse_evidence_kinds():
    """A blog post under a tag: its author wrote at length about it."""
    return [EvidenceKind("blog.post", N_("blog post"), N_("blog posts"), 2.0)]


@hookimpl
def rse_content_types():
    """The names search shows for this plugin's items."""
    return {"blog.post": "Blog post"}


@hookimpl
def rse_personal_data(session, user):
    """The person's unpublished posts: drafts and scheduled ones (published posts are items)."""
    rows = session.scalars(
        select(BlogPost)
        .where(BlogPost.author_id == user.id, BlogPost.content_id.is_(None))
        .order_by(BlogPost.id)
    )
    return {
        "unpublished_posts": [
            {
                "title": p.title,
                "body": p.body,
                "tags": p.tags.split(),
                "status": p.status,
                "publish_at": p.publish_at.isoformat() if p.publish_at else None,
                "updated_at": p.updated_at.isoformat(),
            }
            for p in rows
        ]
    }


@hookimpl
def rse_export_tables() -> list[ExportTable]:
    """The blog's posts (drafts and scheduled ones included)."""
    return [ExportTable("blog_post")]
