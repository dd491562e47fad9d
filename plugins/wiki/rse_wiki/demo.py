"""Demo wiki for `rse demo`: a company wiki tree with links (one to a page still to write),
a French page, a page with several revisions, and the Kubernetes guild's runbooks."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rse_core import Space, User, utcnow

from . import pages

COMPANY_PAGES = [
    # (author, slug, title, parent slug, body)
    (
        "alice",
        "welcome",
        "Welcome",
        None,
        "# Welcome to the company wiki\n\nStart with [[Onboarding]], then find your way around "
        "with [[Outils internes|our tools]].\n\nSomething missing? Write it: [[Travel policy]].",
    ),
    (
        "chloe",
        "onboarding",
        "Onboarding",
        "welcome",
        "## Your first day\n\nPick up your badge at the front desk.\n\n## Your first week\n\n"
        "Meet your buddy and read [[Welcome]].\n\n## Your first month\n\nAsk for feedback.",
    ),
    (
        "emma",
        "outils-internes",
        "Outils internes",
        "welcome",
        "## Messagerie\n\nLe réseau social d'entreprise remplace les listes de diffusion.\n\n"
        "## Documents\n\nLes procédures vivent dans ce wiki : voir [[Onboarding]].",
    ),
]


def load_demo(session: Session) -> None:
    """Create the demo pages (the core created the people and spaces first)."""
    users = {u.username: u for u in session.execute(select(User)).scalars()}
    if "alice" not in users:
        return
    now = utcnow()
    wiki = pages.company()
    for username, slug, title, parent, body in COMPANY_PAGES:
        pages.save(
            session,
            wiki,
            slug,
            users.get(username, users["alice"]),
            title=title,
            body=body,
            base_revision=None,
            parent=parent,
            now=now,
        )
    # A page with a history: two more saves, so History and Compare have something to show.
    onboarding, _moved = pages.find(session, wiki, "onboarding")
    for editor, body, summary in (
        ("bruno", onboarding.body + "\n\nYour laptop is ready on day one.", "Laptops"),
        (
            "alice",
            onboarding.body.replace("Ask for feedback.", "Ask your manager for feedback.")
            + "\n\nYour laptop is ready on day one.",
            "Who to ask",
        ),
    ):
        current, _moved = pages.find(session, wiki, "onboarding")
        pages.save(
            session,
            wiki,
            "onboarding",
            users.get(editor, users["alice"]),
            title=current.title,
            body=body,
            base_revision=current.revision,
            summary=summary,
            now=utcnow(),
        )
    guild = session.execute(
        select(Space).where(Space.slug == "kubernetes-guild")
    ).scalar_one_or_none()
    hugo = users.get("hugo")
    if guild is not None and hugo is not None:
        pages.save(
            session,
            pages.of_space(guild),
            "runbooks",
            hugo,
            title="Runbooks",
            body="## Restart a deployment\n\n```\nkubectl rollout restart deploy/api\n```\n\n"
            "See also [[Cluster costs]].",
            base_revision=None,
            now=now,
        )
