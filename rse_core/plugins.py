"""Plugin discovery and the plugin manager, built by a factory for each app (never at import).

Installed plugins come from the entry point group ``rse.plugins``; the entry point's name is the
plugin's name. The app factory registers the core's own hook implementations too, as
always-active plugins named ``core.*``, so the core uses the same contract as everyone else.
This module sits below the web layer: it knows the contract (``hookspecs``) and nothing else
of the core.
"""

from __future__ import annotations

import importlib.metadata
import logging
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pluggy
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from . import hookspecs
from ._version import __version__ as CORE_VERSION
from .hookspecs import PROJECT

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "rse.plugins"
PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CORE_PREFIX = "core."
CORE_DISTRIBUTION = "rse-core"
#: The directories a plugin package may hold, found by convention beside its hooks module;
#: ``rse_<kind>_dir`` overrides each for a package laid out differently.
ASSET_KINDS = ("templates", "static", "locale", "migrations")


@dataclass(frozen=True)
class PluginInfo:
    """What is known about one installed plugin.

    ``error`` says why it is not loaded: it failed to import or register, or (``incompatible``)
    its distribution was built for another range of rse-core and was not imported at all.
    """

    name: str
    version: str
    distribution: str
    module: str
    error: str | None = None
    incompatible: bool = False
    summary: str = ""

    @property
    def loaded(self) -> bool:
        """True when the plugin imported and registered without error."""
        return self.error is None

    @property
    def status(self) -> str:
        """``loaded``, ``incompatible`` or ``failed``."""
        if self.loaded:
            return "loaded"
        return "incompatible" if self.incompatible else "failed"


class PluginRegistry:
    """The pluggy manager plus what the core needs around it.

    * ``installed``: plugins found through entry points (or given explicitly), by name.
    * ``collect(hook, active, **kwargs)``: call a rendering hook plugin by plugin, logging and
      skipping a plugin that raises.
    * ``per_plugin(hook, **kwargs)``: call an installation hook and get each plugin's answer.
    * ``directories(kind)``: each plugin's templates, static, locale or migrations directory.
    """

    def __init__(
        self,
        pm: pluggy.PluginManager,
        installed: dict[str, PluginInfo],
        *,
        trace: bool = False,
        package_dirs: dict[str, Path] | None = None,
    ) -> None:
        self.pm = pm
        self.installed = installed
        self.trace = trace
        self.package_dirs = package_dirs or {}
        #: How many implementations each hook has run through ``collect``/``per_plugin``
        #: (the tests bound a page's count; a plain counter costs ~0.1 µs a call).
        self.calls: Counter[str] = Counter()

    @property
    def hook(self) -> Any:
        """The unfiltered hook relay: every registered plugin, enabled or not."""
        return self.pm.hook

    def plugin_names(self) -> list[str]:
        """Names of the installed plugins that loaded, sorted."""
        return sorted(name for name, info in self.installed.items() if info.loaded)

    def directories(self, kind: str) -> list[tuple[str, Path]]:
        """``(plugin name, directory)`` for every loaded plugin that has a ``kind`` directory
        (one of :data:`ASSET_KINDS`), sorted by plugin name.

        A plugin's ``rse_<kind>_dir`` hook answers first; without one (or when it returns
        None) the ``<kind>/`` directory beside the plugin's hooks module counts, if present.
        """
        if kind not in ASSET_KINDS:
            raise ValueError(f"unknown plugin directory kind {kind!r}")
        found = {
            name: Path(path)
            for name, path in self.per_plugin(f"rse_{kind}_dir")
            if not name.startswith(CORE_PREFIX)
        }
        for name, package_dir in self.package_dirs.items():
            if name not in found and (package_dir / kind).is_dir():
                found[name] = package_dir / kind
        return sorted(found.items())

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
            self.calls[hook_name] += 1
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


def compatibility_problem(
    dist: importlib.metadata.Distribution | None, core_version: str = CORE_VERSION
) -> str | None:
    """Why a plugin distribution cannot run on this core, or None when it can.

    The distribution states the core it was built for through its ``rse-core`` dependency
    (``rse-core>=0.2,<0.3``). No such dependency, or no range, means no constraint.
    """
    if dist is None:
        return None
    for line in dist.requires or ():
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if canonicalize_name(requirement.name) != CORE_DISTRIBUTION:
            continue
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        if requirement.specifier and not requirement.specifier.contains(
            Version(core_version), prereleases=True
        ):
            return (
                f"built for rse-core {requirement.specifier}; "
                f"this installation runs rse-core {core_version}"
            )
    return None


def _package_dir(plugin: object) -> Path | None:
    """The directory of a plugin registered as a module (its hooks module's folder)."""
    filename = getattr(plugin, "__file__", None)
    return Path(filename).resolve().parent if isinstance(filename, str) else None


def _describe(dist: importlib.metadata.Distribution | None) -> dict[str, str]:
    """What the plugin list shows of a plugin's distribution (a plugin given in code has
    none)."""
    if dist is None:
        return {"distribution": "(given)", "version": "0", "summary": ""}
    return {
        "distribution": dist.name,
        "version": dist.version,
        "summary": dist.metadata["Summary"] or "",
    }


@dataclass(frozen=True)
class _Installed:
    """An installed plugin's entry point and what its distribution says of it."""

    name: str
    entry_point: importlib.metadata.EntryPoint
    describe: dict[str, str]
    problem: str | None


#: The installed plugins, read once per process and import path: distributions do not change
#: under a running process, and reading each one's metadata made building the registry 29 ms
#: instead of 14 (the test suite builds hundreds). Keyed also by the function listing entry
#: points, so that a test which replaces it, or puts a distribution on the path, gets an
#: answer of its own.
_INSTALLED: dict[tuple[object, tuple[str, ...]], tuple[_Installed, ...]] = {}


def _installed_plugins() -> tuple[_Installed, ...]:
    lister = importlib.metadata.entry_points
    key = (lister, tuple(sys.path))
    found = _INSTALLED.get(key)
    if found is None:
        found = tuple(
            _Installed(ep.name, ep, _describe(ep.dist), compatibility_problem(ep.dist))
            for ep in lister(group=ENTRY_POINT_GROUP)
        )
        _INSTALLED[key] = found
    return found


def make_plugin_registry(
    *,
    load_entry_points: bool = True,
    extra_plugins: Sequence[tuple[str, object]] = (),
    trace: bool = False,
    core_plugins: Sequence[tuple[str, object]] = (),
) -> PluginRegistry:
    """Build a fresh plugin manager: hookspecs, core plugins, installed plugins.

    :param load_entry_points: discover installed plugins from the ``rse.plugins`` group.
    :param extra_plugins: ``(name, plugin object)`` pairs registered as installed plugins,
        for tests and for embedding rse.
    :param trace: print every hook call to stderr (``RSE_TRACE_HOOKS=1``).
    :param core_plugins: ``(core.<name>, module)`` pairs: the core's own implementations,
        always active (the app factory passes them).

    A plugin whose distribution was built for another rse-core is listed as incompatible and
    not imported. After every plugin registered, ``rse_addhooks`` lets plugins add hookspecs
    of their own; then a hook implementation matching no spec is an error.
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    for name, plugin in core_plugins:
        pm.register(plugin, name=name)
    installed: dict[str, PluginInfo] = {}
    package_dirs: dict[str, Path] = {}
    candidates: list[tuple[str, Any, _Installed | None]] = []
    if load_entry_points:
        for found in _installed_plugins():
            candidates.append((found.name, found.entry_point, found))
    for name, plugin in extra_plugins:
        candidates.append((name, plugin, None))
    for name, source, found in sorted(candidates, key=lambda c: c[0]):
        if not PLUGIN_NAME.match(name) or name in installed:
            log.error("ignoring plugin with a bad or duplicate name: %r", name)
            continue
        module = getattr(source, "value", getattr(source, "__name__", repr(source)))
        describe = found.describe if found else _describe(None)
        problem = found.problem if found else None
        if problem:
            log.error("plugin %r is not loaded: %s", name, problem)
            installed[name] = PluginInfo(
                name, module=module, error=problem, incompatible=True, **describe
            )
            continue
        try:
            plugin = source.load() if isinstance(source, importlib.metadata.EntryPoint) else source
            pm.register(plugin, name=name)
        except Exception as exc:  # a broken plugin must not take the app down
            log.exception("plugin %r failed to load", name)
            installed[name] = PluginInfo(name, module=module, error=repr(exc), **describe)
            continue
        installed[name] = PluginInfo(name, module=module, **describe)
        if (package_dir := _package_dir(plugin)) is not None:
            package_dirs[name] = package_dir
    pm.hook.rse_addhooks(pluginmanager=pm)
    _check_plugin_hookspecs(pm)
    pm.check_pending()
    if trace:
        pm.trace.root.setwriter(_trace_writer)
        pm.enable_tracing()
    return PluginRegistry(pm, installed, trace=trace, package_dirs=package_dirs)


def _check_plugin_hookspecs(pm: pluggy.PluginManager) -> None:
    """Hooks named ``rse_*`` belong to the core's contract; a plugin's own start with its name."""
    for name, caller in vars(pm.hook).items():
        spec = getattr(caller, "spec", None)
        if spec is not None and spec.namespace is not hookspecs and name.startswith("rse_"):
            raise ValueError(
                f"a plugin declares hook {name!r}: rse_* names are the core's; "
                "name a plugin's own hooks after the plugin (wiki_page_macros)"
            )
