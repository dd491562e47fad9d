"""Demo praise for `rse demo`: colleagues thanking each other company-wide and in a space, in
French and English, so the wall, the profiles and the month's widget have something to show."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rse_core import Space, User

from .models import Badge
from .service import give

# author, recipients, badge, message, space
PRAISE = [
    ("hugo", ["bruno"], "Helpful",
     "Thanks for finding why our reporting pod restarted every night: the memory limit fix "
     "saved the morning dashboards.", "kubernetes-guild"),
    ("emma", ["chloe"], "Helpful",
     "You found the auditorium for the marketing day in ten minutes.", None),
    ("alice", ["bruno", "david"], "Team player",
     "The intranet migration went out on time thanks to both of you.", None),
    ("gaelle", ["chloe"], "Thank you",
     "Merci pour l'explication sur la déclaration du télétravail !", None),
    ("gaelle", ["emma"], "Problem solver",
     "The new chart palette passes every contrast check.", "design-system"),
]  # fmt: skip


def load_demo(session: Session) -> None:
    """Create the demo praise (the core created the people and spaces first)."""
    users = {u.username: u for u in session.scalars(select(User))}
    spaces = {s.slug: s for s in session.scalars(select(Space))}
    badges = {b.name: b for b in session.scalars(select(Badge))}
    for author, names, badge, message, slug in PRAISE:
        if author not in users or badge not in badges or not all(n in users for n in names):
            continue
        give(
            session,
            users[author],
            names,
            badges[badge].id,
            message,
            spaces.get(slug) if slug else None,
        )
