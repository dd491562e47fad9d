"""What the adoption dashboard shows, read from the rollups (``rse_core.adoption``) with the
dashboard's filters: period, department, plugin, space.

Every figure is a count. The rollups answer the company-wide and per-department views from a
few hundred rows; a space filter reads that space's own activity (its index) and members.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .adoption import (
    ALL,
    OTHER,
    AdoptionActive,
    AdoptionPhase,
    AdoptionSpaceWeek,
    AdoptionTop,
    AdoptionWeek,
    Period,
    UserDay,
    _at,
    _day,
    department_keys,
    monday,
)
from .content import Activity
from .enablement import PluginLogRow
from .i18n import N_
from .identity.models import Membership, Space, User


@dataclass(frozen=True)
class Filters:
    """The dashboard's choices: a period of ``weeks``, and optionally a department (its key),
    a plugin and a space."""

    period: Period
    department: str | None = None
    plugin: str | None = None
    space: Space | None = None
    #: Secret spaces the reader may not know of: never named (their activity still counts
    #: in the company's totals).
    hidden_spaces: frozenset[int] = frozenset()


@dataclass
class Report:
    """Everything the dashboard page, its charts and CSV files show."""

    weeks: list[date]
    #: Per week: active people, contributors.
    active: list[tuple[date, int, int]]
    #: Per plugin, per week: contributions.
    plugins: dict[str, list[int]]
    items: int = 0
    unanswered: int = 0
    contributions: int = 0
    employees: int = 0
    contributors_ever: int = 0
    last_month_active: int = 0
    spaces: list[tuple[Space, int, int]] = field(default_factory=list)
    silent_spaces: list[Space] = field(default_factory=list)
    silent_count: int = 0
    top: list[tuple[User, int]] = field(default_factory=list)
    phases: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _departments_of(session: Session, key: str) -> list[str]:
    return [name for name, k in department_keys(session).items() if k == key]


def _active(session: Session, f: Filters) -> list[tuple[date, int, int]]:
    weeks = f.period.week_starts()
    if f.space is not None:
        members = select(Membership.user_id).where(Membership.space_id == f.space.id)
        if f.department:
            members = members.join(User, User.id == Membership.user_id).where(
                User.department.in_(_departments_of(session, f.department))
            )
        out = []
        for week in weeks:  # one small aggregate a week, on the (user_id, day) index
            active, contributors = session.execute(
                select(
                    func.count(func.distinct(UserDay.user_id)),
                    func.count(func.distinct(UserDay.user_id)).filter(UserDay.contributions > 0),
                ).where(
                    UserDay.user_id.in_(members),
                    UserDay.day >= week,
                    UserDay.day < week + timedelta(days=7),
                )
            ).one()
            out.append((week, active, contributors))
        return out
    rows = {
        _day(start): (active, contributors)
        for start, active, contributors in session.execute(
            select(AdoptionActive.start, AdoptionActive.active, AdoptionActive.contributors).where(
                AdoptionActive.kind == "week",
                AdoptionActive.department == (f.department or ALL),
                AdoptionActive.start >= weeks[0],
            )
        )
    }
    return [(week, *rows.get(week, (0, 0))) for week in weeks]


def _plugins(session: Session, f: Filters, report: Report) -> None:
    weeks = f.period.week_starts()
    index = {week: n for n, week in enumerate(weeks)}
    series: dict[str, list[int]] = defaultdict(lambda: [0] * len(weeks))
    if f.space is not None:
        day = func.date(Activity.created_at)
        query = (
            select(day, Activity.plugin, func.count())
            .where(Activity.space_id == f.space.id, Activity.created_at >= _at(weeks[0]))
            .group_by(day, Activity.plugin)
        )
        if f.plugin:
            query = query.where(Activity.plugin == f.plugin)
        if f.department:
            query = query.join(User, User.id == Activity.actor_id).where(
                User.department.in_(_departments_of(session, f.department))
            )
        for raw_day, plugin, count in session.execute(query):
            week = monday(_day(raw_day))
            if week in index:
                series[plugin][index[week]] += count
                report.contributions += count
        report.notes.append(N_("In a space: new and unanswered items count the whole company."))
    query = select(
        AdoptionWeek.week,
        AdoptionWeek.plugin,
        func.sum(AdoptionWeek.contributions),
        func.sum(AdoptionWeek.items),
        func.sum(AdoptionWeek.unanswered),
    ).where(AdoptionWeek.week >= weeks[0])
    if f.department:
        query = query.where(AdoptionWeek.department == f.department)
    if f.plugin:
        query = query.where(AdoptionWeek.plugin == f.plugin)
    for week, plugin, contributions, items, unanswered in session.execute(
        query.group_by(AdoptionWeek.week, AdoptionWeek.plugin)
    ):
        week = _day(week)
        if week not in index:
            continue
        report.items += int(items or 0)
        report.unanswered += int(unanswered or 0)
        if f.space is None:
            series[plugin][index[week]] += int(contributions or 0)
            report.contributions += int(contributions or 0)
    report.plugins = dict(sorted(series.items()))


def _spaces(session: Session, f: Filters, report: Report) -> None:
    first = f.period.first
    total = func.sum(AdoptionSpaceWeek.contributions).label("total")
    rows = session.execute(
        select(Space, total, func.sum(AdoptionSpaceWeek.items))
        .join(Space, Space.id == AdoptionSpaceWeek.space_id)
        .where(AdoptionSpaceWeek.week >= first, Space.id.not_in(f.hidden_spaces))
        .group_by(Space.id)
        .order_by(total.desc(), Space.name)
        .limit(10)
    ).all()
    report.spaces = [(space, int(c or 0), int(i or 0)) for space, c, i in rows]
    busy = select(AdoptionSpaceWeek.space_id).where(
        AdoptionSpaceWeek.week >= first, AdoptionSpaceWeek.contributions > 0
    )
    silent = select(Space).where(Space.id.not_in(busy), Space.id.not_in(f.hidden_spaces))
    report.silent_count = session.scalar(select(func.count()).select_from(silent.subquery())) or 0
    report.silent_spaces = list(session.scalars(silent.order_by(Space.name).limit(10)))


def _top(session: Session, f: Filters, report: Report) -> None:
    weeks = min((w for w in (4, 13, 52) if w >= f.period.weeks), default=52)
    rows = session.execute(
        select(User, AdoptionTop.contributions)
        .join(User, User.id == AdoptionTop.user_id)
        .where(AdoptionTop.weeks == weeks, AdoptionTop.department == (f.department or ALL))
        .order_by(AdoptionTop.rank)
    ).all()
    report.top = [(user, count) for user, count in rows]


def _phases(session: Session, f: Filters, report: Report) -> None:
    query = (
        select(PluginLogRow, AdoptionPhase)
        .join(AdoptionPhase, AdoptionPhase.log_id == PluginLogRow.id)
        .order_by(PluginLogRow.at.desc())
        .limit(20)
    )
    if f.plugin:
        query = query.where(PluginLogRow.name == f.plugin)
    spaces = {  # the audiences' names
        s.id: s.name for s in session.scalars(select(Space).where(Space.id.not_in(f.hidden_spaces)))
    }
    for log, phase in session.execute(query):
        figures = json.loads(phase.figures)
        audience = json.loads(log.audience or "[]")
        previous = json.loads(log.previous or "[]")
        report.phases.append(
            {
                "log": log,
                "plugin": log.name,
                "at": log.at,
                "audience": [_principal_name(p, spaces) for p in audience],
                "previous": [_principal_name(p, spaces) for p in previous],
                "complete": phase.complete,
                **figures,
            }
        )


def _principal_name(principal: str, spaces: dict[int, str]) -> str:
    if principal.startswith("space:"):
        return spaces.get(int(principal.split(":", 1)[1]), SECRET_SPACE)
    return principal


SECRET_SPACE = N_("a secret space")


def report(session: Session, f: Filters, summary: dict[str, Any] | None) -> Report:
    """The dashboard's figures for ``f``."""
    weeks = f.period.week_starts()
    result = Report(weeks=weeks, active=_active(session, f), plugins={})
    _plugins(session, f, result)
    _spaces(session, f, result)
    _top(session, f, result)
    _phases(session, f, result)
    month = f.period.today.replace(day=1)
    result.last_month_active = (
        session.scalar(
            select(AdoptionActive.active).where(
                AdoptionActive.kind == "month",
                AdoptionActive.start == month,
                AdoptionActive.department == (f.department or ALL),
            )
        )
        or 0
    )
    employees = select(func.count()).select_from(User).where(User.is_active.is_(True))
    if f.department:
        employees = employees.where(User.department.in_(_departments_of(session, f.department)))
    result.employees = session.scalar(employees) or 0
    result.contributors_ever = (summary or {}).get("contributors_ever", 0)
    if f.department or f.space:
        ever = select(func.count(func.distinct(UserDay.user_id))).where(UserDay.contributions > 0)
        if f.department:
            names = _departments_of(session, f.department)
            ever = ever.join(User, User.id == UserDay.user_id).where(User.department.in_(names))
        if f.space:
            members = select(Membership.user_id).where(Membership.space_id == f.space.id)
            ever = ever.where(UserDay.user_id.in_(members))
            result.employees = (
                session.scalar(select(func.count()).select_from(members.subquery())) or 0
            )
        result.contributors_ever = session.scalar(ever) or 0
    if f.space or f.plugin:
        result.notes.append(
            N_("Busiest spaces and top contributors: the whole company in the period.")
        )
    return result


def department_label(key: str) -> str:
    """How a department key reads ("~other": the small departments together)."""
    return "Other departments (under 5 people each)" if key == OTHER else key
