"""What the adoption dashboard shows, read from the rollups (``rse_core.adoption``) with the
dashboard's filters: period, department, plugin, space.

Every figure is a count. The rollups answer the company-wide and per-department views from a
few hundred rows; a space filter reads that space's own activity (its index) and members.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .adoption import (
    ALL,
    WINDOWS,
    AdoptionActive,
    AdoptionPhase,
    AdoptionSpaceActive,
    AdoptionSpacePlugin,
    AdoptionSpaceTotal,
    AdoptionSpaceWeek,
    AdoptionTop,
    AdoptionWeek,
    Period,
    _day,
)
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
    #: Each department's key, as the last rollup grouped them (``department_keys``).
    departments: dict[str, str] = field(default_factory=dict)


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
    contributors_ever: int | None = 0
    last_month_active: int = 0
    #: Per month of the period (company or department): active people, contributors.
    months: list[tuple[date, int, int]] = field(default_factory=list)
    spaces: list[tuple[Space, int, int]] = field(default_factory=list)
    silent_spaces: list[Space] = field(default_factory=list)
    silent_count: int = 0
    top: list[tuple[User, int]] = field(default_factory=list)
    phases: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _departments_of(f: Filters, key: str) -> list[str]:
    return [name for name, k in f.departments.items() if k == key]


def _active(session: Session, f: Filters) -> list[tuple[date, int, int]]:
    weeks = f.period.week_starts()
    if f.space is not None:
        found = session.execute(
            select(
                AdoptionSpaceActive.week,
                AdoptionSpaceActive.active,
                AdoptionSpaceActive.contributors,
            ).where(
                AdoptionSpaceActive.space_id == f.space.id, AdoptionSpaceActive.week >= weeks[0]
            )
        )
    else:
        found = session.execute(
            select(AdoptionActive.start, AdoptionActive.active, AdoptionActive.contributors).where(
                AdoptionActive.kind == "week",
                AdoptionActive.department == (f.department or ALL),
                AdoptionActive.start >= weeks[0],
            )
        )
    rows = {_day(start): (active, contributors) for start, active, contributors in found}
    return [(week, *rows.get(week, (0, 0))) for week in weeks]


def _plugins(session: Session, f: Filters, report: Report) -> None:
    weeks = f.period.week_starts()
    index = {week: n for n, week in enumerate(weeks)}
    series: dict[str, list[int]] = defaultdict(lambda: [0] * len(weeks))
    if f.space is not None:
        query = select(
            AdoptionSpacePlugin.week, AdoptionSpacePlugin.plugin, AdoptionSpacePlugin.contributions
        ).where(AdoptionSpacePlugin.space_id == f.space.id, AdoptionSpacePlugin.week >= weeks[0])
        if f.plugin:
            query = query.where(AdoptionSpacePlugin.plugin == f.plugin)
        for week, plugin, contributions in session.execute(query):
            week = _day(week)
            if week in index:
                series[plugin][index[week]] += contributions
                report.contributions += contributions
        items, unanswered = session.execute(
            select(
                func.coalesce(func.sum(AdoptionSpaceWeek.items), 0),
                func.coalesce(func.sum(AdoptionSpaceWeek.unanswered), 0),
            ).where(AdoptionSpaceWeek.space_id == f.space.id, AdoptionSpaceWeek.week >= weeks[0])
        ).one()
        report.items, report.unanswered = int(items), int(unanswered)
        report.plugins = dict(sorted(series.items()))
        return
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
        series[plugin][index[week]] += int(contributions or 0)
        report.contributions += int(contributions or 0)
    report.plugins = dict(sorted(series.items()))


def _spaces(session: Session, f: Filters, report: Report) -> None:
    weeks = _window(f)
    ranked = session.execute(
        select(
            AdoptionSpaceTotal.space_id, AdoptionSpaceTotal.contributions, AdoptionSpaceTotal.items
        )
        .where(
            AdoptionSpaceTotal.weeks == weeks,
            AdoptionSpaceTotal.contributions > 0,
            AdoptionSpaceTotal.space_id.not_in(f.hidden_spaces),
        )
        .order_by(AdoptionSpaceTotal.contributions.desc(), AdoptionSpaceTotal.space_id)
        .limit(10)
    ).all()
    found = session.scalars(select(Space).where(Space.id.in_([row[0] for row in ranked])))
    spaces = {space.id: space for space in found}
    report.spaces = [(spaces[i], c, n) for i, c, n in ranked if i in spaces]
    busy = select(AdoptionSpaceTotal.space_id).where(
        AdoptionSpaceTotal.weeks == weeks, AdoptionSpaceTotal.contributions > 0
    )
    silent = select(Space).where(Space.id.not_in(busy), Space.id.not_in(f.hidden_spaces))
    report.silent_count = session.scalar(select(func.count()).select_from(silent.subquery())) or 0
    report.silent_spaces = list(session.scalars(silent.order_by(Space.name).limit(10)))


def _window(f: Filters) -> int:
    """The rollups' window (4, 13 or 52 weeks) that covers the period."""
    return min((w for w in WINDOWS if w >= f.period.weeks), default=WINDOWS[-1])


def _top(session: Session, f: Filters, report: Report) -> None:
    weeks = _window(f)
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
    rows = session.execute(query).all()
    named = {  # the audiences' spaces, by id
        int(p.split(":", 1)[1])
        for log, _phase in rows
        for p in [*json.loads(log.audience or "[]"), *json.loads(log.previous or "[]")]
        if p.startswith("space:")
    }
    spaces = {
        s.id: s.name
        for s in session.scalars(
            select(Space).where(Space.id.in_(named), Space.id.not_in(f.hidden_spaces))
        )
    }
    for log, phase in rows:
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
    if f.space is None:
        result.months = [
            (_day(start), active, contributors)
            for start, active, contributors in session.execute(
                select(AdoptionActive.start, AdoptionActive.active, AdoptionActive.contributors)
                .where(
                    AdoptionActive.kind == "month",
                    AdoptionActive.department == (f.department or ALL),
                    AdoptionActive.start >= f.period.first.replace(day=1),
                )
                .order_by(AdoptionActive.start)
            )
        ]
    summary = summary or {}
    result.employees = summary.get("employees", 0)
    result.contributors_ever = summary.get("contributors_ever", 0)
    if f.department:
        employees = select(func.count()).select_from(User).where(User.is_active.is_(True))
        employees = employees.where(User.department.in_(_departments_of(f, f.department)))
        result.employees = session.scalar(employees) or 0
        result.contributors_ever = summary.get("ever_by_department", {}).get(f.department, 0)
    if f.space:
        # The space's own figures: its members, active this week (no month per space), and
        # no "at least once" (a pass over every contribution of its members).
        result.employees = (
            session.scalar(select(func.count()).where(Membership.space_id == f.space.id)) or 0
        )
        result.last_month_active = result.active[-1][1] if result.active else 0
        result.contributors_ever = None
        result.notes.append(
            N_("In a space: its members; the department filter does not apply to a space.")
        )
    if f.space or f.plugin:
        result.notes.append(N_("Busiest spaces and top contributors: every plugin and space."))
    return result
