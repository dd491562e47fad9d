"""Demo posts for `rse demo`, written by the core's demo employees."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rse_core import Space, User

from .posts import create_post

POSTS = [
    (
        "bruno",
        None,
        "Upgraded the staging cluster to the new #kubernetes release. "
        "Ping me if your deployment misbehaves.",
    ),
    (
        "emma",
        None,
        "Our #intranet launch starts today: try the feed and tell us what you think, @alice!",
    ),
    ("chloe", "hr-team", "Reminder: onboarding sessions are now on Tuesdays. #onboarding"),
    ("david", "sales-emea", "Closed the Lyon deal 🎉 thanks @emma for the deck. #sales"),
    (
        "hugo",
        "kubernetes-guild",
        "Dashboard for cluster costs is ready: "
        "https://example.com/dashboards/k8s #kubernetes #finops",
    ),
    ("gaelle", "design-system", "New button tokens are in review. #accessibility"),
    (
        "alice",
        None,
        "Welcome to rse! Start with your profile: add your **skills** so "
        "colleagues can find you. #intranet",
    ),
]


def load_demo(session: Session) -> None:
    """Create the demo posts (the core created the people and spaces first)."""
    users = {u.username: u for u in session.execute(select(User)).scalars()}
    spaces = {s.slug: s for s in session.execute(select(Space)).scalars()}
    for username, slug, body in POSTS:
        if username in users:
            create_post(session, users[username], body, spaces.get(slug) if slug else None)
