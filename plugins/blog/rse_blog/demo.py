"""Demo posts for `rse demo`: a space blog (HR news), employees' blogs, in French and English,
and one draft and one scheduled post of Alice's so the drafts page has something to show."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rse_core import Space, User, utcnow

from .posts import PostFields, create_post

POSTS = [
    (
        "chloe",
        "hr-team",
        "Bienvenue aux nouveaux arrivants de décembre",
        "Ce mois-ci, **six personnes** rejoignent l'entreprise.\n\n"
        "## Le programme\n\n- lundi : accueil et badge\n- mardi : session d'intégration\n"
        "- jeudi : déjeuner avec l'équipe\n\nPensez à mettre à jour votre profil, @alice.",
        ["onboarding", "rh"],
    ),
    (
        "chloe",
        "hr-team",
        "New parental leave policy",
        "From January, parental leave is **extended to 16 weeks** for every parent.\n\n"
        "Read the full policy on the HR wiki, and ask your questions in the comments.",
        ["policy", "benefits"],
    ),
    (
        "hugo",
        None,
        "What we learned running Kubernetes for a year",
        "A year ago we moved our first service to the cluster. Three lessons:\n\n"
        "1. Start with **one team** and one service.\n2. Write the runbooks before the outage.\n"
        "3. Measure costs from day one.\n\n```\nkubectl top pods --all-namespaces\n```",
        ["kubernetes", "retex"],
    ),
    (
        "emma",
        None,
        "Pourquoi un réseau social d'entreprise ?",
        "Un outil déployé « parce que c'est à la mode » échoue. Nous commençons par **un usage "
        "réel** : le fil d'actualité et les blogs d'équipe, puis nous ajouterons le wiki.",
        ["intranet"],
    ),
]


def load_demo(session: Session) -> None:
    """Create the demo posts (the core created the people and spaces first)."""
    users = {u.username: u for u in session.execute(select(User)).scalars()}
    spaces = {s.slug: s for s in session.execute(select(Space)).scalars()}
    now = utcnow()
    for username, slug, title, body, tags in POSTS:
        if username in users:
            fields = PostFields(title=title, body=body, tags=tags, status="published")
            create_post(session, users[username], spaces.get(slug) if slug else None, fields, now)
    alice = users.get("alice")
    if alice is None:
        return
    draft = PostFields(
        title="Notre feuille de route 2027 (brouillon)",
        body="Trois priorités : le wiki, les événements, les questions-réponses.",
        tags=["roadmap"],
        status="draft",
    )
    create_post(session, alice, None, draft, now)
    scheduled = PostFields(
        title="Happy new year from the intranet team",
        body="Thank you all for a great first year on rse!",
        status="scheduled",
        publish_at=now + timedelta(days=30),
    )
    create_post(session, alice, None, scheduled, now)
