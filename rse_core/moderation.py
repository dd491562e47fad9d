"""Moderation: employees report an item or a comment; moderators decide.

Who moderates what: a space's moderators (the ``core.space.moderate`` permission) the items
of their space; community managers (``rse_user.is_community_manager``, set by admins) every
item they may read. Private content stays private: a community manager who is not in a
secret space does not see its reports, its moderators do.

A decision is one of: **hide** (the item or comment disappears everywhere at once, as if
deleted, and can be restored), **restore** (what a moderator hid comes back), **dismiss**
(nothing to do), **warn** (the author is told, the item stays). Every decision closes the
open reports on its target, is logged with who, when and why, and tells the author.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, func, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from .content import Content, delete, restore, visible
from .db import Base, UTCDateTime, utcnow
from .i18n import N_
from .identity.models import User
from .notifications import notify
from .social import Comment, delete_comment
from .validation import Conflict, NotFound, ValidationError, clean_text

REASONS = {
    "spam": N_("Spam or advertising"),
    "harassment": N_("Harassment or insults"),
    "confidential": N_("Confidential information"),
    "off-topic": N_("Off topic for this place"),
    "other": N_("Something else"),
}
ACTIONS = ("hide", "restore", "dismiss", "warn")
OPEN = "open"
MAX_NOTE = 500


class Report(Base):
    """An employee's report of an item (or of one of its comments)."""

    __tablename__ = "rse_report"
    __table_args__ = (
        Index("ix_rse_report_open", "status", "id"),
        Index("ix_rse_report_content", "content_id", "comment_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("rse_content.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("rse_user.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(500), default="")
    #: "open", then the decision that closed it ("hide", "dismiss", ...).
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Decision(Base):
    """A moderator's decision, kept for good: who did what to which item, when and why."""

    __tablename__ = "rse_moderation"
    __table_args__ = (Index("ix_rse_moderation_content", "content_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("rse_content.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor_id: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(500))
    reports: Mapped[int] = mapped_column(Integer, default=0)  # how many it closed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def file_report(
    session: Session,
    reporter: User,
    content: Content,
    comment: Comment | None,
    reason: object,
    note: object,
) -> Report:
    """Report an item the reporter can see (the caller checked), or one of its comments.
    A second report of the same thing by the same person while the first is open updates
    it."""
    if reason not in REASONS:
        raise ValidationError({"reason": N_("Choose a reason.")})
    text = clean_text(note, "note", max_length=MAX_NOTE)
    if (comment.author_id if comment is not None else content.author_id) == reporter.id:
        raise Conflict({"reason": N_("You cannot report what you wrote.")})
    existing = session.scalar(
        select(Report).where(
            Report.reporter_id == reporter.id,
            Report.content_id == content.id,
            Report.comment_id.is_(None) if comment is None else Report.comment_id == comment.id,
            Report.status == OPEN,
        )
    )
    if existing is not None:
        existing.reason, existing.note = str(reason), text
        return existing
    row = Report(
        content_id=content.id,
        comment_id=comment.id if comment else None,
        reporter_id=reporter.id,
        reason=str(reason),
        note=text,
        status=OPEN,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class Case:
    """What a moderator decides on: an item or a comment, its open reports, its author."""

    content: Content
    comment: Comment | None
    author: User
    reports: list[tuple[Report, User]]
    hidden: bool

    @property
    def first_report_id(self) -> int:
        """The oldest open report: the case's address (0 when none is open)."""
        return min((r.id for r, _u in self.reports), default=0)


def moderated_filter(principals: frozenset[str], space_ids: Collection[int], community: bool):  # type: ignore[no-untyped-def]
    """The SQL condition on ``Content`` of the items a moderator decides on: those of the
    spaces they moderate, and as a community manager those they may read."""
    conditions = []
    if space_ids:
        conditions.append(Content.space_id.in_(list(space_ids)))
    if community:
        conditions.append(visible(Content.audience, principals))
    return or_(*conditions) if conditions else Content.id.is_(None)


def queue(
    session: Session,
    principals: frozenset[str],
    space_ids: Collection[int],
    community: bool,
    limit: int = 50,
) -> list[Case]:
    """The open reports a moderator decides on, grouped by what they report, oldest first."""
    rows = session.execute(
        select(Report, User)
        .join(User, User.id == Report.reporter_id)
        .join(Content, Content.id == Report.content_id)
        .where(Report.status == OPEN, moderated_filter(principals, space_ids, community))
        .order_by(Report.id)
        .limit(limit * 10)
    ).all()
    grouped: dict[tuple[int, int | None], list[tuple[Report, User]]] = {}
    for report, reporter in rows:
        grouped.setdefault((report.content_id, report.comment_id), []).append((report, reporter))
    cases = []
    for (content_id, comment_id), reports in list(grouped.items())[:limit]:
        cases.append(_case(session, content_id, comment_id, reports))
    return cases


def _case(
    session: Session,
    content_id: int,
    comment_id: int | None,
    reports: list[tuple[Report, User]],
) -> Case:
    content = session.get(Content, content_id)
    comment = session.get(Comment, comment_id) if comment_id else None
    author_id = comment.author_id if comment else content.author_id  # type: ignore[union-attr]
    hidden = (comment.deleted_at if comment else content.deleted_at) is not None  # type: ignore[union-attr]
    return Case(content, comment, session.get(User, author_id), reports, hidden)  # type: ignore[arg-type]


def _moderates(
    session: Session,
    content_id: int,
    principals: frozenset[str],
    space_ids: Collection[int],
    community: bool,
) -> bool:
    found = select(Content.id).where(
        Content.id == content_id, moderated_filter(principals, space_ids, community)
    )
    return session.scalar(found) is not None


def case_of(
    session: Session,
    report_id: int,
    principals: frozenset[str],
    space_ids: Collection[int],
    community: bool,
) -> Case:
    """The case a report belongs to (with every open report on the same thing), if the
    moderator decides on it; NotFound otherwise."""
    report = session.get(Report, report_id)
    if report is None or not _moderates(
        session, report.content_id, principals, space_ids, community
    ):
        raise NotFound("No such report.")
    reports = session.execute(
        select(Report, User)
        .join(User, User.id == Report.reporter_id)
        .where(
            Report.content_id == report.content_id,
            Report.comment_id.is_(None)
            if report.comment_id is None
            else Report.comment_id == report.comment_id,
            Report.status == OPEN,
        )
        .order_by(Report.id)
    ).all()
    return _case(
        session,
        report.content_id,
        report.comment_id,
        list(reports) or [(report, session.get(User, report.reporter_id))],
    )  # type: ignore[list-item]


def case_of_decision(
    session: Session,
    decision_id: int,
    principals: frozenset[str],
    space_ids: Collection[int],
    community: bool,
) -> Case:
    """The item or comment a past decision was about (to restore what it hid), if the
    moderator decides on it; NotFound otherwise."""
    decision = session.get(Decision, decision_id)
    if decision is None or not _moderates(
        session, decision.content_id, principals, space_ids, community
    ):
        raise NotFound("No such decision.")
    return _case(session, decision.content_id, decision.comment_id, [])


NOTES = {
    "hide": N_("A moderator hid what you wrote:"),
    "restore": N_("A moderator restored what you wrote:"),
    "warn": N_("A moderator asks you to mind the guidelines:"),
}


def decide(session: Session, actor: User, case: Case, action: object, reason: object) -> Decision:
    """Act on a case: hide, restore, dismiss or warn, with a reason (required, kept in the
    log and sent to the author, except for a dismissal); closes its open reports."""
    if action not in ACTIONS:
        raise ValidationError({"action": N_("Choose hide, restore, dismiss or warn.")})
    why = clean_text(reason, "reason", max_length=MAX_NOTE, required=N_("Say why."))
    target_hidden = case.hidden
    if action == "hide" and target_hidden:
        raise Conflict({"action": N_("This is hidden already.")})
    if action == "restore" and not target_hidden:
        raise Conflict({"action": N_("This is not hidden.")})
    if action == "hide":
        if case.comment is not None:
            delete_comment(session, case.comment)
        else:
            delete(session, case.content)
    elif action == "restore":
        if case.comment is not None:
            restore_comment(session, case.comment)
        else:
            restore(session, case.content)
    now = utcnow()
    closed = session.execute(
        update(Report)
        .where(
            Report.content_id == case.content.id,
            Report.comment_id.is_(None)
            if case.comment is None
            else Report.comment_id == case.comment.id,
            Report.status == OPEN,
        )
        .values(status=str(action), decided_at=now)
    ).rowcount
    decision = Decision(
        content_id=case.content.id,
        comment_id=case.comment.id if case.comment else None,
        actor_id=actor.id,
        author_id=case.author.id,
        action=str(action),
        reason=why,
        reports=closed or 0,
        created_at=now,
    )
    session.add(decision)
    if action in NOTES:
        title = case.comment.body if case.comment else case.content.title or case.content.summary
        # Three lines: what happened (translated when shown), to what, and why.
        note = "\n".join([NOTES[str(action)], " ".join(title.split())[:80], " ".join(why.split())])
        # Told without the item: once hidden, it is one they cannot open any more.
        notify(session, case.author, "moderation", actor=actor, note=note)
    session.flush()
    return decision


def restore_comment(session: Session, comment: Comment) -> None:
    """Bring back a comment a moderator hid."""
    from .content import SearchOutbox

    comment.deleted_at = None
    session.add(SearchOutbox(content_id=comment.content_id, op="index"))


def log(session: Session, content_ids: Collection[int] | None = None, limit: int = 100):  # type: ignore[no-untyped-def]
    """The latest decisions (on these items), newest first, with the moderators' names."""
    query = (
        select(Decision, User)
        .join(User, User.id == Decision.actor_id)
        .order_by(Decision.id.desc())
        .limit(limit)
    )
    if content_ids is not None:
        query = query.where(Decision.content_id.in_(list(content_ids)))
    return session.execute(query).all()


def open_count(
    session: Session, principals: frozenset[str], space_ids: Collection[int], community: bool
) -> int:
    """How many open reports a moderator has to look at."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Report)
            .join(Content, Content.id == Report.content_id)
            .where(Report.status == OPEN, moderated_filter(principals, space_ids, community))
        )
        or 0
    )
