"""Search documents built from the database: one per content item (title, text, comments)
and one per active person (name, job, department, skills)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..content import Content
from ..enablement import EVERYONE
from ..hooktypes import Document
from ..identity.models import Space, User, UserSkill
from ..permissions import CORE_OWNER
from ..social import Comment

if TYPE_CHECKING:
    from ..plugins import PluginRegistry


def plugin_of_kind(kind: str) -> str:
    """The plugin a document belongs to: its kind's prefix ("feed" for "feed.post"); bare
    kinds ("person") are the core's. Search shows a reader only the active plugins' ones."""
    return kind.split(".", 1)[0] if "." in kind else CORE_OWNER


BATCH = 500  # rows read and documents made at a time
T = TypeVar("T")


def _in_batches(
    rows: Iterable[T], make: Callable[[list[T]], Iterator[Document]]
) -> Iterator[Document]:
    """``make``'s documents for ``rows`` taken ``BATCH`` at a time (its queries per batch)."""
    batch: list[T] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield from make(batch)
            batch = []
    if batch:
        yield from make(batch)


def content_documents(session: Session, ids: list[int] | None = None) -> Iterator[Document]:
    """Documents for live (not deleted) content items, all of them or ``ids``; three queries
    per batch of 500, none per item."""
    query = select(Content).where(Content.deleted_at.is_(None)).order_by(Content.id)
    if ids is not None:
        query = query.where(Content.id.in_(ids))
    rows = session.execute(query.execution_options(yield_per=BATCH)).scalars()
    yield from _in_batches(rows, lambda batch: _documents(session, batch))


def _documents(session: Session, batch: list[Content]) -> Iterator[Document]:
    ids = [c.id for c in batch]
    comments: dict[int, list[str]] = {}
    for content_id, body in session.execute(
        select(Comment.content_id, Comment.body)
        .where(Comment.content_id.in_(ids), Comment.deleted_at.is_(None))
        .order_by(Comment.id)
    ):
        comments.setdefault(content_id, []).append(body)
    authors = dict(
        session.execute(
            select(User.id, User.display_name).where(User.id.in_({c.author_id for c in batch}))
        ).all()
    )
    space_ids = {c.space_id for c in batch if c.space_id}
    slugs = (
        dict(session.execute(select(Space.id, Space.slug).where(Space.id.in_(space_ids))).all())
        if space_ids
        else {}
    )
    for c in batch:
        yield Document(
            key=f"c:{c.id}",
            kind=c.type,
            title=c.title or headline(c.summary),
            text="\n".join(
                [c.summary, *([c.search_text] if c.search_text else []), *comments.get(c.id, [])]
            ),
            audience=c.audience,
            url=c.url,
            space=slugs.get(c.space_id, "") if c.space_id else "",
            author=authors.get(c.author_id, ""),
            created=c.created_at,
        )


def headline(text: str, length: int = 80) -> str:
    """A title for an untitled item (a short post): the start of its first line."""
    first = " ".join((text or "").strip().splitlines()[:1]).strip()
    return first if len(first) <= length else first[: length - 1].rsplit(" ", 1)[0] + "…"


def people_documents(session: Session, ids: list[int] | None = None) -> Iterator[Document]:
    """Documents for active people: found by name, job, department, location and skills; two
    queries per batch of 500 (one list of every id overflowed PostgreSQL's 65,535 parameters
    at 100,000 employees, and held them all in memory)."""
    query = select(User).where(User.is_active.is_(True)).order_by(User.id)
    if ids is not None:
        query = query.where(User.id.in_(ids))
    rows = session.execute(query.execution_options(yield_per=BATCH)).scalars()
    yield from _in_batches(rows, lambda batch: _people(session, batch))


def _people(session: Session, users: list[User]) -> Iterator[Document]:
    skills: dict[int, list[str]] = {}
    for user_id, skill in session.execute(
        select(UserSkill.user_id, UserSkill.skill).where(
            UserSkill.user_id.in_([u.id for u in users])
        )
    ):
        skills.setdefault(user_id, []).append(skill)
    for u in users:
        yield Document(
            key=f"u:{u.id}",
            kind="person",
            title=u.display_name,
            text=" ".join(
                [u.username, u.job_title, u.department, u.location, *skills.get(u.id, [])]
            ),
            audience=EVERYONE,
            url=f"/people/{u.username}",
            space="",
            author=u.display_name,
            created=u.created_at,
        )


def space_documents(session: Session, ids: list[int] | None = None) -> Iterator[Document]:
    """Documents for spaces themselves, found by name and description: public and private
    spaces are listed to every employee, a secret one only to its members."""
    query = select(Space).order_by(Space.id)
    if ids is not None:
        query = query.where(Space.id.in_(ids))
    for s in session.execute(query).scalars():
        yield Document(
            key=f"s:{s.id}",
            kind="space",
            title=s.name,
            text=f"{s.slug} {s.description}",
            audience=s.principal if s.visibility == "secret" else EVERYONE,
            url=f"/spaces/{s.slug}",
            space="",  # a space is not "in" a space: it stays out of the space facet
            author="",
            created=s.created_at,
        )


def all_documents(session: Session, plugins: PluginRegistry) -> Iterator[Document]:
    """Everything the index should hold, from the database: what every plugin's
    ``rse_index_documents`` yields (the core's own: content items and people)."""
    for documents in plugins.hook.rse_index_documents(session=session):
        yield from documents


def core_documents(session: Session) -> Iterator[Document]:
    """The content registry's live items (with their comments), the active people and the
    spaces."""
    yield from content_documents(session)
    yield from people_documents(session)
    yield from space_documents(session)


def count_documents(session: Session) -> int:
    """How many documents the index should hold."""
    from sqlalchemy import func

    contents = session.execute(
        select(func.count()).select_from(Content).where(Content.deleted_at.is_(None))
    ).scalar_one()
    people = session.execute(
        select(func.count()).select_from(User).where(User.is_active.is_(True))
    ).scalar_one()
    spaces = session.execute(select(func.count()).select_from(Space)).scalar_one()
    return contents + people + spaces
