"""Demo bookmarks for `rse demo`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rse_core import Space, User

from .service import save

LINKS = [
    (
        "bruno",
        "https://kubernetes.io/docs/",
        "Kubernetes documentation",
        "everyone",
        None,
        ["kubernetes", "docs"],
    ),
    (
        "hugo",
        "https://kubernetes.io/docs/",
        "K8s docs",
        "space",
        "kubernetes-guild",
        ["kubernetes"],
    ),
    (
        "gaelle",
        "https://www.w3.org/WAI/standards-guidelines/wcag/",
        "WCAG overview",
        "everyone",
        None,
        ["accessibility"],
    ),
    (
        "chloe",
        "https://example.com/hr/handbook",
        "Employee handbook",
        "space",
        "hr-team",
        ["onboarding"],
    ),
    ("alice", "mailto:it-support@example.com", "IT support", "everyone", None, ["it"]),
]


def load_demo(session: Session) -> None:
    """Create the demo bookmarks (after the core's people and spaces)."""
    users = {u.username: u for u in session.execute(select(User)).scalars()}
    spaces = {s.slug: s for s in session.execute(select(Space)).scalars()}
    for username, url, title, visibility, slug, tags in LINKS:
        if username in users:
            save(
                session,
                users[username],
                url=url,
                title=title,
                visibility=visibility,
                space=spaces.get(slug) if slug else None,
                tags=tags,
            )
