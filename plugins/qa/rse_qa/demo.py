"""Demo questions for `rse demo`, in French and English: answered, voted for and accepted, one
in the Kubernetes guild, one in a private space, and one still waiting for an answer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rse_core import Content, Space, User

from .questions import QuestionFields, accept, answer, ask, vote

# asker, space, title, body, tags, answers (author, body, voters), the accepted answer's index
QUESTIONS = [
    (
        "emma",
        None,
        "How do I book a meeting room for more than 20 people?",
        "The booking tool stops at 20 seats. Is there another way for the **marketing day**?",
        ["rooms", "events"],
        [
            (
                "chloe",
                "Ask the office team: the auditorium (80 seats) is booked by e-mail.",
                ["emma", "david"],
            ),
            (
                "hugo",
                "You can also join two rooms on the 3rd floor, they have a sliding wall.",
                ["gaelle"],
            ),
        ],
        0,
    ),
    (
        "hugo",
        "kubernetes-guild",
        "Why does my pod restart every night at 2 a.m.?",
        "Our reporting job restarts each night. The logs show `OOMKilled`.",
        ["kubernetes"],
        [
            (
                "bruno",
                "The nightly export doubles the memory. Raise the limit:\n\n```\n"
                "resources:\n  limits:\n    memory: 1Gi\n```",
                ["david", "alice", "hugo"],
            ),
            ("alice", "And add a memory alert at 80 % so that it never surprises us.", ["bruno"]),
        ],
        0,
    ),
    (
        "gaelle",
        None,
        "Comment déclarer mes heures de télétravail ?",
        "Je ne trouve pas le formulaire dans le portail RH.",
        ["rh", "teletravail"],
        [("chloe", "Dans le portail RH, onglet **Mon temps**, puis « Télétravail ».", ["gaelle"])],
        None,
    ),
    (
        "emma",
        "design-system",
        "Do we have an accessible colour palette for charts?",
        "",
        ["accessibility"],
        [],
        None,
    ),
    (
        "farid",
        None,
        "Which Excel add-in do you use for SAP exports?",
        "Ours breaks on every SAP update.",
        ["excel", "sap"],
        [],
        None,
    ),
]


def load_demo(session: Session) -> None:
    """Create the demo questions (the core created the people and spaces first)."""
    users = {u.username: u for u in session.execute(select(User)).scalars()}
    spaces = {s.slug: s for s in session.execute(select(Space)).scalars()}
    for asker, slug, title, body, tags, replies, accepted in QUESTIONS:
        if asker not in users:
            continue
        fields = QuestionFields(title=title, body=body, tags=tags)
        question = ask(session, users[asker], spaces.get(slug) if slug else None, fields)
        content = session.get(Content, question.content_id)
        rows = []
        for author, text, voters in replies:
            if author not in users:
                continue
            row = answer(session, question, content, users[author], text)
            for voter in voters:
                if voter in users:
                    vote(session, row, users[voter], 1)
            rows.append(row)
        if accepted is not None and accepted < len(rows):
            session.refresh(question)  # the answers' counts, written by SQL
            accept(session, question, rows[accepted])
