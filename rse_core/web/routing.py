"""Routes contributed by plugins, gated per request on the plugin being active for the user."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection
from starlette.routing import BaseRoute, Match, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from ..plugins import CORE_PREFIX, PluginRegistry
from ..settings import Settings
from .context import active_plugins
from .contract import ApiRoute

API_PREFIX = "/api/v1"
FEEDS_PREFIX = "/feeds/"


class PluginRoute(BaseRoute):
    """Wraps a plugin's route: it matches as the original, but answers 404 to a user for whom
    the plugin is not active (disabled, or enabled for an audience the user is not in).

    Routes under ``/feeds/<plugin>/`` are for feed readers, which have no session: their
    handler finds its reader with ``feed_reader(..., plugin=...)``, which applies the same
    rollout."""

    def __init__(self, route: BaseRoute, plugin: str) -> None:
        self.route = route
        self.plugin = plugin

    def __getattr__(self, name: str) -> Any:  # path, name, endpoint, methods... for schemas
        return getattr(self.route, name)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        return self.route.matches(scope)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        return self.route.url_path_for(name, **path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        gated = not scope["path"].startswith(f"{FEEDS_PREFIX}{self.plugin}/")
        if gated and self.plugin not in active_plugins(HTTPConnection(scope)):
            raise HTTPException(404)
        await self.route.handle(scope, receive, send)


def _route_paths(route: BaseRoute) -> list[str]:
    path = getattr(route, "path", "")
    if isinstance(route, Mount):
        return [path + sub for sub in (_p for r in route.routes for _p in _route_paths(r))] or [
            path
        ]
    return [path]


def plugin_routes(registry: PluginRegistry, settings: Settings) -> list[BaseRoute]:
    """Every route of the core and the installed plugins, plugins' wrapped in a gate."""
    routes: list[BaseRoute] = []
    for hook_name in ("rse_api_routes", "rse_routes"):
        for name, contributed in registry.per_plugin(hook_name, settings=settings):
            core = name.startswith(CORE_PREFIX)
            for route in contributed:
                if hook_name == "rse_api_routes" and not core:
                    _check_api_path(name, route)
                routes.append(route if core else PluginRoute(route, name))
    for name, directory in registry.directories("static"):
        mount = Mount(
            f"/static/plugins/{name}", app=StaticFiles(directory=str(directory)), name=name
        )
        routes.append(PluginRoute(mount, name))
    return routes


def _check_api_path(plugin: str, route: BaseRoute) -> None:
    if not isinstance(route, ApiRoute):
        path = getattr(route, "path", route)
        raise ValueError(
            f"plugin {plugin!r} API route {path!r} is not declared: make it with"
            " rse_core.api_routes() from handlers declared with @rse_core.api(...)"
        )
    prefix = f"{API_PREFIX}/{plugin}"
    for path in _route_paths(route):
        if path != prefix and not path.startswith(prefix + "/"):
            raise ValueError(f"plugin {plugin!r} API route {path!r} must live under {prefix}")
