"""The admin's plugin page and its JSON twin: installed, enabled, for whom, and the log."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..enablement import EVERYONE, recent_log
from ..runtime import UnknownPlugin, change_plugin
from .context import current_user, runtime
from .errors import ApiError
from .guards import require_admin
from .templating import render


def plugin_rows(request: Request) -> list[dict[str, object]]:
    """One row per installed plugin, as the page and the API show it."""
    rt = runtime(request)
    states = rt.plugin_states()
    rows = []
    for name, info in sorted(rt.plugins.installed.items()):
        state = states.get(name)
        rows.append(
            {
                "name": name,
                "version": info.version,
                "distribution": info.distribution,
                "loaded": info.loaded,
                "error": info.error,
                **(state.as_json() if state else {"enabled": False, "audience": []}),
            }
        )
    return rows


async def plugins_page(request: Request) -> Response:
    """GET /admin/plugins: the list with enable and disable buttons, and the change log."""
    require_admin(request)
    with runtime(request).db.read() as session:
        log_rows = recent_log(session)
    return render(request, "admin/plugins.html", {"plugins": plugin_rows(request), "log": log_rows})


def _actor(request: Request) -> tuple[str, int | None]:
    user = current_user(request)
    return (getattr(user, "username", "admin"), getattr(user, "id", None))


async def plugins_change(request: Request) -> Response:
    """POST /admin/plugins/{name}: ``action=enable|disable``."""
    require_admin(request)
    form = await request.form()
    action = form.get("action")
    if action not in ("enable", "disable"):
        raise ApiError(400, "bad_action", "action must be enable or disable", {"action": "bad"})
    actor, user_id = _actor(request)
    try:
        change_plugin(
            runtime(request),
            request.path_params["name"],
            enabled=action == "enable",
            audience=(EVERYONE,),
            actor=actor,
            user_id=user_id,
        )
    except UnknownPlugin:
        raise ApiError(404, "unknown_plugin", "No such plugin is installed.") from None
    return RedirectResponse("/admin/plugins", status_code=303)


async def plugins_api(request: Request) -> Response:
    """GET /api/v1/admin/plugins: the same rows as JSON."""
    require_admin(request)
    return JSONResponse({"items": plugin_rows(request)})


PAGE_ROUTES = [
    Route("/admin/plugins", plugins_page, methods=["GET"], name="admin_plugins"),
    Route("/admin/plugins/{name}", plugins_change, methods=["POST"], name="admin_plugin_change"),
]
API_ROUTES = [Route("/api/v1/admin/plugins", plugins_api, methods=["GET"])]
