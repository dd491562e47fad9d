"""Per-request context: the runtime, the user, their principals and active plugins.

Everything here is computed at most once per request and cached on ``request.state``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection

from ..enablement import EVERYONE, active_names
from ..runtime import Runtime


def runtime(conn: HTTPConnection) -> Runtime:
    """The runtime of the app serving this request."""
    return conn.app.state.rse


def current_user(conn: HTTPConnection) -> Any:
    """The signed-in user, or None."""
    return getattr(conn.state, "user", None)


def principals(conn: HTTPConnection) -> frozenset[str]:
    """The principals of this request's user (see ``permissions.principals_for``)."""
    cached = getattr(conn.state, "principals", None)
    if cached is None:
        cached = frozenset({EVERYONE})
        conn.state.principals = cached
    return cached


def active_plugins(conn: HTTPConnection) -> frozenset[str]:
    """Names of the installed plugins visible to this request's user."""
    cached = getattr(conn.state, "active_plugins", None)
    if cached is None:
        cached = active_names(runtime(conn).plugin_states(), principals(conn))
        conn.state.active_plugins = cached
    return cached


def hooks(conn: HTTPConnection) -> Any:
    """A hook relay calling only the core and the plugins active for this user."""
    return runtime(conn).plugins.relay(active_plugins(conn))
