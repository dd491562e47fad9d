"""Plugin discovery and the plugin manager, built by a factory for each app (never at import).

Installed plugins come from the entry point group ``rse.plugins``; the entry point's name is the
plugin's name. The core's own hook implementations are registered too, as always-active plugins
named ``core.*``, so the core uses the same contract as everyone else.
"""

from __future__ import annotations

import importlib.metadata
import logging
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pluggy

from . import hookspecs
from .hookspecs import PROJECT

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "rse.plugins"
PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CORE_PREFIX = "core."


@dataclass(frozen=True)
class PluginInfo:
    """What is known about one installed plugin."""

    name: str
    version: str
    distribution: str
    module: str
    error: str | None = None

    @property
    def loaded(self) -> bool:
        """True when the plugin imported and registered without error."""
        return self.error is None


class PluginRegistry:
    """The pluggy manager plus what the core needs around it.

    * ``installed``: plugins found through entry points (or given explicitly), by name.
    * ``collect(hook, active, **kwargs)``: call a rendering hook plugin by plugin, logging and
      skipping a plugin that raises.
    * ``per_plugin(hook, **kwargs)``: call an installation hook and get each plugin's answer.
    """

    def __init__(
        self, pm: pluggy.PluginManager, installed: dict[str, PluginInfo], *, trace: bool = False
    ) -> None:
        self.pm = pm
        self.installed = installed
        self.trace = trace

    @property
    def hook(self) -> Any:
        """The unfiltered hook relay: every registered plugin, enabled or not."""
        return self.pm.hook

    def plugin_names(self) -> list[str]:
        """Names of the installed plugins that loaded, sorted."""
        return sorted(name for name, info in self.installed.items() if info.loaded)

    def per_plugin(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call an installation hook on every plugin; return ``(plugin name, result)`` pairs.

        None results are dropped. Exceptions propagate: a plugin that cannot describe itself
        stops the start-up.
        """
        return [
            (name, result)
            for name, result in self._call_each(hook_name, kwargs, None, safe=False)
            if result is not None
        ]

    def collect(
        self, hook_name: str, active: Iterable[str], **kwargs: Any
    ) -> list[tuple[str, Any]]:
        """Call a rendering hook on the core and the ``active`` plugins, isolating failures."""
        allowed = frozenset(active)
        return [
            (name, result)
            for name, result in self._call_each(hook_name, kwargs, allowed, safe=True)
            if result is not None
        ]

    def _call_each(
        self,
        hook_name: str,
        kwargs: dict[str, Any],
        allowed: frozenset[str] | None,
        *,
        safe: bool,
    ) -> Iterable[tuple[str, Any]]:
        caller = getattr(self.pm.hook, hook_name)
        # pluggy calls the last registered first; keep that order (LIFO) for consistency.
        for impl in reversed(caller.get_hookimpls()):
            if impl.hookwrapper or impl.wrapper:
                continue
            name = impl.plugin_name
            if allowed is not None and not name.startswith(CORE_PREFIX) and name not in allowed:
                continue
            args = [kwargs[arg] for arg in impl.argnames]
            if self.trace:
                _trace_writer(f"rse hook {hook_name} -> {name}\n")
            if not safe:
                yield name, impl.function(*args)
                continue
            try:
                yield name, impl.function(*args)
            except Exception:
                log.exception(
                    "plugin %r failed in %s; its contribution is skipped", name, hook_name
                )


def _trace_writer(message: str) -> None:
    sys.stderr.write(message)


@lru_cache(maxsize=1)
def _default_core_plugins() -> tuple[tuple[str, object], ...]:
    from .web import core_plugin

    return (("core.web", core_plugin),)


def make_plugin_registry(
    *,
    load_entry_points: bool = True,
    extra_plugins: Sequence[tuple[str, object]] = (),
    trace: bool = False,
    core_plugins: Sequence[tuple[str, object]] | None = None,
) -> PluginRegistry:
    """Build a fresh plugin manager: hookspecs, core plugins, installed plugins.

    :param load_entry_points: discover installed plugins from the ``rse.plugins`` group.
    :param extra_plugins: ``(name, plugin object)`` pairs registered as installed plugins,
        for tests and for embedding rse.
    :param trace: print every hook call to stderr (``RSE_TRACE_HOOKS=1``).
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    for name, plugin in _default_core_plugins() if core_plugins is None else core_plugins:
        pm.register(plugin, name=name)
    installed: dict[str, PluginInfo] = {}
    candidates: list[tuple[str, Any, str, str]] = []
    if load_entry_points:
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = ep.dist
            candidates.append(
                (ep.name, ep, dist.name if dist else "?", dist.version if dist else "?")
            )
    for name, plugin in extra_plugins:
        candidates.append((name, plugin, "(given)", "0"))
    for name, source, dist_name, version in sorted(candidates, key=lambda c: c[0]):
        if not PLUGIN_NAME.match(name) or name in installed:
            log.error("ignoring plugin with a bad or duplicate name: %r", name)
            continue
        module = getattr(source, "value", getattr(source, "__name__", repr(source)))
        try:
            plugin = source.load() if isinstance(source, importlib.metadata.EntryPoint) else source
            pm.register(plugin, name=name)
        except Exception as exc:  # a broken plugin must not take the app down
            log.exception("plugin %r failed to load", name)
            installed[name] = PluginInfo(name, version, dist_name, module, error=repr(exc))
            continue
        installed[name] = PluginInfo(name, version, dist_name, module)
    pm.check_pending()
    if trace:
        pm.trace.root.setwriter(_trace_writer)
        pm.enable_tracing()
    return PluginRegistry(pm, installed, trace=trace)
