"""Ask an expert: up to three colleagues who know a question's tags and may see it, whom
the asker can ask to look at it; nobody is asked more than ``ASKS_PER_WEEK`` times a week."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rse_core import (
    N_,
    Conflict,
    Content,
    Forbidden,
    User,
    ValidationError,
    find_experts,
    get_visible,
    notify,
    principals_for,
    utcnow,
)

from .models import Answer, ExpertRequest, Question

SUGGESTED = 3
ASKS_PER_WEEK = 3
WEEK = timedelta(days=7)
MAX_TAGS = 5  # a question's first tags are asked about


@dataclass
class Suggestion:
    """A colleague to ask, with their evidence on the question's tags (as the asker sees it)."""

    person: User
    score: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    asked: bool = False  # already asked about this question
    busy: bool = False  # asked ASKS_PER_WEEK times this week


def suggestions(
    session: Session, question: Question, content: Content, asker: User, scope: frozenset[str]
) -> list[Suggestion]:
    """The colleagues who know the question's tags best and may see it: not the asker, nor
    those who already answered."""
    tags = question.tags.split()[:MAX_TAGS]
    if not tags:
        return []
    answered = set(
        session.scalars(
            select(Answer.author_id).where(
                Answer.question_id == question.id, Answer.deleted_at.is_(None)
            )
        )
    )
    exclude = {asker.id} | answered
    found: dict[int, Suggestion] = {}
    for tag in tags:
        for person, standing in find_experts(session, scope, tag, limit=10, exclude=exclude):
            entry = found.setdefault(person.id, Suggestion(person))
            entry.score += standing.score
            for kind, count in standing.counts.items():
                entry.counts[kind] = entry.counts.get(kind, 0) + count
    chosen = []
    for entry in sorted(found.values(), key=lambda e: (-e.score, e.person.id)):
        # Only someone who may read the question can be asked to answer it.
        if get_visible(session, content.id, principals_for(session, entry.person)) is not None:
            chosen.append(entry)
        if len(chosen) == SUGGESTED:
            break
    ids = [entry.person.id for entry in chosen]
    asked = set(
        session.scalars(
            select(ExpertRequest.expert_id).where(
                ExpertRequest.question_id == question.id, ExpertRequest.expert_id.in_(ids)
            )
        )
    )
    busy = _asked_this_week(session, ids)
    for entry in chosen:
        entry.asked = entry.person.id in asked
        entry.busy = busy.get(entry.person.id, 0) >= ASKS_PER_WEEK
    return chosen


def _asked_this_week(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    return dict(
        session.execute(
            select(ExpertRequest.expert_id, func.count())
            .where(ExpertRequest.expert_id.in_(ids), ExpertRequest.created_at > utcnow() - WEEK)
            .group_by(ExpertRequest.expert_id)
        ).all()
    )


def ask(
    session: Session,
    question: Question,
    content: Content,
    asker: User,
    username: object,
    scope: frozenset[str],
) -> bool:
    """The asker asks a suggested colleague to look at the question (they are notified);
    False when that colleague was already asked about it."""
    if question.author_id != asker.id:
        raise Forbidden("Only the person who asked can ask an expert.")
    chosen = {s.person.username: s for s in suggestions(session, question, content, asker, scope)}
    wanted = chosen.get(str(username or "").strip().lower())
    if wanted is None:
        raise ValidationError(
            {"expert": N_("Ask one of the colleagues suggested for this question.")}
        )
    if wanted.asked:
        return False
    # One asker at a time per expert: the weekly count cannot be overtaken by a race.
    session.execute(
        select(User.id).where(User.id == wanted.person.id).with_for_update(key_share=True)
    )
    if _asked_this_week(session, [wanted.person.id]).get(wanted.person.id, 0) >= ASKS_PER_WEEK:
        raise Conflict(
            {
                "expert": N_(
                    "This colleague was asked often this week already: try another, or later."
                )
            }
        )
    session.add(
        ExpertRequest(question_id=question.id, expert_id=wanted.person.id, asker_id=asker.id)
    )
    notify(
        session,
        wanted.person,
        "mention",
        actor=asker,
        content=content,
        note=N_("asks for your help"),
    )
    return True
