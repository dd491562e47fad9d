"""Demo campaigns for `rse demo`: a company-wide one under review (votes, scores, a merged
duplicate, a declined idea), the Kubernetes guild's with an implemented idea, and a closed
one, in English and French."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rse_core import Content, Space, User, utcnow

from . import campaigns, ideas, workflow
from .campaigns import CampaignFields
from .ideas import IdeaFields
from .models import Campaign

# question, description, owner, space, reviewers, criteria, steps, days open, ideas:
# (author, title, body, tags, voters, days ago)
CAMPAIGNS = [
    (
        "How could we cut travel costs without travelling less well?",
        "Train, plane, hotels, video: **every idea counts**. The best ones are tried next"
        " quarter. Vote for the ideas you would use.",
        "alice",
        None,
        ["chloe", "farid"],
        ["Impact", "Cost"],
        workflow.OPTIONAL,
        30,
        [
            (
                "david",
                "Book trains three weeks ahead with a shared team calendar",
                "Prices double in the last week. A shared calendar of planned trips lets us"
                " book early, together.",
                ["travel", "trains"],
                ["alice", "emma", "hugo", "gaelle", "bruno"],
                12,
            ),
            (
                "emma",
                "Half of the client check-ins by video",
                "Keep visits for workshops and signatures; do the monthly check-ins by video"
                " with a shared whiteboard.",
                ["travel", "video"],
                ["david", "chloe"],
                10,
            ),
            (
                "hugo",
                "Un tableau de bord des déplacements par équipe",
                "Chaque équipe voit ses dépenses de déplacement du mois, comparées au budget.",
                ["travel", "dashboard"],
                ["farid", "alice"],
                9,
            ),
            (
                "farid",
                "Travel spending dashboard per department",
                "A monthly report of travel spending by department.",
                ["travel"],
                ["hugo", "chloe"],
                6,
            ),
            (
                "gaelle",
                "No taxis, only public transport",
                "Taxis cost a fortune; the metro is fine.",
                ["travel"],
                [],
                5,
            ),
        ],
    ),
    (
        "Which toil should we automate first?",
        "List the manual chores of the platform team; we automate the most voted one.",
        "bruno",
        "kubernetes-guild",
        ["alice"],
        [],
        (workflow.UNDER_REVIEW, workflow.SELECTED),
        21,
        [
            (
                "alice",
                "Renew TLS certificates automatically",
                "cert-manager with our internal CA: no more expired certificates on Monday.",
                ["kubernetes", "security"],
                ["bruno", "hugo"],
                15,
            ),
            (
                "hugo",
                "Nightly clean-up of finished jobs",
                "Thousands of completed pods slow `kubectl get pods` down.",
                ["kubernetes"],
                ["bruno"],
                8,
            ),
            (
                "alice",
                "Alert before a node's disk is full",
                "An alert at 85 % instead of a page at 100 %.",
                ["kubernetes", "monitoring"],
                ["bruno"],
                2,
            ),
        ],
    ),
]


def load_demo(session: Session) -> None:
    """Create the demo campaigns (the core created the people and spaces first)."""
    users = {u.username: u for u in session.scalars(select(User))}
    spaces = {s.slug: s for s in session.scalars(select(Space))}
    if not {"alice", "bruno", "chloe", "david", "emma", "farid", "gaelle", "hugo"} <= set(users):
        return
    now = utcnow()
    made = []
    for question, text, owner, slug, crew, names, steps, days, proposals in CAMPAIGNS:
        fields = CampaignFields(
            question=question,
            description=text,
            opens_at=now - timedelta(days=20),
            closes_at=now + timedelta(days=days),
            steps=" ".join(steps),
            criteria=names,
            reviewers=crew,
        )
        campaign = campaigns.launch(
            session, users[owner], spaces.get(slug) if slug else None, fields
        )
        content = session.get(Content, campaign.content_id)
        rows = []
        for author, title, body, tags, voters, ago in proposals:
            idea = ideas.propose(
                session, campaign, content, users[author], IdeaFields(title, body, tags), now
            )
            idea.created_at = now - timedelta(days=ago)
            for voter in voters:
                ideas.vote(session, idea, campaign, users[voter], 1)
            rows.append(idea)
        made.append((campaign, rows))
    _review(session, users, made)
    _closed_campaign(session, users, now)
    _secret_campaign(session, users, spaces, now)


def _review(session: Session, users: dict[str, User], made: list) -> None:
    (travel, (trains, video, board, duplicate, taxis)), (_toil, (tls, _jobs, _disk)) = made

    def move(idea, who, state, reason=None):
        content = session.get(Content, idea.content_id)
        campaign = session.get(Campaign, idea.campaign_id)
        ideas.move(session, idea, content, campaign, users[who], state, reason)

    ideas.follow(session, trains, users["gaelle"], True)
    move(trains, "farid", workflow.UNDER_REVIEW)
    move(trains, "farid", workflow.SELECTED)
    move(video, "chloe", workflow.UNDER_REVIEW)
    move(board, "farid", workflow.UNDER_REVIEW)
    move(
        taxis, "chloe", workflow.DECLINED, "Late at night a taxi is the safe way home: we keep it."
    )
    ideas.set_scores(session, trains, travel, users["farid"], {0: 5, 1: 4})
    ideas.set_scores(session, trains, travel, users["chloe"], {0: 4, 1: 4})
    ideas.set_scores(session, video, travel, users["chloe"], {0: 3, 1: 5})
    ideas.merge(
        session,
        duplicate,
        session.get(Content, duplicate.content_id),
        board,
        travel,
        users["alice"],
    )
    move(tls, "bruno", workflow.UNDER_REVIEW)
    move(tls, "bruno", workflow.SELECTED)
    move(tls, "bruno", workflow.IMPLEMENTED)
    for idea, days in ((trains, 4), (taxis, 3), (tls, 6)):
        idea.decided_at = idea.created_at + timedelta(days=days)


def _closed_campaign(session: Session, users: dict[str, User], now) -> None:
    fields = CampaignFields(
        question="Quel thème pour la fête d'été ?",
        description="Proposez un thème ; le plus voté l'emporte.",
        opens_at=now - timedelta(days=40),
        closes_at=now + timedelta(days=1),
        steps=workflow.SELECTED,
        criteria=[],
        reviewers=["chloe"],
    )
    campaign = campaigns.launch(session, users["emma"], None, fields)
    content = session.get(Content, campaign.content_id)
    for author, title, voters in (
        ("david", "Soirée guinguette au bord de l'eau", ["emma", "farid", "hugo"]),
        ("gaelle", "Jeux de plateau géants", ["bruno"]),
    ):
        idea = ideas.propose(
            session, campaign, content, users[author], IdeaFields(title, "", []), now
        )
        for voter in voters:
            ideas.vote(session, idea, campaign, users[voter], 1)
    campaign.closes_at = now - timedelta(days=10)
    campaigns.close(session, campaign, campaign.closes_at)


def _secret_campaign(
    session: Session, users: dict[str, User], spaces: dict[str, Space], now
) -> None:
    """A campaign of a secret space: invisible to all but its members."""
    space = spaces.get("reorg-2027")
    if space is None:
        return
    fields = CampaignFields(
        question="What should the reorganisation change first?",
        description="Only the reorganisation team sees this campaign.",
        opens_at=now - timedelta(days=3),
        closes_at=now + timedelta(days=25),
        steps=" ".join(workflow.OPTIONAL),
        criteria=[],
        reviewers=[],
    )
    campaign = campaigns.launch(session, users["chloe"], space, fields)
    content = session.get(Content, campaign.content_id)
    idea = ideas.propose(
        session,
        campaign,
        content,
        users["alice"],
        IdeaFields("One IT helpdesk for every site", "Today each site has its own queue.", []),
        now,
    )
    ideas.vote(session, idea, campaign, users["chloe"], 1)
