"""Hook implementations of the ideas plugin: campaigns, ideas, votes and the review workflow.

Its templates/, static/, locale/ and migrations/ directories are found by convention.
"""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request

from rse_core import (
    EvidenceKind,
    ExportTable,
    Job,
    NavItem,
    Permission,
    SpaceTab,
    access,
    audience_size,
    excerpt,
    hookimpl,
    principals,
    render_fragment,
    runtime,
    utcnow,
)

from . import api, campaigns, views, workflow
from .demo import load_demo
from .i18n import N_
from .models import Campaign, Follower, Idea, Move, Score, Vote
from .permissions import LAUNCH, PROPOSE


@hookimpl
def rse_routes(settings):
    """The campaigns, a campaign and its board and CSV, an idea's page and its forms."""
    return list(views.PAGE_ROUTES)


@hookimpl
def rse_api_routes(settings):
    """The ideas API under /api/v1/ideas."""
    return list(api.API_ROUTES)


@hookimpl
def rse_permissions():
    """Launching campaigns (site admins company-wide; a space's moderators and owners in
    it) and proposing ideas (every employee in a campaign's audience)."""
    return [
        Permission(LAUNCH, N_("Launch idea campaigns"), default_roles=("moderator", "owner")),
        Permission(PROPOSE, N_("Propose ideas and vote"), default_roles=("everyone",)),
    ]


@hookimpl
def rse_jobs():
    """``ideas.close``: close a campaign at the end of its last day."""
    return [Job(campaigns.CLOSE_JOB, campaigns.close_due)]


@hookimpl
def rse_nav_items(request: Request):
    """An "Ideas" entry in the header."""
    return [NavItem(N_("Ideas"), "/ideas", order=40)]


@hookimpl
def rse_space_tabs(request: Request, space):
    """A space's campaigns."""
    return [SpaceTab(N_("Ideas"), f"/ideas/spaces/{space.slug}", order=50)]


@hookimpl
def rse_prepare_entries(request: Request, entries):
    """The campaigns and ideas of a stream page's entries, one query each."""
    ids = {entry.content.id for entry in entries if entry.content.plugin == "ideas"}
    if not ids:
        return None
    with runtime(request).db.read() as session:
        found: dict[int, object] = {
            c.content_id: c
            for c in session.scalars(select(Campaign).where(Campaign.content_id.in_(ids)))
        }
        found.update(
            (i.content_id, i) for i in session.scalars(select(Idea).where(Idea.content_id.in_(ids)))
        )
    return found


@hookimpl
def rse_render_activity(request: Request, entry, prepared):
    """A campaign (its question and last day) or an idea (its state and votes) in the
    stream; ``prepared``: its row."""
    if entry.content.plugin != "ideas" or prepared is None:
        return None
    return render_fragment(
        request,
        "ideas/entry.html",
        {
            "entry": entry,
            "row": prepared,
            "is_idea": isinstance(prepared, Idea),
            "teaser": excerpt(entry.content.summary, 280),
            "labels": workflow.LABELS,
            "status": campaigns.status,
            "now": utcnow(),
        },
    )


@hookimpl
def rse_home_widgets(request: Request):
    """The open campaigns the reader takes part in (company-wide and their spaces')."""
    now = utcnow()
    with runtime(request).db.read() as session:
        rows = campaigns.listing(session, principals(request), now=now, state=campaigns.OPEN)
    mine = set(access(request).roles)
    rows = [c for c in rows if c.space_id is None or c.space_id in mine][:5]
    if not rows:
        return []
    return [render_fragment(request, "ideas/widget.html", {"rows": rows})]


@hookimpl
def rse_adoption_sections(request: Request):
    """The newest campaigns the reader may see, with their figures (counts only)."""
    now = utcnow()
    with runtime(request).db.read() as session:
        rows = campaigns.listing(session, principals(request), now=now, limit=10)
        if not rows:
            return []
        company = audience_size(session, None)
        found = [
            (
                c,
                campaigns.status(c, now),
                campaigns.figures(session, c, None if c.space_id else company),
            )
            for c in rows
        ]
    return [render_fragment(request, "ideas/adoption.html", {"rows": found})]


@hookimpl
def rse_demo_data(session, settings):
    """A company-wide campaign under review and a space's open one, with votes and moves."""
    load_demo(session)


@hookimpl
def rse_evidence_kinds():
    """An idea under a tag: its author thinks about the subject."""
    return [EvidenceKind(campaigns.IDEA, N_("idea proposed"), N_("ideas proposed"), 0.5)]


@hookimpl
def rse_content_types():
    """The names search shows for this plugin's items."""
    return {campaigns.CAMPAIGN: N_("Idea campaign"), campaigns.IDEA: N_("Idea")}


@hookimpl
def rse_personal_data(session, user):
    """The ideas the person voted for and follows, their scores and moves as a reviewer
    (their campaigns and ideas are items)."""

    def titles(table):
        return sorted(
            session.scalars(
                select(Idea.title)
                .join(table, table.idea_id == Idea.id)
                .where(table.user_id == user.id)
            )
        )

    scores = session.execute(
        select(Idea.title, Score.criterion, Score.value)
        .join(Score, Score.idea_id == Idea.id)
        .where(Score.reviewer_id == user.id)
    )
    moves = session.execute(
        select(Idea.title, Move.to_state, Move.reason, Move.created_at)
        .join(Move, Move.idea_id == Idea.id)
        .where(Move.actor_id == user.id)
        .order_by(Move.id)
    )
    return {
        "voted_for": titles(Vote),
        "follows": titles(Follower),
        "scores": [{"idea": t, "criterion": c, "score": v} for t, c, v in scores],
        "moves": [
            {"idea": t, "to": state, "reason": reason, "at": at.isoformat()}
            for t, state, reason, at in moves
        ],
    }


@hookimpl
def rse_export_tables() -> list[ExportTable]:
    """Campaigns, reviewers, ideas, votes, participants, followers, scores and moves."""
    return [
        ExportTable("ideas_campaign"),
        ExportTable("ideas_reviewer"),
        ExportTable("ideas_idea"),
        ExportTable("ideas_vote"),
        ExportTable("ideas_participant"),
        ExportTable("ideas_follower"),
        ExportTable("ideas_score"),
        ExportTable("ideas_move"),
    ]
