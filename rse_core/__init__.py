"""rse core: identity, permissions, activity, search and the plugin framework.

Plugins import only what this module exports (``__all__``) and implement the hooks in
:mod:`rse_core.hookspecs`.
"""

from .app import create_app
from .db import Base, UTCDateTime, utcnow
from .enablement import EVERYONE
from .hookspecs import hookimpl, hookspec
from .hooktypes import NavItem, Permission
from .runtime import Runtime
from .settings import Settings
from .web.context import active_plugins, current_user, runtime
from .web.errors import ApiError
from .web.templating import render, render_fragment, static_url

__version__ = "0.1.0"

__all__ = [
    "EVERYONE",
    "ApiError",
    "Base",
    "NavItem",
    "Permission",
    "Runtime",
    "Settings",
    "UTCDateTime",
    "__version__",
    "active_plugins",
    "create_app",
    "current_user",
    "hookimpl",
    "hookspec",
    "render",
    "render_fragment",
    "runtime",
    "static_url",
    "utcnow",
]
