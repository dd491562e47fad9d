"""``create_app(settings)``: build the Starlette app of one installation."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from .runtime import Runtime
from .settings import Settings
from .web.auth import AuthMiddleware, CSRFMiddleware
from .web.errors import EXCEPTION_HANDLERS
from .web.middleware import SecurityHeadersMiddleware
from .web.routing import plugin_routes
from .web.templating import make_environment

CORE_STATIC = Path(__file__).parent / "static"


def create_app(
    settings: Settings | None = None,
    *,
    extra_plugins: Sequence[tuple[str, object]] = (),
) -> Starlette:
    """Return a Starlette app with a fresh plugin manager.

    :param settings: the installation's settings; ``Settings.load()`` when omitted.
    :param extra_plugins: ``(name, plugin)`` pairs registered as installed plugins (tests).

    The database must have been migrated (``rse init`` or ``rse migrate``).
    """
    settings = (settings or Settings.load()).ensure_secret_key()
    rt = Runtime.create(settings, extra_plugins=extra_plugins)
    routes = [
        *plugin_routes(rt.plugins, settings),
        Mount("/static/core", app=StaticFiles(directory=str(CORE_STATIC)), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Counted: tests run one app under several clients at once, and the first to stop
        # must not close what the others still use (the indexer, the connections).
        rt.lifespans += 1
        rt.plugins.per_plugin("rse_startup", app=app)
        if rt.indexer is None and rt.search is not None and settings.search_indexer == "inprocess":
            from .search.indexer import BackgroundIndexer

            rt.indexer = BackgroundIndexer(rt.db, rt.search, rt.plugins)
            rt.indexer.start()
        try:
            yield
        finally:
            rt.lifespans -= 1
            if rt.lifespans == 0:
                if rt.indexer is not None:
                    rt.indexer.stop()
                    rt.indexer = None
                rt.close()

    app = Starlette(
        debug=False,
        routes=routes,
        middleware=[
            Middleware(SecurityHeadersMiddleware),
            Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts)),
            Middleware(AuthMiddleware),
            Middleware(CSRFMiddleware),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.rse = rt
    app.state.templates = make_environment(settings, rt.plugins)
    return app
