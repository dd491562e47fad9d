"""``create_app(settings)``: build the Starlette app of one installation.

The top of the core's layers: here the web layer's hook implementations join the plugin
manager (``create_runtime``), so the plugin framework below never imports the web layer.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from .jobs.worker import JobWorker
from .runtime import Runtime
from .settings import Settings
from .web import core_plugin
from .web.auth import AuthMiddleware, CSRFMiddleware
from .web.errors import EXCEPTION_HANDLERS
from .web.middleware import FreezeAfterWarmUp, SecurityHeadersMiddleware
from .web.routing import plugin_routes
from .web.templating import make_environment

CORE_STATIC = Path(__file__).parent / "static"
#: The core's own hook implementations, registered first in every plugin manager.
CORE_PLUGINS: tuple[tuple[str, object], ...] = (("core.web", core_plugin),)


def create_runtime(
    settings: Settings, *, extra_plugins: Sequence[tuple[str, object]] = ()
) -> Runtime:
    """The runtime of one installation (settings, database, plugins), for the app, the CLI
    and scripts: a fresh plugin manager with the core's implementations and the installed
    plugins.

    :param extra_plugins: ``(name, plugin)`` pairs registered as installed plugins (tests).
    """
    return Runtime.create(settings, core_plugins=CORE_PLUGINS, extra_plugins=extra_plugins)


def create_app(
    settings: Settings | None = None,
    *,
    extra_plugins: Sequence[tuple[str, object]] = (),
    freeze_at_start: bool = False,
) -> Starlette:
    """Return a Starlette app with a fresh plugin manager.

    :param settings: the installation's settings; ``Settings.load()`` when omitted.
    :param extra_plugins: ``(name, plugin)`` pairs registered as installed plugins (tests).
    :param freeze_at_start: once started, and after its first requests
        (:class:`~rse_core.web.middleware.FreezeAfterWarmUp`), move every object made so far
        out of the garbage collector's walks (``gc.freeze()``), for a process that serves this
        app for the rest of its life (:func:`serving_app`); not for tests, which build many
        apps in one process.

    The database must have been migrated (``rse init`` or ``rse migrate``).
    """
    settings = (settings or Settings.load()).ensure_secret_key()
    rt = create_runtime(settings, extra_plugins=extra_plugins)
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

            rt.indexer = BackgroundIndexer(rt.db, rt.search, rt.plugins, settings=settings)
            rt.indexer.start()
        if rt.job_worker is None and settings.jobs_worker == "inprocess":
            rt.job_worker = JobWorker(rt)
            rt.job_worker.start()
        if freeze_at_start:
            # Mappers, templates, catalogs and modules live as long as the worker: a full
            # collection walked them all, a page's pause now and then (who knows at 100,000
            # activities: p95 175 -> 93 ms, docs/performance.md).
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            rt.lifespans -= 1
            if rt.lifespans == 0:
                if rt.indexer is not None:
                    rt.indexer.stop()
                    rt.indexer = None
                if rt.job_worker is not None:
                    # A job cut short is taken again once its lease runs out: stopping
                    # quickly matters more (within 5 s of SIGTERM, whatever is running).
                    rt.job_worker.stop(timeout=2.0)
                    rt.job_worker = None
                rt.close()

    app = Starlette(
        debug=False,
        routes=routes,
        middleware=[
            *([Middleware(FreezeAfterWarmUp)] if freeze_at_start else []),
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


def serving_app() -> Starlette:
    """The app as each ``rse serve`` worker runs it (uvicorn's factory): :func:`create_app`
    with the installation's settings, frozen once started."""
    return create_app(freeze_at_start=True)
