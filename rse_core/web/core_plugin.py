"""The core's own hook implementations: it uses the same contract as every plugin."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import BaseRoute

from ..hookspecs import hookimpl
from ..hooktypes import NavItem
from ..settings import Settings
from . import admin, pages
from .context import current_user


@hookimpl
def rse_routes(settings: Settings) -> list[BaseRoute]:
    """Core pages: home and administration."""
    return [*pages.ROUTES, *admin.PAGE_ROUTES]


@hookimpl
def rse_api_routes(settings: Settings) -> list[BaseRoute]:
    """Core API routes."""
    return list(admin.API_ROUTES)


@hookimpl
def rse_nav_items(request: Request) -> list[NavItem]:
    """Home for everyone; Administration for admins."""
    items = [NavItem("Home", "/", order=0)]
    user = current_user(request)
    if user is not None and getattr(user, "is_admin", False):
        items.append(NavItem("Administration", "/admin/plugins", order=1000))
    return items
