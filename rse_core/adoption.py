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
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from .content import Activity, Content
from .db import Base, UTCDateTime, dialect_insert, utcnow
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
    """A week's contributions, new items and items still unanswered in one space."""

    __tablename__ = "rse_adoption_space_week"
    __table_args__ = (Index("ix_rse_adoption_space_week_space", "space_id", "week"),)

    week: Mapped[date] = mapped_column(Date, primary_key=True)
    space_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contributions: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)
    unanswered: Mapped[int] = mapped_column(Integer, default=0)


class AdoptionSpaceTotal(Base):
    """A space's contributions and new items over the last ``weeks`` weeks (the dashboard's
    busiest and silent spaces, without summing weeks on each view)."""

    __tablename__ = "rse_adoption_space_total"
    __table_args__ = (Index("ix_rse_adoption_space_total_rank", "weeks", "contributions"),)

    weeks: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contributions: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)


class AdoptionSpacePlugin(Base):
    """A week's contributions in one space with one plugin (a space's own chart)."""

    __tablename__ = "rse_adoption_space_plugin"
    __table_args__ = (Index("ix_rse_adoption_space_plugin_space", "space_id", "week"),)

    week: Mapped[date] = mapped_column(Date, primary_key=True)
    space_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plugin: Mapped[str] = mapped_column(String(40), primary_key=True)
    contributions: Mapped[int] = mapped_column(Integer, default=0)


class AdoptionSpaceActive(Base):
    """How many of a space's members used the intranet, and contributed, in a week."""

    __tablename__ = "rse_adoption_space_active"
    __table_args__ = (Index("ix_rse_adoption_space_active_space", "space_id", "week"),)

    week: Mapped[date] = mapped_column(Date, primary_key=True)
    space_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    active: Mapped[int] = mapped_column(Integer, default=0)
    contributors: Mapped[int] = mapped_column(Integer, default=0)


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


def record_visit(session: Session, user_id: int, day: date) -> None:
    """Count ``user_id`` as having used the intranet on ``day`` (once)."""
    statement = dialect_insert(session)(UserDay).values(
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


def shown_departments(keys: dict[str, str]) -> list[str]:
    """The departments a dashboard may filter by (those of :data:`MIN_GROUP` or more), from
    :func:`department_keys`."""
    return sorted(k for k in set(keys.values()) if k != OTHER)


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
    per_space: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for day, user_id, plugin, space_id, count in _contributions(session, start, end):
        per_day[(_day(day), user_id)] += count
        per_plugin[(plugin, key_of.get(user_id, OTHER))][0] += count
        if space_id is not None:
            per_space[(space_id, plugin)][0] += count
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
            per_space[(space_id, plugin)][1] += count
            per_space[(space_id, plugin)][2] += int(unanswered or 0)

    days = [week + timedelta(days=n) for n in range(7)]
    session.execute(update(UserDay).where(UserDay.day.in_(days)).values(contributions=0))
    insert = dialect_insert(session)
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
    session.execute(delete(AdoptionSpacePlugin).where(AdoptionSpacePlugin.week == week))
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
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (space_id, _plugin), counts in per_space.items():
        for n, value in enumerate(counts):
            totals[space_id][n] += value
    if totals:
        session.execute(
            insert(AdoptionSpaceWeek),
            [
                {
                    "week": week,
                    "space_id": space_id,
                    "contributions": c,
                    "items": i,
                    "unanswered": u,
                }
                for space_id, (c, i, u) in totals.items()
            ],
        )
    by_plugin = [
        {"week": week, "space_id": space_id, "plugin": plugin, "contributions": c}
        for (space_id, plugin), (c, _i, _u) in per_space.items()
        if c
    ]
    if by_plugin:
        session.execute(insert(AdoptionSpacePlugin), by_plugin)


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


def _roll_space_active(session: Session, week: date) -> None:
    """(Re)compute, for every space, how many members were active and contributed in a week:
    the week's people first (one row each), then joined to their memberships and counted, so
    no distinct count runs over the join."""
    session.execute(delete(AdoptionSpaceActive).where(AdoptionSpaceActive.week == week))
    people = (
        select(
            UserDay.user_id.label("user_id"),
            func.max(case((UserDay.contributions > 0, 1), else_=0)).label("contributed"),
        )
        .where(UserDay.day >= week, UserDay.day < week + timedelta(days=7))
        .group_by(UserDay.user_id)
        .subquery()
    )
    rows = session.execute(
        select(Membership.space_id, func.count(), func.sum(people.c.contributed))
        .join(people, people.c.user_id == Membership.user_id)
        .group_by(Membership.space_id)
    ).all()
    if rows:
        session.execute(
            dialect_insert(session)(AdoptionSpaceActive),
            [
                {"week": week, "space_id": space_id, "active": a, "contributors": int(c or 0)}
                for space_id, a, c in rows
            ],
        )


def _roll_space_totals(session: Session, this_week: date) -> None:
    """Each space's totals over each window, summed once here from the weekly rows."""
    session.execute(delete(AdoptionSpaceTotal))
    for weeks in WINDOWS:
        start = this_week - timedelta(weeks=weeks - 1)
        summed = (
            select(
                literal(weeks),
                AdoptionSpaceWeek.space_id,
                func.sum(AdoptionSpaceWeek.contributions),
                func.sum(AdoptionSpaceWeek.items),
            )
            .where(AdoptionSpaceWeek.week >= start)
            .group_by(AdoptionSpaceWeek.space_id)
        )
        session.execute(
            insert(AdoptionSpaceTotal).from_select(
                ["weeks", "space_id", "contributions", "items"], summed
            )
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
    """A query of the ids of the active people in the spaces of an audience (principals)."""
    spaces = [int(p.split(":", 1)[1]) for p in audience if p.startswith("space:")]
    return (
        select(Membership.user_id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.space_id.in_(spaces), User.is_active.is_(True))
    )


ZERO = {"people": 0, "active": 0, "contributions": 0, "plugin": 0}


def _totals(session: Session, people, start: date, end: date, plugin: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """For ``people`` (a query of ids; None: everyone) between two days: how many they are,
    how many were active, their contributions, their activities in ``plugin``."""
    days = select(
        func.count(func.distinct(UserDay.user_id)),
        func.coalesce(func.sum(UserDay.contributions), 0),
    ).where(UserDay.day >= start, UserDay.day < end)
    in_plugin = select(func.count()).where(
        Activity.created_at >= _at(start), Activity.created_at < _at(end), Activity.plugin == plugin
    )
    size = select(func.count()).select_from(User).where(User.is_active.is_(True))
    if people is not None:
        days = days.where(UserDay.user_id.in_(people))
        in_plugin = in_plugin.where(Activity.actor_id.in_(people))
        size = select(func.count()).select_from(people.subquery())
    active, contributions = session.execute(days).one()
    return {
        "people": session.scalar(size) or 0,
        "active": active,
        "contributions": int(contributions),
        "plugin": session.scalar(in_plugin) or 0,
    }


def _minus(whole: dict[str, int], part: dict[str, int]) -> dict[str, int]:
    """The figures of a group without a group inside it (the counts are of people, each in
    one group or the other, so they subtract)."""
    return {key: max(0, whole[key] - part[key]) for key in whole}


def _roll_phase(session: Session, log: PluginLogRow, today: date) -> None:
    """A rollout phase's before and after, for the people it reached and everyone else.

    Everyone's figures are one pass over the window's days; a group of spaces' members is
    counted through their ids, and the rest by difference, so that a phase "for everyone"
    costs no list of 100,000 ids."""
    audience, previous = json.loads(log.audience or "[]"), json.loads(log.previous or "[]")
    changed = log.at.date()
    windows = {
        "before": (changed - timedelta(days=PHASE_DAYS), changed),
        "after": (changed, min(changed + timedelta(days=PHASE_DAYS), today + timedelta(days=1))),
    }
    figures: dict[str, Any] = {"days_after": (windows["after"][1] - windows["after"][0]).days}
    reached: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    for name, (start, end) in windows.items():
        everyone = _totals(session, None, start, end, log.name)
        if EVERYONE in audience:
            had = (
                everyone
                if EVERYONE in previous
                else _totals(session, _members(previous), start, end, log.name)
                if previous
                else ZERO
            )
            reached[name], rest[name] = _minus(everyone, had), ZERO
        else:
            newly = _members(audience)
            if previous and EVERYONE not in previous:
                newly = newly.except_(_members(previous))
            elif EVERYONE in previous:
                newly = newly.where(False)
            reached[name] = _totals(session, newly, start, end, log.name)
            rest[name] = _minus(
                everyone, _totals(session, _members(audience), start, end, log.name)
            )
    figures["reached"] = {
        "people": reached["after"]["people"],
        **{name: reached[name] for name in windows},
    }
    figures["rest"] = {"people": rest["after"]["people"], **{name: rest[name] for name in windows}}
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
        with rt.db.write() as session:
            _roll_space_active(session, week)
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
        _roll_space_totals(session, this_week)
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
        ever_by_department: dict[str, int] = defaultdict(int)
        for department, count in session.execute(
            select(User.department, func.count(func.distinct(UserDay.user_id)))
            .join(User, User.id == UserDay.user_id)
            .where(UserDay.contributions > 0)
            .group_by(User.department)
        ):
            ever_by_department[keys.get(department, OTHER)] += count
        ever = sum(ever_by_department.values())
        summary = {
            "computed_at": now.isoformat(timespec="seconds"),
            "employees": employees or 0,
            "contributors_ever": ever or 0,
            "weeks": len(weeks),
            "departments": keys,  # as the rollups grouped them (the page's filter reads it)
            "ever_by_department": ever_by_department,
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
