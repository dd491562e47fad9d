"""The admin's plugin pages and their JSON twin: installed, enabled, for whom, and the log.

``/admin/plugins`` lists the plugins; ``/admin/plugins/{name}`` edits one plugin's audience:
it opens on the current audience, picks pilot spaces from a search (htmx, or a plain form
post without JavaScript), and asks for confirmation before a rollout widens to everyone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..enablement import EVERYONE, PluginState, audience_of, recent_log
from ..identity.models import Space
from ..identity.spaces import audience_for_slugs, audience_spaces, find_spaces
from ..runtime import Runtime, UnknownPlugin, change_plugin
from ..validation import ValidationError
from .context import current_user, runtime
from .contract import Shape, api, api_routes
from .errors import ApiError
from .forms import form_dict
from .guards import require_admin
from .templating import render, render_fragment


def plugin_rows(rt: Runtime, states: dict[str, PluginState] | None = None) -> list[dict]:
    """One row per installed plugin, as the admin page, its API and ``rse plugins list`` show
    it. ``states`` defaults to the database's (pass ``{}`` before the first migration)."""
    states = rt.plugin_states() if states is None else states
    audiences = {name: list(s.audience) for name, s in states.items() if s.enabled}
    spaces: dict[str, list[tuple[str, str]]] = {}
    if audiences:
        with rt.db.read() as session:
            spaces = {n: audience_spaces(session, a) for n, a in audiences.items()}
    rows = []
    for name, info in sorted(rt.plugins.installed.items()):
        state = states.get(name)
        audience = audiences.get(name, [])
        pilot = spaces.get(name, [])
        rows.append(
            {
                "name": name,
                "version": info.version,
                "distribution": info.distribution,
                "summary": info.summary,
                "loaded": info.loaded,
                "status": info.status,
                "error": info.error,
                "enabled": bool(state and state.enabled),
                "audience": audience,
                "everyone": EVERYONE in audience,
                "audience_spaces": [{"slug": slug, "name": n} for slug, n in pilot],
                "audience_names": [EVERYONE] if EVERYONE in audience else [n for _s, n in pilot],
                "changed_at": state.changed_at.isoformat() if state and state.changed_at else None,
                "changed_by": state.changed_by if state else "",
            }
        )
    return rows


def log_entries(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    """The latest enablement changes, newest first, each as what it was before and after
    ("pilot: Kubernetes guild" -> "everyone")."""
    entries = []
    for row in recent_log(session, limit):
        before, after = audience_of(row)
        entries.append(
            {
                "at": row.at,
                "actor": row.actor,
                "name": row.name,
                "before": _described(session, before),
                "after": _described(session, after),
            }
        )
    return entries


def _described(session: Session, audience: list[str]) -> dict[str, Any]:
    """An audience for templates: ``kind`` (disabled, everyone, pilot) and space names."""
    if not audience:
        return {"kind": "disabled", "names": []}
    if EVERYONE in audience:
        return {"kind": "everyone", "names": []}
    return {"kind": "pilot", "names": [name for _slug, name in audience_spaces(session, audience)]}


def _row(request: Request, name: str) -> dict[str, Any]:
    row = next((r for r in plugin_rows(runtime(request)) if r["name"] == name), None)
    if row is None:
        raise HTTPException(404, "No such plugin is installed.")
    return row


async def plugins_page(request: Request) -> Response:
    """GET /admin/plugins: every plugin, what it does, its audience, and the change log."""
    require_admin(request)
    with runtime(request).db.read() as session:
        log = log_entries(session)
    return render(
        request, "admin/plugins.html", {"plugins": plugin_rows(runtime(request)), "log": log}
    )


def _editor(
    request: Request,
    row: dict[str, Any],
    *,
    choice: str,
    selected: list[str],
    q: str = "",
    errors: dict[str, str] | None = None,
    confirm: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    with runtime(request).db.read() as session:
        chosen = session.execute(
            select(Space.slug, Space.name).where(Space.slug.in_(selected)).order_by(Space.name)
        ).all()
        found = find_spaces(session, q, exclude=selected) if q.strip() else []
    return render(
        request,
        "admin/plugin_audience.html",
        {
            "p": row,
            "choice": choice,
            "chosen": chosen,
            "found": found,
            "q": q,
            "errors": errors or {},
            "confirm": confirm,
        },
        status_code=status,
    )


async def plugin_page(request: Request) -> Response:
    """GET /admin/plugins/{name}: the audience editor, opened on the current audience."""
    require_admin(request)
    row = _row(request, request.path_params["name"])
    if not row["loaded"]:
        raise HTTPException(409, f"{row['name']} cannot be enabled: {row['error']}")
    pilot = [s["slug"] for s in row["audience_spaces"]]
    # A plugin not enabled yet opens on a pilot: the rollout's usual first step.
    choice = "everyone" if row["everyone"] else "spaces"
    return _editor(request, row, choice=choice, selected=pilot, q=request.query_params.get("q", ""))


async def plugin_spaces(request: Request) -> Response:
    """GET /admin/plugins/{name}/spaces?q=&spaces=: pilot space candidates (htmx fragment)."""
    require_admin(request)
    _row(request, request.path_params["name"])
    selected = request.query_params.getlist("spaces")
    with runtime(request).db.read() as session:
        found = find_spaces(session, request.query_params.get("q", ""), exclude=selected)
    return HTMLResponse(
        render_fragment(request, "admin/_space_choices.html", {"found": found, "checked": False})
    )


async def plugins_change(request: Request) -> Response:
    """POST /admin/plugins/{name}: ``action=enable`` with ``audience=everyone|spaces`` and
    ``spaces`` (slugs); ``action=disable``; ``action=search`` (``q``) re-shows the editor with
    the choices kept, for browsers without JavaScript. Widening a pilot to everyone, or
    choosing everyone while spaces are ticked, needs ``confirm=1``."""
    require_admin(request)
    data = await form_dict(request)
    action = data.get("action")
    if action not in ("enable", "disable", "search"):
        raise ApiError(
            400, "bad_action", "action must be enable, disable or search", {"action": "bad"}
        )
    rt = runtime(request)
    name = request.path_params["name"]
    row = _row(request, name)  # 404 for a plugin that is not installed
    if action == "enable" and not row["loaded"]:
        message = f"{name} cannot be enabled: {row['error']}"
        context = {"plugins": plugin_rows(rt), "log": [], "errors": {"plugin": message}}
        return render(request, "admin/plugins.html", context, status_code=409)
    raw = data.get("spaces", [])
    selected = sorted({raw} if isinstance(raw, str) else set(raw))
    choice = "everyone" if data.get("audience") == "everyone" else "spaces"
    q = str(data.get("q", ""))
    try:
        if action == "search":
            return _editor(request, row, choice=choice, selected=selected, q=q)
        audience: list[str] = []
        if action == "enable":
            with rt.db.read() as session:
                audience = (
                    [EVERYONE] if choice == "everyone" else audience_for_slugs(session, selected)
                )
            widening = choice == "everyone" and not row["everyone"] and (row["enabled"] or selected)
            if widening and data.get("confirm") != "1":
                confirm = {"from": _as_described(row), "spaces": len(selected)}
                return _editor(request, row, choice=choice, selected=selected, q=q, confirm=confirm)
        user = current_user(request)
        change_plugin(
            rt,
            name,
            enabled=action == "enable",
            audience=audience or (EVERYONE,),
            actor=user.username,
            user_id=user.id,
        )
    except UnknownPlugin:
        raise ApiError(404, "unknown_plugin", "No such plugin is installed.") from None
    except ValidationError as exc:
        return _editor(
            request, row, choice=choice, selected=selected, q=q, errors=exc.fields, status=422
        )
    return RedirectResponse("/admin/plugins", status_code=303)


def _as_described(row: dict[str, Any]) -> dict[str, Any]:
    """A plugin row's current audience in the shape of :func:`_described`, from what
    :func:`plugin_rows` already looked up (no second query)."""
    if not row["enabled"]:
        return {"kind": "disabled", "names": []}
    if row["everyone"]:
        return {"kind": "everyone", "names": []}
    return {"kind": "pilot", "names": row["audience_names"]}


class AudienceSpace(Shape):
    """A space of a pilot audience"""

    slug: str
    name: str


class PluginOut(Shape):
    """An installed plugin: what it is, whether it runs, and for whom"""

    name: str
    version: str
    distribution: str
    summary: str
    loaded: bool
    status: str
    error: str | None
    enabled: bool
    audience: list[str]
    everyone: bool
    audience_spaces: list[AudienceSpace]
    audience_names: list[str]
    changed_at: str | None
    changed_by: str


class PluginsOut(Shape):
    """The installed plugins"""

    items: list[PluginOut]


@api(
    "GET",
    "/api/v1/admin/plugins",
    summary="Installed plugins (admins)",
    operation_id="listPlugins",
    responses={200: PluginsOut},
    errors=(403,),
)
async def plugins_api(request: Request) -> Response:
    """GET /api/v1/admin/plugins: the same rows as JSON."""
    require_admin(request)
    return JSONResponse({"items": plugin_rows(runtime(request))})


PAGE_ROUTES = [
    Route("/admin/plugins", plugins_page, methods=["GET"], name="admin_plugins"),
    Route("/admin/plugins/{name}", plugin_page, methods=["GET"], name="admin_plugin"),
    Route("/admin/plugins/{name}", plugins_change, methods=["POST"], name="admin_plugin_change"),
    Route("/admin/plugins/{name}/spaces", plugin_spaces, methods=["GET"]),
]
API_ROUTES = api_routes(plugins_api)
