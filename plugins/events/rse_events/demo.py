"""Demo events for `rse demo`: a weekly meeting of the Kubernetes guild, a training with few
places (its waiting list already used), the HR team's private interviews day, and a
company party; in French and English."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from rse_core import Space, User, utcnow

from . import rsvps
from .events import clean, create_event
from .models import Occurrence

PARIS = ZoneInfo("Europe/Paris")


def _at(days: int, hour: int, minute: int = 0) -> datetime:
    """``days`` from today in Paris at ``hour``, moved on to Monday if that is a weekend."""
    day = (utcnow().astimezone(PARIS) + timedelta(days=days)).date()
    if day.weekday() >= 5:
        day += timedelta(days=7 - day.weekday())
    return datetime.combine(day, time(hour, minute), PARIS)


def _first_occurrence(session: Session, event_id: int) -> int:
    return session.execute(
        select(Occurrence.id)
        .where(Occurrence.event_id == event_id)
        .order_by(Occurrence.starts_at)
        .limit(1)
    ).scalar_one()


def load_demo(session: Session) -> None:
    """Create the demo events (the core created the people and spaces first)."""
    users = {u.username: u for u in session.execute(select(User)).scalars()}
    spaces = {s.slug: s for s in session.execute(select(Space)).scalars()}
    if not {"alice", "bruno", "chloe", "hugo"} <= set(users):
        return
    now = utcnow()
    weekday = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[_at(1, 10).weekday()]
    guild = create_event(
        session,
        users["bruno"],
        spaces.get("kubernetes-guild"),
        clean(
            {
                "title": "Kubernetes guild weekly",
                "description": "Our weekly half hour: **incidents**, upgrades, questions.",
                "starts_at": _at(1, 10).isoformat(),
                "ends_at": _at(1, 10, 30).isoformat(),
                "timezone": "Europe/Paris",
                "online_url": "https://meet.example.com/k8s-guild",
                "rrule": f"FREQ=WEEKLY;BYDAY={weekday};COUNT=20",
            },
            creating=True,
        ),
        now,
    )
    training = create_event(
        session,
        users["alice"],
        None,
        clean(
            {
                "title": "Formation : sécurité des mots de passe",
                "description": "Deux heures pour bien choisir et gérer ses mots de passe. "
                "**Quatre places** seulement.",
                "starts_at": _at(8, 14).isoformat(),
                "ends_at": _at(8, 16).isoformat(),
                "timezone": "Europe/Paris",
                "location": "Paris, salle Eiffel",
                "capacity": 4,
            },
            creating=True,
        ),
        now,
    )
    first = _first_occurrence(session, training.id)
    for name in ("bruno", "chloe", "david", "emma", "farid"):
        if name in users:
            rsvps.answer(session, first, training, users[name], "yes", now)
    rsvps.answer(session, _first_occurrence(session, guild.id), guild, users["alice"], "yes", now)
    if "hr-team" in spaces:
        create_event(
            session,
            users["chloe"],
            spaces["hr-team"],
            clean(
                {
                    "title": "Entretiens annuels : journée de préparation",
                    "description": "Réservé à l'équipe RH.",
                    "starts_at": _at(15, 9).date().isoformat(),
                    "ends_at": _at(15, 9).date().isoformat(),
                    "all_day": True,
                    "timezone": "Europe/Paris",
                },
                creating=True,
            ),
            now,
        )
    create_event(
        session,
        users["alice"],
        spaces.get("all-hands"),
        clean(
            {
                "title": "End of year party",
                "description": "Drinks and music on the roof terrace. Everyone is welcome!",
                "starts_at": _at(20, 18).isoformat(),
                "ends_at": _at(20, 23).isoformat(),
                "timezone": "Europe/Paris",
                "location": "Lyon office, roof terrace",
            },
            creating=True,
        ),
        now,
    )
