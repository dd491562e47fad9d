"""rse core: identity, permissions, activity, search and the plugin framework.

Plugins import only what this module exports (``__all__``) and implement the hooks in
:mod:`rse_core.hookspecs`.
"""

from .app import create_app
from .db import Base, UTCDateTime, utcnow
from .enablement import EVERYONE
from .hookspecs import hookimpl, hookspec
from .hooktypes import NavItem, Permission, SpaceTab
from .identity.models import Space, User
from .markdown import render_markdown
from .permissions import principals_for
from .runtime import Runtime
from .settings import Settings
from .validation import ValidationError
from .web.api import json_body
from .web.auth import signed_in_response
from .web.context import access, active_plugins, can, current_user, principals, runtime, write
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
    "Space",
    "SpaceTab",
    "UTCDateTime",
    "User",
    "ValidationError",
    "__version__",
    "access",
    "active_plugins",
    "can",
    "create_app",
    "current_user",
    "hookimpl",
    "hookspec",
    "json_body",
    "principals",
    "principals_for",
    "render",
    "render_fragment",
    "render_markdown",
    "runtime",
    "signed_in_response",
    "static_url",
    "utcnow",
    "write",
]
