"""Asking, answering, voting and accepting, through the core's content API.

A question is published as a core item (``qa.question``): streams, search, comments, likes,
mentions and the rollout rule apply to it as to any item. Answers and votes are rows of this
plugin, reached only through their question (``readable``), so they are visible exactly when
their question is. Counts kept on the rows (``answer_count``, ``score``) change by SQL
increments in the writing transaction: concurrent votes never lose one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, Select, bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rse_core import (
    Content,
    Evidence,
    NotFound,
    ScopeParameter,
    Space,
    User,
    ValidationError,
    carries_tag,
    clean_tags,
    clean_text,
    delete_content,
    get_visible,
    in_set,
    notify,
    notify_mentions,
    publish,
    refresh_expertise,
    set_form,
    set_parameter,
    set_search_text,
    update_content,
    utcnow,
    visible,
    within_spaces,
)

from .models import Answer, Question, Vote

MAX_TITLE = 200
MAX_BODY = 50_000
MAX_TAGS = 10
TYPE = "qa.question"


@dataclass
class QuestionFields:
    """Checked input for a question; ``None``: not given (an edit keeps the old value)."""

    title: str | None = None
    body: str | None = None
    tags: list[str] | None = None


def clean(data: Mapping[str, Any], *, creating: bool) -> QuestionFields:
    """Check a question's fields (a form's or the API's); every error names its field."""
    fields = QuestionFields()
    if creating or "title" in data:
        fields.title = clean_text(
            data.get("title"), "title", max_length=MAX_TITLE, required="Ask your question."
        )
    if creating or "body" in data:
        fields.body = clean_text(data.get("body") or "", "body", max_length=MAX_BODY)
    if data.get("tags") is not None:
        fields.tags = clean_tags(data["tags"], max_tags=MAX_TAGS)
    return fields


def clean_answer(value: object) -> str:
    """An answer's Markdown: required, at most 50,000 characters."""
    return clean_text(value, "body", max_length=MAX_BODY, required="Write your answer first.")


def question_url(question: Question) -> str:
    """A question's page."""
    return f"/qa/questions/{question.id}"


def ask(session: Session, author: User, space: Space | None, fields: QuestionFields) -> Question:
    """A new question, company-wide or in a space the author belongs to (``publish`` checks)."""
    now = utcnow()
    question = Question(
        author_id=author.id,
        space_id=space.id if space else None,
        title=fields.title or "",
        body=fields.body or "",
        tags=" ".join(fields.tags or []),
        answer_count=0,
        created_at=now,
        updated_at=now,
        content_id=0,
    )
    content = publish(
        session,
        plugin="qa",
        type=TYPE,
        author=author,
        url="/qa",  # set below, once the question has its id
        title=question.title,
        summary=question.body,
        space=space,
        tags=fields.tags or [],
    )
    question.content_id = content.id
    session.add(question)
    session.flush()
    content.url = question_url(question)
    notify_mentions(session, question.body, author, content)
    return question


def edit(session: Session, question: Question, editor: User, fields: QuestionFields) -> None:
    """Change a question (its author): the edit reaches streams and search."""
    if fields.title is not None:
        question.title = fields.title
    if fields.body is not None:
        question.body = fields.body
    if fields.tags is not None:
        question.tags = " ".join(fields.tags)
    question.updated_at = utcnow()
    content = session.get(Content, question.content_id)
    update_content(
        session,
        content,
        editor,
        title=question.title,
        summary=question.body,
        tags=question.tags.split(),
    )
    notify_mentions(session, question.body, editor, content)


def remove(session: Session, question: Question) -> None:
    """Delete a question: it and its answers disappear from every read path at once."""
    content = session.get(Content, question.content_id)
    if content is not None and content.deleted_at is None:
        delete_content(session, content)


def readable(
    session: Session, question_id: int, principals: frozenset[str]
) -> tuple[Question, Content]:
    """The question and its item if the reader may see it; else NotFound (a 404)."""
    question = session.get(Question, question_id)
    if question is not None:
        content = get_visible(session, question.content_id, principals)
        if content is not None:
            return question, content
    raise NotFound("No such question.")


def readable_answer(
    session: Session, answer_id: int, principals: frozenset[str]
) -> tuple[Answer, Question, Content]:
    """An answer (not deleted) whose question the reader may see; else NotFound."""
    answer = session.get(Answer, answer_id)
    if answer is None or answer.deleted_at is not None:
        raise NotFound("No such answer.")
    try:
        question, content = readable(session, answer.question_id, principals)
    except NotFound as exc:
        raise NotFound("No such answer.") from exc
    return answer, question, content


def answer(
    session: Session, question: Question, content: Content, author: User, body: str
) -> Answer:
    """Answer a question the author may see (the caller checked); the asker is told."""
    now = utcnow()
    row = Answer(
        question_id=question.id,
        author_id=author.id,
        body=body,
        score=0,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.execute(
        update(Question)
        .where(Question.id == question.id)
        .values(answer_count=Question.answer_count + 1)
    )
    session.flush()
    index_answers(session, question)
    asker = session.get(User, question.author_id)
    if asker is not None:
        notify(session, asker, "watch", actor=author, content=content, note="answered")
    notify_mentions(session, body, author, content)
    return row


def edit_answer(session: Session, row: Answer, body: str) -> None:
    """Change an answer's text (its author)."""
    row.body = body
    row.updated_at = utcnow()
    session.flush()
    index_answers(session, session.get(Question, row.question_id))


def remove_answer(session: Session, row: Answer, question: Question) -> None:
    """Delete an answer: gone from its question; an accepted one is no longer accepted."""
    row.deleted_at = utcnow()
    values: dict[str, Any] = {"answer_count": Question.answer_count - 1}
    if question.accepted_answer_id == row.id:
        values["accepted_answer_id"] = None
    session.execute(update(Question).where(Question.id == question.id).values(**values))
    session.flush()
    index_answers(session, question)


def vote(session: Session, row: Answer, voter: User, value: int) -> int:
    """Set ``voter``'s vote on an answer (1: for it, 0: none) and return its score. Voting
    twice counts once: the key refuses a second row, and the score moves only with a row."""
    if value not in (0, 1):
        raise ValidationError({"value": "Vote 1 (for the answer) or 0 (no vote)."})
    if value == 1:
        try:
            with session.begin_nested():
                session.execute(insert(Vote).values(answer_id=row.id, user_id=voter.id))
        except IntegrityError:
            pass  # already voted (a double click, or another worker at the same time)
        else:
            _add_score(session, row, 1)
    else:
        removed = session.execute(
            delete(Vote).where(Vote.answer_id == row.id, Vote.user_id == voter.id)
        ).rowcount
        if removed:
            _add_score(session, row, -1)
    session.flush()
    question = session.get(Question, row.question_id)
    refresh_expertise(session, session.get(Content, question.content_id))
    return session.execute(select(Answer.score).where(Answer.id == row.id)).scalar_one()


def _add_score(session: Session, row: Answer, delta: int) -> None:
    session.execute(update(Answer).where(Answer.id == row.id).values(score=Answer.score + delta))


def accept(session: Session, question: Question, row: Answer) -> None:
    """Mark ``row`` as the question's accepted answer (it replaces any other)."""
    question.accepted_answer_id = row.id
    question.updated_at = utcnow()
    refresh_expertise(session, session.get(Content, question.content_id))


def answers(session: Session, question: Question) -> list[Answer]:
    """A question's answers: the accepted one first, then by votes, then oldest first."""
    rows = session.execute(
        select(Answer)
        .where(Answer.question_id == question.id, Answer.deleted_at.is_(None))
        .order_by(Answer.score.desc(), Answer.id)
    ).scalars()
    return sorted(rows, key=lambda a: a.id != question.accepted_answer_id)


def my_votes(session: Session, user_id: int, answer_ids: Sequence[int]) -> set[int]:
    """Which of these answers the user voted for."""
    if not answer_ids:
        return set()
    return set(
        session.execute(
            select(Vote.answer_id).where(Vote.user_id == user_id, Vote.answer_id.in_(answer_ids))
        ).scalars()
    )


def visible_questions(principals: frozenset[str] | ScopeParameter) -> Select[tuple[Question]]:
    """Questions the reader may see, newest first: the walk starts from ``qa_question`` and
    probes each one's item, so it costs what the questions do, not every plugin's items."""
    readable_item = (
        select(Content.id)
        .where(
            Content.id == Question.content_id,
            visible(Content.audience, principals),
            Content.deleted_at.is_(None),
        )
        .exists()
    )
    return select(Question).where(readable_item).order_by(Question.content_id.desc())


def listing(
    session: Session,
    principals: frozenset[str],
    *,
    unanswered: bool = False,
    space_ids: Sequence[int] | None = None,
    author_id: int | None = None,
    tags: Sequence[str] = (),
    before: int | None = None,
    limit: int = 20,
) -> list[Question]:
    """A page of visible questions: all, or only ``unanswered`` ones, in some spaces, by an
    author, carrying one of ``tags``; ``before``: the id of the previous page's last one."""
    if space_ids is not None:  # their questions carry their principals: compare only those
        principals = within_spaces(principals, space_ids)
    query = visible_questions(principals)
    if unanswered:
        query = query.where(Question.answer_count == 0)
    if space_ids is not None:
        query = query.where(Question.space_id.in_(space_ids))
    if author_id is not None:
        query = query.where(Question.author_id == author_id)
    if tags:
        query = query.where(carries_tag(Question.content_id, {t.lower() for t in tags}))
    if before is not None:
        cursor = select(Question.content_id).where(Question.id == before).scalar_subquery()
        query = query.where(Question.content_id < cursor)
    return list(session.execute(query.limit(limit)).scalars())


def waiting_for(
    session: Session,
    principals: frozenset[str],
    space_ids: Sequence[int],
    tags: Sequence[str],
    limit: int = 5,
) -> list[tuple[int, str, str]]:
    """``(question id, title, asker's name)`` of the unanswered questions in the reader's
    spaces or carrying a tag they follow (the home widget), newest first: one statement."""
    if not space_ids and not tags:
        return []
    scope = ScopeParameter.of(principals)
    lowered = sorted({t.lower() for t in tags})
    statement = _waiting_for(scope, set_form(space_ids), set_form(lowered))
    values = {**scope.values(principals), "spaces": space_ids, "tags": lowered, "limit": limit}
    return [tuple(row) for row in session.execute(statement, values)]


@lru_cache(maxsize=64)
def _waiting_for(scope: ScopeParameter, spaces: bool | None, tags: bool | None) -> Any:
    """:func:`waiting_for`'s statement, built once per form: building it cost more than
    running it, on every home page."""
    conditions = []
    if spaces is not None:
        in_spaces = set_parameter("spaces", integers=True)
        conditions.append(in_set(Question.space_id, in_spaces, integers=True, large=spaces))
    if tags is not None:
        # A probe of each question's own tags, not the list of every item with those tags
        # (the widget of someone following 200 tags: 4.6 ms at 1,000,000 activities on
        # SQLite, ~75 ms at 10,000,000; 16.5 ms at 1,000,000 on PostgreSQL before OFFSET 0).
        tagged = carries_tag(Question.content_id, set_parameter("tags"), large=tags)
        conditions.append(tagged)
    query = visible_questions(scope).where(Question.answer_count == 0, or_(*conditions))
    query = query.join(User, User.id == Question.author_id)
    columns = query.with_only_columns(Question.id, Question.title, User.display_name)
    return columns.limit(bindparam("limit", type_=Integer))


def index_answers(session: Session, question: Question) -> None:
    """Put the question's live answers into its search entry: their words find the question,
    for whoever may see it."""
    bodies = session.execute(
        select(Answer.body)
        .where(Answer.question_id == question.id, Answer.deleted_at.is_(None))
        .order_by(Answer.id)
    ).scalars()
    content = session.get(Content, question.content_id)
    set_search_text(session, content, "\n".join(bodies))
    refresh_expertise(session, content)  # who answered, and how well


def evidence(session: Session, items: Sequence[Content]) -> dict[int, list[Evidence]]:
    """What questions show about who knows their tags: each live answer's author
    (``qa.answer``), the accepted answer's (``qa.accepted``, unless the asker answered
    themself) and each vote for an answer by someone else (``qa.upvote``)."""
    ids = [item.id for item in items if item.type == TYPE]
    found: dict[int, list[Evidence]] = {}
    if not ids:
        return found
    rows = session.execute(
        select(
            Question.content_id,
            Question.author_id,
            Question.accepted_answer_id,
            Question.updated_at,
            Answer.id,
            Answer.author_id,
            Answer.created_at,
        )
        .join(Answer, Answer.question_id == Question.id)
        .where(Question.content_id.in_(ids), Answer.deleted_at.is_(None))
    )
    for content_id, asker, accepted, accepted_at, answer_id, author, at in rows:
        pieces = found.setdefault(content_id, [])
        pieces.append(Evidence(author, "qa.answer", at))
        if answer_id == accepted and author != asker:
            pieces.append(Evidence(author, "qa.accepted", accepted_at))
    votes = session.execute(
        select(Question.content_id, Answer.author_id, Vote.created_at)
        .join(Answer, Answer.question_id == Question.id)
        .join(Vote, Vote.answer_id == Answer.id)
        .where(
            Question.content_id.in_(ids),
            Answer.deleted_at.is_(None),
            Vote.user_id != Answer.author_id,
        )
    )
    for content_id, author, at in votes:
        found.setdefault(content_id, []).append(Evidence(author, "qa.upvote", at))
    return found
