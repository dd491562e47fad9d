"""Per-request context: the runtime, the user, their access and the active plugins.

Everything here is computed at most once per request and cached on ``request.state``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import lru_cache, partial, wraps
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from ..access_cache import current_generation
from ..enablement import EVERYONE
from ..permissions import (
    ReadScope,
    UserAccess,
    access_of,
    overrides,
    public_space_ids,
    user_can,
)
from ..runtime import Runtime
from ..sql_sets import in_set, large_set, set_parameter

T = TypeVar("T")


def runtime(conn: HTTPConnection) -> Runtime:
    """The runtime of the app serving this request."""
    return conn.app.state.rse


def current_user(conn: HTTPConnection) -> Any:
    """The signed-in user, or None."""
    return getattr(conn.state, "user", None)


def generation(conn: HTTPConnection, session: Session) -> int:
    """The access generation this request works with, read once (before anything it
    tags) and shown to the worker's cache."""
    generation = getattr(conn.state, "generation", None)
    if generation is None:
        generation = current_generation(session)
        runtime(conn).access.observe(generation)
        conn.state.generation = generation
    return generation


def access(conn: HTTPConnection) -> UserAccess:
    """The user's memberships, the public spaces and their active plugins, once per request
    (from the worker's copy while the access generation stands still)."""
    cached = getattr(conn.state, "access", None)
    if cached is None:
        rt, user = runtime(conn), current_user(conn)
        with rt.db.read() as session:
            current = generation(conn, session)
            states = _plugin_states(conn, session, current)
            if user is None:
                cached = access_of(None, {}, frozenset(), states)
            else:
                roles = rt.access.roles(current, session, user.id)
                public = rt.access.shared(current, "public", lambda: public_space_ids(session))
                cached = access_of(user, roles, public, states)
                # The scope (and its JSON for SQL) is the same until the generation moves:
                # building it costs ~1 ms a page with 2,000 public spaces.
                scope = rt.access.for_user(current, user.id, "scope", lambda: cached.principals)
                cached.__dict__["principals"] = scope  # the cached_property's slot
        conn.state.access = cached
    return cached


def principals(conn: HTTPConnection) -> ReadScope:
    """What this request's user may see: their read principals and the plugins active for
    them, one ``ReadScope`` for every read path (see ``permissions.principals_for``)."""
    return access(conn).principals


def _plugin_states(conn: HTTPConnection, session: Session, generation: int) -> dict[str, Any]:
    cached = getattr(conn.state, "plugin_states", None)
    if cached is None:
        rt = runtime(conn)
        cached = rt.access.shared(generation, "states", lambda: rt.plugin_states(session))
        conn.state.plugin_states = cached
    return cached


def plugin_states(conn: HTTPConnection) -> dict[str, Any]:
    """Every installed plugin's enablement as this request sees it (an admin's change
    reaches every worker on its next request)."""
    cached = getattr(conn.state, "plugin_states", None)
    if cached is None:
        with runtime(conn).db.read() as session:
            cached = _plugin_states(conn, session, generation(conn, session))
    return cached


def active_plugins(conn: HTTPConnection) -> frozenset[str]:
    """Names of the installed plugins visible to this request's user (rollout audience:
    ``everyone`` or a space the user is a member of)."""
    return access(conn).plugins


def active_in_space(conn: HTTPConnection, space_id: int) -> frozenset[str]:
    """Plugins active for this user whose audience includes everyone or this space."""
    states = plugin_states(conn)
    wanted = {EVERYONE, f"space:{space_id}"}
    return frozenset(
        name for name in active_plugins(conn) if not wanted.isdisjoint(states[name].audience)
    )


def permission_overrides(conn: HTTPConnection, space_id: int | None) -> Mapping[str, Any]:
    """Permission -> roles overridden for one space (None: site-wide), from the worker's copy
    while the access generation stands still."""
    rt = runtime(conn)
    with rt.db.read() as session:
        current = generation(conn, session)
        return rt.access.shared(
            current, f"overrides:{space_id}", lambda: overrides(session, space_id)
        )


def can(conn: HTTPConnection, permission: str, space: Any = None) -> bool:
    """May this request's user do ``permission`` (in ``space``, or site-wide)?"""
    return user_can(
        None,
        runtime(conn).permissions,
        access(conn),
        permission,
        space,
        overrides_of=partial(permission_overrides, conn),
    )


async def write(conn: HTTPConnection, work: Callable[[Session], T]) -> T:
    """Run ``work(session)`` in one write transaction, off the event loop (it may wait for
    SQLite's write lock or hash a password)."""
    db = runtime(conn).db

    def run() -> T:
        with db.write() as session:
            return work(session)

    result = await run_in_threadpool(run)
    rt = runtime(conn)
    # Index what this write queued, and run the jobs it queued, now rather than at the next tick.
    for background in (rt.indexer, rt.job_worker):
        if background is not None:
            background.wake()
    return result


def reading_page(
    render_page: Callable[[Any], T],
) -> Callable[[Any], Awaitable[T]]:
    """Make a synchronous page function an endpoint whose reads share one session: every
    ``runtime(request).db.read()`` it (and each hook it calls) opens is the same session,
    connection and transaction (``Database.reads_together``). A home page read in eleven
    sessions; on PostgreSQL each was a pool checkout, a ping, a BEGIN and a ROLLBACK.

    The function cannot await, which is what makes this safe: a shared session held across
    an ``await`` would keep its connection while the worker's other requests run."""

    @wraps(render_page)
    async def endpoint(request: Any) -> T:
        with runtime(request).db.reads_together():
            return render_page(request)

    return endpoint


def call_hook(conn: HTTPConnection, hook_name: str, **kwargs: Any) -> list[Any]:
    """Call a hook on the core and the plugins active for this request's user, and return
    the non-None results (for hooks a plugin declares itself through ``rse_addhooks``).

    An implementation that raises loses its contribution (logged), as in every rendering hook.
    """
    active = active_plugins(conn)
    return [result for _name, result in runtime(conn).plugins.collect(hook_name, active, **kwargs)]


def public_base(conn: HTTPConnection) -> str:
    """The site's address for links that leave it (mails, feeds, Activity Streams IRIs): the
    configured ``public_url``, else this request's own."""
    return (runtime(conn).settings.public_url or str(conn.base_url)).rstrip("/")


def member_spaces(conn: HTTPConnection, session: Session) -> tuple[tuple[str, str], ...]:
    """``(slug, name)`` of the spaces the signed-in user belongs to, by name: the choices of a
    "share in" or "write in" menu."""
    acc = access(conn)
    ids = list(acc.roles)
    if not ids:
        return ()

    def load() -> tuple[tuple[str, str], ...]:
        statement = _member_spaces(large_set(ids))
        return tuple((slug, name) for slug, name in session.execute(statement, {"ids": ids}))

    # Kept by the worker like the reader's roles: a space's name changing moves the generation.
    return runtime(conn).access.for_user(generation(conn, session), acc.user.id, "spaces", load)


@lru_cache(maxsize=2)
def _member_spaces(large: bool) -> Any:
    """:func:`member_spaces`'s statement, built once. One parameter for the set (sql_sets):
    someone in 500 spaces bound 500, 1.8 ms a page. The spaces are looked up by their keys
    (``indexed``): checked row by row, every page read all 5,000 spaces (0.5 ms)."""
    from sqlalchemy import select

    from ..identity.models import Space

    ids = set_parameter("ids", integers=True)
    in_spaces = in_set(Space.id, ids, integers=True, large=large, indexed=True)
    return select(Space.slug, Space.name).where(in_spaces).order_by(Space.name)
