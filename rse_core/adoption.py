"""Adoption figures for the people who run the rollout: who is active, who contributes, where,
with which plugin, and what each rollout phase changed.

Counts only. Two sources: the activity log (``rse_activity``, reactions, items) and one row
per person and day they used the intranet (``rse_user_day``: visited, how many
contributions), written at their first request of the day. The job ``core.adoption`` turns
them into small weekly and monthly rollups, which the dashboard reads, so a page costs the
same at 10,000,000 activities as at 1,000: by plugin and department, by space, active people
per week and month, the top contributors of the last 4, 13 and 52 weeks, and each rollout
phase's before and after. Departments of fewer than :data:`MIN_GROUP` people are grouped, so
no figure is about one identifiable person's reading. Days and weeks are UTC; weeks start on
Monday.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Index,
    Integer,
    String,
    Text,
    delete,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from .content import Activity, Content
from .db import Base, UTCDateTime, utcnow
from .enablement import EVERYONE, PluginLogRow
from .hooktypes import Job, JobContext
from .identity.models import Membership, User
from .jobs.queue import enqueue
from .meta import get_meta, set_meta
from .social import Comment, Reaction

ADOPTION_JOB = "core.adoption"
MIN_GROUP = 5  # departments smaller than this are shown together
OTHER = "~other"  # the department key of the small departments, together
ALL = "*"  # every department
WINDOWS = (4, 13, 52)  # the dashboard's periods, in weeks
TOP = 10
PHASE_DAYS = 28  # a rollout phase's before and after windows
RECOMPUTE_WEEKS = 5  # an item may get its first answer weeks later: recount the last ones
SUMMARY_KEY = "adoption.summary"
RUN_AT = time(2, 0)  # the nightly run, UTC


class UserDay(Base):
    """One person's use of the intranet on one day (UTC): visited, and how many
    contributions (items, edits, comments, reactions)."""

    __tablename__ = "rse_user_day"
    __table_args__ = (Index("ix_rse_user_day_user", "user_id", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visited: Mapped[bool] = mapped_column(Boolean, default=False)
    contributions: Mapped[int] = mapped_column(Integer, default=0)


class AdoptionWeek(Base):
    """A week's contributions, new items and items still unanswered, by plugin and the
    authors' department."""

    __tablename__ = "rse_adoption_week"

    week: Mapped[date] = mapped_column(Date, primary_key=True)
    plugin: Mapped[str] = mapped_column(String(40), primary_key=True)
    department: Mapped[str] = mapped_column(String(120), primary_key=True)
    contributions: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)
    unanswered: Mapped[int] = mapped_column(Integer, default=0)


class AdoptionSpaceWeek(Base):
    """A week's contributions and new items in one space."""

    __tablename__ = "rse_adoption_space_week"

    week: Mapped[date] = mapped_column(Date, primary_key=True)
    space_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contributions: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)


class AdoptionActive(Base):
    """How many people used the intranet (``active``) and contributed, in a week or a month,
    in a department (``*``: everyone)."""

    __tablename__ = "rse_adoption_active"

    kind: Mapped[str] = mapped_column(String(5), primary_key=True)  # "week" or "month"
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    department: Mapped[str] = mapped_column(String(120), primary_key=True)
    active: Mapped[int] = mapped_column(Integer, default=0)
    contributors: Mapped[int] = mapped_column(Integer, default=0)


class AdoptionTop(Base):
    """The top contributors of the last ``weeks`` weeks, in a department (``*``: all)."""

    __tablename__ = "rse_adoption_top"

    weeks: Mapped[int] = mapped_column(Integer, primary_key=True)
    department: Mapped[str] = mapped_column(String(120), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer)
    contributions: Mapped[int] = mapped_column(Integer)


class AdoptionPhase(Base):
    """The before and after of one rollout phase (a plugin enabled for more people): a JSON
    object of counts, ``complete`` once its after window has passed."""

    __tablename__ = "rse_adoption_phase"

    log_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    figures: Mapped[str] = mapped_column(Text)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# -- visits ------------------------------------------------------------------------------------


class Visits:
    """This worker's memory of who was already counted today, so that a person's first
    request of the day writes one row and the others nothing."""

    def __init__(self) -> None:
        self._day: date | None = None
        self._seen: set[int] = set()
        self._lock = threading.Lock()

    def first_today(self, user_id: int, today: date) -> bool:
        """True the first time ``user_id`` is seen on ``today`` by this worker."""
        with self._lock:
            if today != self._day:
                self._day, self._seen = today, set()
            if user_id in self._seen:
                return False
            self._seen.add(user_id)
            return True

    def forget(self, user_id: int) -> None:
        """Count ``user_id`` again at their next request (their visit could not be written)."""
        with self._lock:
            self._seen.discard(user_id)


def _insert(session: Session):  # type: ignore[no-untyped-def]
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def record_visit(session: Session, user_id: int, day: date) -> None:
    """Count ``user_id`` as having used the intranet on ``day`` (once)."""
    statement = _insert(session)(UserDay).values(
        day=day, user_id=user_id, visited=True, contributions=0
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[UserDay.day, UserDay.user_id], set_={"visited": True}
        )
    )


# -- calendar ----------------------------------------------------------------------------------


def monday(day: date) -> date:
    """The Monday starting ``day``'s week."""
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def _at(day: date) -> datetime:
    """Midnight UTC starting ``day``."""
    return datetime.combine(day, time(), tzinfo=UTC)


def _day(value: Any) -> date:
    """A day as the database returns ``date(...)``: text on SQLite, a date on PostgreSQL."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# -- departments -------------------------------------------------------------------------------


def department_keys(session: Session) -> dict[str, str]:
    """Each department's key in the figures: its name, or :data:`OTHER` for departments of
    fewer than :data:`MIN_GROUP` active people (and for people with none)."""
    sizes = session.execute(
        select(User.department, func.count())
        .where(User.is_active.is_(True))
        .group_by(User.department)
    ).all()
    return {name: (name if name and count >= MIN_GROUP else OTHER) for name, count in sizes}


def shown_departments(session: Session) -> list[str]:
    """The departments a dashboard may filter by (those of :data:`MIN_GROUP` or more)."""
    return sorted(k for k in set(department_keys(session).values()) if k != OTHER)


# -- the rollup --------------------------------------------------------------------------------


def _contributions(session: Session, start: datetime, end: datetime) -> Iterable[Any]:
    """``(day, user_id, plugin, space_id, count)`` of the activities and reactions between
    two times, aggregated by the database."""
    day = func.date(Activity.created_at)
    yield from session.execute(
        select(day, Activity.actor_id, Activity.plugin, Activity.space_id, func.count())
        .where(Activity.created_at >= start, Activity.created_at < end)
        .group_by(day, Activity.actor_id, Activity.plugin, Activity.space_id)
    )
    rday = func.date(Reaction.created_at)
    yield from session.execute(
        select(rday, Reaction.user_id, Content.plugin, Content.space_id, func.count())
        .join(Content, Content.id == Reaction.content_id)
        .where(Reaction.created_at >= start, Reaction.created_at < end)
        .group_by(rday, Reaction.user_id, Content.plugin, Content.space_id)
    )


def _roll_week(session: Session, week: date, key_of: dict[int, str]) -> None:
    """(Re)compute one week's rows from the activity log; ``key_of`` maps a person to their
    department's key."""
    start, end = _at(week), _at(week + timedelta(days=7))

    per_day: dict[tuple[date, int], int] = defaultdict(int)
    per_plugin: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    per_space: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for day, user_id, plugin, space_id, count in _contributions(session, start, end):
        per_day[(_day(day), user_id)] += count
        per_plugin[(plugin, key_of.get(user_id, OTHER))][0] += count
        if space_id is not None:
            per_space[space_id][0] += count
    answered = (
        exists()
        .where(Comment.content_id == Content.id, Comment.deleted_at.is_(None))
        .correlate(Content)
    )
    reacted = exists().where(Reaction.content_id == Content.id).correlate(Content)
    items = session.execute(
        select(
            Content.plugin,
            Content.author_id,
            Content.space_id,
            func.count(),
            func.sum((~answered & ~reacted).cast(Integer)),
        )
        .where(
            Content.created_at >= start,
            Content.created_at < end,
            Content.deleted_at.is_(None),
            Content.parent_id.is_(None),
        )
        .group_by(Content.plugin, Content.author_id, Content.space_id)
    )
    for plugin, author_id, space_id, count, unanswered in items:
        row = per_plugin[(plugin, key_of.get(author_id, OTHER))]
        row[1] += count
        row[2] += int(unanswered or 0)
        if space_id is not None:
            per_space[space_id][1] += count

    days = [week + timedelta(days=n) for n in range(7)]
    session.execute(update(UserDay).where(UserDay.day.in_(days)).values(contributions=0))
    insert = _insert(session)
    rows = [
        {"day": day, "user_id": user_id, "visited": False, "contributions": count}
        for (day, user_id), count in per_day.items()
    ]
    if rows:
        statement = insert(UserDay)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[UserDay.day, UserDay.user_id],
                set_={"contributions": statement.excluded.contributions},
            ),
            rows,
        )
    session.execute(delete(AdoptionWeek).where(AdoptionWeek.week == week))
    session.execute(delete(AdoptionSpaceWeek).where(AdoptionSpaceWeek.week == week))
    if per_plugin:
        session.execute(
            insert(AdoptionWeek),
            [
                {
                    "week": week,
                    "plugin": plugin,
                    "department": department,
                    "contributions": c,
                    "items": i,
                    "unanswered": u,
                }
                for (plugin, department), (c, i, u) in per_plugin.items()
            ],
        )
    if per_space:
        session.execute(
            insert(AdoptionSpaceWeek),
            [
                {"week": week, "space_id": space_id, "contributions": c, "items": i}
                for space_id, (c, i) in per_space.items()
            ],
        )


def _roll_active(session: Session, kind: str, start: date, end: date, keys: dict[str, str]):  # type: ignore[no-untyped-def]
    """(Re)compute who was active and who contributed between two days, per department."""
    rows = session.execute(
        select(
            User.department,
            func.count(func.distinct(UserDay.user_id)),
            func.count(func.distinct(UserDay.user_id)).filter(UserDay.contributions > 0),
        )
        .join(User, User.id == UserDay.user_id)
        .where(UserDay.day >= start, UserDay.day < end)
        .group_by(User.department)
    ).all()
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for department, active, contributors in rows:
        for key in (keys.get(department, OTHER), ALL):
            totals[key][0] += active
            totals[key][1] += contributors
    session.execute(
        delete(AdoptionActive).where(AdoptionActive.kind == kind, AdoptionActive.start == start)
    )
    totals.setdefault(ALL, [0, 0])
    session.add_all(
        AdoptionActive(kind=kind, start=start, department=key, active=a, contributors=c)
        for key, (a, c) in totals.items()
    )


def _roll_top(session: Session, this_week: date, key_of: dict[int, str]) -> None:
    """The top contributors of each window, for everyone and per department: one aggregate
    per window (a row per contributor), ranked here per department."""
    session.execute(delete(AdoptionTop))
    for weeks in WINDOWS:
        start = this_week - timedelta(weeks=weeks - 1)
        total = func.sum(UserDay.contributions)
        totals = session.execute(
            select(UserDay.user_id, total)
            .where(UserDay.day >= start, UserDay.contributions > 0)
            .group_by(UserDay.user_id)
        ).all()
        ranked: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for user_id, count in sorted(totals, key=lambda row: (-row[1], row[0])):
            for department in (ALL, key_of.get(user_id, OTHER)):
                if len(ranked[department]) < TOP:
                    ranked[department].append((user_id, int(count)))
        session.add_all(
            AdoptionTop(
                weeks=weeks,
                department=department,
                rank=rank,
                user_id=user_id,
                contributions=count,
            )
            for department, rows in ranked.items()
            for rank, (user_id, count) in enumerate(rows, start=1)
        )


def _members(audience: Iterable[str]):  # type: ignore[no-untyped-def]
    """A subquery of the ids of the active people an audience (principals) reaches."""
    audience = list(audience)
    if EVERYONE in audience:
        return select(User.id).where(User.is_active.is_(True))
    spaces = [int(p.split(":", 1)[1]) for p in audience if p.startswith("space:")]
    return (
        select(Membership.user_id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.space_id.in_(spaces), User.is_active.is_(True))
    )


def _window(session: Session, people, start: date, end: date, plugin: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """How many of ``people`` were active, their contributions, and their activities in
    ``plugin``, between two days."""
    active, contributions = session.execute(
        select(
            func.count(func.distinct(UserDay.user_id)),
            func.coalesce(func.sum(UserDay.contributions), 0),
        ).where(UserDay.day >= start, UserDay.day < end, UserDay.user_id.in_(people))
    ).one()
    in_plugin = session.scalar(
        select(func.count()).where(
            Activity.created_at >= _at(start),
            Activity.created_at < _at(end),
            Activity.plugin == plugin,
            Activity.actor_id.in_(people),
        )
    )
    return {"active": active, "contributions": int(contributions), "plugin": in_plugin or 0}


def _roll_phase(session: Session, log: PluginLogRow, today: date) -> None:
    """A rollout phase's before and after, for the people it reached and everyone else."""
    audience, previous = json.loads(log.audience or "[]"), json.loads(log.previous or "[]")
    everyone = _members([EVERYONE])
    reached = _members(audience).except_(_members(previous)) if previous else _members(audience)
    rest = everyone.except_(_members(audience))
    changed = log.at.date()
    before = (changed - timedelta(days=PHASE_DAYS), changed)
    after = (changed, min(changed + timedelta(days=PHASE_DAYS), today + timedelta(days=1)))
    figures: dict[str, Any] = {"days_after": (after[1] - after[0]).days}
    for name, people in (("reached", reached), ("rest", rest)):
        ids = select(people.subquery().c[0])
        figures[name] = {
            "people": session.scalar(select(func.count()).select_from(people.subquery())) or 0,
            "before": _window(session, ids, *before, log.name),
            "after": _window(session, ids, *after, log.name),
        }
    complete = changed + timedelta(days=PHASE_DAYS) <= today
    row = session.get(AdoptionPhase, log.id)
    if row is None:
        row = AdoptionPhase(log_id=log.id)
        session.add(row)
    row.figures, row.complete, row.computed_at = json.dumps(figures), complete, utcnow()


def rollup(rt: Any, now: datetime | None = None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Bring the rollups up to ``now``: every week since the first activity the first time,
    then the last :data:`RECOMPUTE_WEEKS`; the months they touch; the top contributors; the
    rollout phases not yet complete. One transaction per week. Returns a summary."""
    now = now or utcnow()
    today = now.date()
    this_week = monday(today)
    with rt.db.read() as session:
        keys = department_keys(session)
        # Each person's department key, read once (the aggregates then need no join).
        key_of = {
            user_id: keys.get(department, OTHER)
            for user_id, department in session.execute(select(User.id, User.department))
        }
        done_before = session.scalar(select(func.max(AdoptionWeek.week)))
        first = session.scalar(select(func.min(Activity.created_at)))
    if first is None:
        start = this_week
    elif done_before is None:
        start = monday(first.date())
    else:
        start = min(monday(_day(done_before)), this_week) - timedelta(weeks=RECOMPUTE_WEEKS - 1)
    weeks = []
    week = start
    while week <= this_week:
        weeks.append(week)
        with rt.db.write() as session:
            _roll_week(session, week, key_of)
            _roll_active(session, "week", week, week + timedelta(days=7), keys)
        week += timedelta(days=7)
    months = sorted(
        {month_start(w) for w in weeks} | {month_start(w + timedelta(days=6)) for w in weeks}
    )
    for month in months:
        following = (month + timedelta(days=32)).replace(day=1)
        with rt.db.write() as session:
            _roll_active(session, "month", month, following, keys)
    with rt.db.write() as session:
        _roll_top(session, this_week, key_of)
        complete = select(AdoptionPhase.log_id).where(AdoptionPhase.complete.is_(True))
        for log in session.scalars(
            select(PluginLogRow).where(
                PluginLogRow.action == "enable", PluginLogRow.id.not_in(complete)
            )
        ):
            _roll_phase(session, log, today)
        employees = session.scalar(
            select(func.count()).select_from(User).where(User.is_active.is_(True))
        )
        ever = session.scalar(
            select(func.count(func.distinct(UserDay.user_id))).where(UserDay.contributions > 0)
        )
        summary = {
            "computed_at": now.isoformat(timespec="seconds"),
            "employees": employees or 0,
            "contributors_ever": ever or 0,
            "weeks": len(weeks),
        }
        set_meta(session, SUMMARY_KEY, json.dumps(summary))
        schedule(session, now)
    return summary


def summary(session: Session) -> dict[str, Any] | None:
    """The last rollup's summary (None: never computed)."""
    raw = get_meta(session, SUMMARY_KEY)
    return json.loads(raw) if raw else None


def schedule(session: Session, now: datetime, *, at: datetime | None = None) -> None:
    """Queue the next rollup: at ``at``, else the next night (one queued job at most)."""
    if at is None:
        tomorrow = now.date() + timedelta(days=1)
        at = datetime.combine(tomorrow, RUN_AT, tzinfo=now.tzinfo)
    enqueue(session, ADOPTION_JOB, {}, run_at=at, key=ADOPTION_JOB)


def _adoption_job(ctx: JobContext) -> None:
    rollup(ctx.runtime, ctx.now)


#: The nightly rollup (declared by the core's ``rse_jobs``): it queues its next run itself,
#: first queued when the dashboard is opened or the demo loaded (``schedule``).
ADOPTION = Job(ADOPTION_JOB, _adoption_job, lease=timedelta(minutes=10))


@dataclass(frozen=True)
class Period:
    """The weeks a dashboard shows: ``weeks`` weeks ending with the current one."""

    weeks: int
    today: date

    @property
    def first(self) -> date:
        """The Monday of the first week shown."""
        return monday(self.today) - timedelta(weeks=self.weeks - 1)

    def week_starts(self) -> list[date]:
        """Every week's Monday, oldest first."""
        return [self.first + timedelta(weeks=n) for n in range(self.weeks)]
