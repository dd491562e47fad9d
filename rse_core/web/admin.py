"""The admin's plugin page and its JSON twin: installed, enabled, for whom, and the log."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..enablement import EVERYONE, PluginState, recent_log
from ..identity.models import Space
from ..identity.spaces import audience_for_slugs, describe_audience
from ..runtime import PluginUnavailable, Runtime, UnknownPlugin, change_plugin
from ..validation import ValidationError
from .context import current_user, runtime
from .errors import ApiError
from .forms import form_dict
from .guards import require_admin
from .templating import render


def plugin_rows(rt: Runtime, states: dict[str, PluginState] | None = None) -> list[dict]:
    """One row per installed plugin, as the admin page, its API and ``rse plugins list`` show
    it. ``states`` defaults to the database's (pass ``{}`` before the first migration)."""
    states = rt.plugin_states() if states is None else states
    audiences = {name: list(s.audience) for name, s in states.items() if s.enabled}
    names: dict[str, list[str]] = {}
    if audiences:
        with rt.db.read() as session:
            names = {n: describe_audience(session, a) for n, a in audiences.items()}
    rows = []
    for name, info in sorted(rt.plugins.installed.items()):
        state = states.get(name)
        rows.append(
            {
                "name": name,
                "version": info.version,
                "distribution": info.distribution,
                "loaded": info.loaded,
                "status": info.status,
                "error": info.error,
                "summary": info.summary,
                "enabled": bool(state and state.enabled),
                "audience": audiences.get(name, []),
                "audience_names": names.get(name, []),
                "changed_at": state.changed_at.isoformat() if state and state.changed_at else None,
                "changed_by": state.changed_by if state else "",
            }
        )
    return rows


def _page(request: Request, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    with runtime(request).db.read() as session:
        log_rows = recent_log(session)
        spaces = list(session.execute(select(Space.slug, Space.name).order_by(Space.name)).all())
    return render(
        request,
        "admin/plugins.html",
        {
            "plugins": plugin_rows(runtime(request)),
            "log": log_rows,
            "spaces": spaces,
            "errors": errors or {},
        },
        status_code=status,
    )


async def plugins_page(request: Request) -> Response:
    """GET /admin/plugins: the list with enable and disable buttons, and the change log."""
    require_admin(request)
    return _page(request)


async def plugins_change(request: Request) -> Response:
    """POST /admin/plugins/{name}: ``action=enable|disable``; ``audience=everyone|spaces``
    with ``spaces`` (slugs) for a pilot."""
    require_admin(request)
    data = await form_dict(request)
    action = data.get("action")
    if action not in ("enable", "disable"):
        raise ApiError(400, "bad_action", "action must be enable or disable", {"action": "bad"})
    user = current_user(request)
    rt = runtime(request)
    try:
        audience: list[str] = [EVERYONE]
        if action == "enable" and data.get("audience") == "spaces":
            slugs = data.get("spaces", [])
            slugs = [slugs] if isinstance(slugs, str) else list(slugs)
            with rt.db.read() as session:
                audience = audience_for_slugs(session, slugs)
        change_plugin(
            rt,
            request.path_params["name"],
            enabled=action == "enable",
            audience=audience,
            actor=user.username,
            user_id=user.id,
        )
    except UnknownPlugin:
        raise ApiError(404, "unknown_plugin", "No such plugin is installed.") from None
    except PluginUnavailable as exc:
        return _page(request, {"plugin": str(exc)}, 409)
    except ValidationError as exc:
        return _page(request, exc.fields, 422)
    return RedirectResponse("/admin/plugins", status_code=303)


async def plugins_api(request: Request) -> Response:
    """GET /api/v1/admin/plugins: the same rows as JSON."""
    require_admin(request)
    return JSONResponse({"items": plugin_rows(runtime(request))})


PAGE_ROUTES = [
    Route("/admin/plugins", plugins_page, methods=["GET"], name="admin_plugins"),
    Route("/admin/plugins/{name}", plugins_change, methods=["POST"], name="admin_plugin_change"),
]
API_ROUTES = [Route("/api/v1/admin/plugins", plugins_api, methods=["GET"])]
