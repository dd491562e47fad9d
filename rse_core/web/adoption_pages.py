"""The adoption dashboard (admins and community managers): ``/admin/adoption``, its CSV
files and "update now"."""

from __future__ import annotations

import csv
import io
from typing import Any

from babel.dates import format_date
from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .. import adoption
from ..adoption_report import Filters, Report, report
from ..db import utcnow
from ..i18n import N_, language, template_callables
from ..identity.models import Space
from .charts import legend, line_chart, stacked_bars
from .context import access, active_plugins, current_user, runtime, write
from .flash import flash
from .templating import render

PERIODS = {4: N_("Last 4 weeks"), 13: N_("Last 13 weeks"), 52: N_("Last 52 weeks")}
TABLES = ("active", "months", "plugins", "spaces", "top", "phases")


def require_community_manager(request: Request) -> None:
    """Admins and community managers only (403)."""
    me = current_user(request)
    if me is None or not (me.is_admin or me.is_community_manager):
        raise HTTPException(403, "Only admins and community managers see the adoption figures.")


def _filters(request: Request, session: Any, summary: dict[str, Any] | None) -> Filters:
    """The filters in the query string; a value that names nothing is a 400 (or 404)."""
    params = request.query_params
    keys = (summary or {}).get("departments") or adoption.department_keys(session)
    raw_weeks = params.get("weeks", "13")
    if raw_weeks not in {str(w) for w in PERIODS}:
        raise HTTPException(400, "The period is 4, 13 or 52 weeks.")
    department = params.get("department") or None
    if department and department not in adoption.shown_departments(keys):
        raise HTTPException(400, "No such department (or one of fewer than 5 people).")
    plugin = params.get("plugin") or None
    if plugin and plugin not in runtime(request).plugins.plugin_names():
        raise HTTPException(400, "No such plugin.")
    hidden = hidden_spaces(request, session)
    space = None
    if slug := params.get("space"):
        space = session.scalar(select(Space).where(Space.slug == slug))
        if space is None or space.id in hidden:
            raise HTTPException(404, "No such space.")
    period = adoption.Period(int(raw_weeks), utcnow().date())
    return Filters(period, department, plugin, space, hidden, keys)


def hidden_spaces(request: Request, session: Any) -> frozenset[int]:
    """The secret spaces the reader may not know of (none for a site admin)."""
    if current_user(request).is_admin:
        return frozenset()
    mine = list(access(request).roles)
    return frozenset(
        session.scalars(select(Space.id).where(Space.visibility == "secret", Space.id.not_in(mine)))
    )


def _charts(result: Report, _: Any, locale: str) -> dict[str, Any]:
    labels = [format_date(w, "d MMM", locale=locale) for w in result.weeks]
    active = [a for _w, a, _c in result.active]
    contributors = [c for _w, _a, c in result.active]
    peak = max(active, default=0)
    active_chart = line_chart(
        _("People active and contributing, per week"),
        _("Highest: %(count)d people active in a week.") % {"count": peak},
        labels,
        [(_("Active"), active), (_("Contributed"), contributors)],
        "chart-active",
    )
    plugin_series = list(result.plugins.items())
    total = sum(sum(v) for _n, v in plugin_series)
    plugins_chart = stacked_bars(
        _("Contributions per plugin, per week"),
        _("%(count)d contributions in the period.") % {"count": total},
        labels,
        plugin_series,
        "chart-plugins",
    )
    return {
        "active_chart": active_chart,
        "active_legend": legend([_("Active"), _("Contributed")]),
        "plugins_chart": plugins_chart,
        "plugins_legend": legend([name for name, _v in plugin_series]),
    }


async def dashboard(request: Request) -> Response:
    """GET /admin/adoption: the figures, with the filters of the query string."""
    require_community_manager(request)
    rt = runtime(request)
    with rt.db.read() as session:
        summary = adoption.summary(session)
        f = _filters(request, session, summary)
        result = report(session, f, summary)
        departments = adoption.shown_departments(f.departments)
        spaces = list(
            session.scalars(
                select(Space)
                .where(Space.id.not_in(f.hidden_spaces))
                .order_by(Space.name)
                .limit(500)
            )
        )
    if summary is None:  # never computed: start now (the page says so)
        await write(request, lambda s: adoption.schedule(s, utcnow(), at=utcnow()))
    _ = template_callables(request)["_"]
    sections = [
        (name, html)
        for name, results in rt.plugins.collect(
            "rse_adoption_sections", active_plugins(request), request=request
        )
        for html in results
    ]
    return render(
        request,
        "admin/adoption.html",
        {
            "f": f,
            "r": result,
            "summary": summary,
            "periods": PERIODS,
            "departments": departments,
            "plugins": sorted(rt.plugins.plugin_names()),
            "spaces": spaces,
            "query": request.url.query,
            "sections": sections,
            **_charts(result, _, language(request)),
        },
    )


def _rows(table: str, result: Report) -> tuple[list[str], list[list[Any]]]:
    if table == "active":
        return ["week", "active", "contributed"], [
            [w.isoformat(), a, c] for w, a, c in result.active
        ]
    if table == "months":
        return ["month", "active", "contributed"], [
            [m.isoformat()[:7], a, c] for m, a, c in result.months
        ]
    if table == "plugins":
        return ["week", *result.plugins], [
            [w.isoformat(), *(v[n] for v in result.plugins.values())]
            for n, w in enumerate(result.weeks)
        ]
    if table == "spaces":
        return ["space", "contributions", "items"], [
            [s.slug, c, i] for s, c, i in result.spaces
        ] + [[s.slug, 0, 0] for s in result.silent_spaces]
    if table == "top":
        return ["person", "contributions"], [[u.username, c] for u, c in result.top]
    header = [
        "plugin",
        "changed_at",
        "audience",
        "previous",
        "complete",
        "reached_people",
        "reached_active_before",
        "reached_active_after",
        "reached_contributions_before",
        "reached_contributions_after",
        "reached_plugin_after",
        "rest_people",
        "rest_active_before",
        "rest_active_after",
        "rest_contributions_before",
        "rest_contributions_after",
    ]
    rows = []
    for p in result.phases:
        reached, rest = p["reached"], p["rest"]
        rows.append(
            [
                p["plugin"],
                p["at"].isoformat(timespec="minutes"),
                " ".join(p["audience"]),
                " ".join(p["previous"]),
                p["complete"],
                reached["people"],
                reached["before"]["active"],
                reached["after"]["active"],
                reached["before"]["contributions"],
                reached["after"]["contributions"],
                reached["after"]["plugin"],
                rest["people"],
                rest["before"]["active"],
                rest["after"]["active"],
                rest["before"]["contributions"],
                rest["after"]["contributions"],
            ]
        )
    return header, rows


async def dashboard_csv(request: Request) -> Response:
    """GET /admin/adoption.csv?table=active|months|plugins|spaces|top|phases (and the
    filters)."""
    require_community_manager(request)
    table = request.query_params.get("table", "")
    if table not in TABLES:
        raise HTTPException(400, f"The table is one of: {', '.join(TABLES)}.")
    with runtime(request).db.read() as session:
        summary = adoption.summary(session)
        f = _filters(request, session, summary)
        result = report(session, f, summary)
    header, rows = _rows(table, result)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    name = f"adoption-{table}-{f.period.today.isoformat()}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


async def refresh(request: Request) -> Response:
    """POST /admin/adoption/refresh: compute the figures again now (a background job)."""
    require_community_manager(request)
    now = utcnow()
    await write(request, lambda session: adoption.schedule(session, now, at=now))
    back = RedirectResponse("/admin/adoption", status_code=303)
    return flash(request, back, N_("The figures are being updated: reload in a minute."))


ROUTES = [
    Route("/admin/adoption", dashboard, methods=["GET"]),
    Route("/admin/adoption.csv", dashboard_csv, methods=["GET"]),
    Route("/admin/adoption/refresh", refresh, methods=["POST"]),
]
