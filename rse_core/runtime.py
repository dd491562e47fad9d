"""The runtime: what one installation holds while it runs (settings, database, plugins).

The web app keeps it as ``app.state.rse``; the CLI builds one without a web app.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from .access_cache import AccessCache, watch_writes
from .adoption import Visits
from .db import Database
from .enablement import PluginState, load_states, set_enablement
from .expertise import Evaluator, watch_evidence
from .hooktypes import EvidenceKind, Job, Permission
from .i18n import Catalogs
from .plugins import CORE_PREFIX, PluginRegistry, make_plugin_registry
from .settings import Settings


class Runtime:
    """Settings, database and plugin registry of one installation."""

    def __init__(self, settings: Settings, db: Database, plugins: PluginRegistry) -> None:
        self.settings = settings
        self.db = db
        watch_writes(db)
        #: This worker's copy of the access data (see access_cache.py).
        self.access = AccessCache()
        self.plugins = plugins
        self.permissions: dict[str, Permission] = _declared(
            plugins, "rse_permissions", "permission"
        )
        self.content_types = _content_types(plugins)
        self.jobs: dict[str, Job] = _declared(plugins, "rse_jobs", "job")
        self.evidence_kinds: dict[str, EvidenceKind] = _declared(
            plugins, "rse_evidence_kinds", "evidence kind"
        )
        #: How expertise is found and weighed; kept current at each write's commit.
        self.evaluator = Evaluator(self.evidence_kinds, plugins.hook.rse_evidence)
        watch_evidence(db, self.evaluator)
        self._search: Any = None
        self.lifespans = 0  # running app lifespans (see app.py)
        self.catalogs = Catalogs([path for _name, path in plugins.directories("locale")])
        self.indexer: Any = None  # the in-process BackgroundIndexer, when this process runs one
        self.job_worker: Any = None  # the in-process JobWorker, when this process runs one
        #: Who this worker already counted as visiting today (adoption figures).
        self.visits = Visits()

    @classmethod
    def create(
        cls,
        settings: Settings,
        *,
        core_plugins: Sequence[tuple[str, object]],
        extra_plugins: Sequence[tuple[str, object]] = (),
    ) -> Runtime:
        """Build the runtime: a fresh plugin manager and a database engine.

        :param core_plugins: the core's own hook implementations; ``rse_core.app``'s
            ``create_runtime`` passes them (this layer does not know the web layer).
        """
        registry = make_plugin_registry(
            load_entry_points=settings.load_entry_points,
            extra_plugins=extra_plugins,
            trace=settings.trace_hooks,
            core_plugins=core_plugins,
        )
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return cls(settings, Database(settings.database_url), registry)

    @property
    def search(self) -> Any:
        """The search backend (opened on first use), or None when search is off."""
        if self.settings.search_backend == "none":
            return None
        if self._search is None:
            if self.settings.search_backend == "postgres":
                from .search.postgres_backend import PostgresBackend

                self._search = PostgresBackend(self.db)
            elif self.settings.search_backend == "whoosh":
                from .search.whoosh_backend import WhooshBackend

                self._search = WhooshBackend(self.settings.data_dir / "search")
            else:
                raise ValueError(
                    f"unknown search backend {self.settings.search_backend!r}"
                    " (RSE_SEARCH_BACKEND: whoosh, postgres or none)"
                )
        return self._search

    def close(self) -> None:
        """Close the search backend (if it was opened) and the database's connections."""
        if self._search is not None:
            self._search.close()
        self.db.dispose()

    def plugin_states(self, session: Session | None = None) -> dict[str, PluginState]:
        """The enablement of every installed plugin (never-enabled ones included), read in
        ``session`` or a session of its own."""
        if session is None:
            with self.db.read() as own:
                return self.plugin_states(own)
        stored = load_states(session)
        return {
            name: stored.get(name, PluginState(name, False, ()))
            for name in self.plugins.plugin_names()
        }


def _owner(plugin_name: str) -> str:
    return "core" if plugin_name.startswith(CORE_PREFIX) else plugin_name


def _require_prefix(plugin_name: str, what: str, name: str) -> None:
    """A plugin names only its own things: ``<plugin>.<name>`` (``core.`` for the core)."""
    owner = _owner(plugin_name)
    if not name.startswith(f"{owner}."):
        raise ValueError(
            f"plugin {plugin_name!r} {what} {name!r}, which must start with {owner + '.'!r}"
        )


def _declared(plugins: PluginRegistry, hook_name: str, what: str) -> dict[str, Any]:
    """What plugins declare through ``hook_name`` (permissions, jobs), by name: each name
    starts with its plugin's, and none is declared twice."""
    registry: dict[str, Any] = {}
    for plugin_name, items in plugins.per_plugin(hook_name):
        for item in items:
            _require_prefix(plugin_name, f"declares {what}", item.name)
            if item.name in registry:
                raise ValueError(f"{what} {item.name!r} is declared twice")
            registry[item.name] = item
    return registry


def _content_types(plugins: PluginRegistry) -> dict[str, str]:
    names: dict[str, str] = {}
    for plugin_name, types in plugins.per_plugin("rse_content_types"):
        for content_type, name in (types or {}).items():
            if _owner(plugin_name) != "core":  # the core's search kinds ("person") are bare
                _require_prefix(plugin_name, "names content type", content_type)
            names[content_type] = name
    return names


class UnknownPlugin(LookupError):
    """The named plugin is not installed."""


class PluginUnavailable(Exception):
    """The named plugin is installed but cannot be enabled: it failed to load, or was built
    for another rse-core. ``reason`` says which."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name} cannot be enabled: {reason}")
        self.name, self.reason = name, reason


def change_plugin(
    rt: Runtime,
    name: str,
    *,
    enabled: bool,
    audience: Sequence[str] = ("everyone",),
    actor: str,
    user_id: int | None = None,
) -> PluginState:
    """Enable or disable an installed plugin for an audience, logging who did it."""
    info = rt.plugins.installed.get(name)
    if info is None:
        raise UnknownPlugin(name)
    if enabled and not info.loaded:
        raise PluginUnavailable(name, info.error or "it did not load")
    with rt.db.write() as session:
        return set_enablement(
            session, name, enabled=enabled, audience=audience, actor=actor, user_id=user_id
        )
