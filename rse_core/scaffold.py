"""``rse new-plugin NAME``: write a working plugin distribution to start from.

The files come from ``scaffold_template/``: ``%%name%%`` and friends are replaced in paths
(``NAME``) and contents. What is written passes its own tests the moment it exists, and uses
only rse_core's public API and the plugin kit's conventions.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from datetime import date
from pathlib import Path

from ._version import __version__
from .plugins import ENTRY_POINT_GROUP, PLUGIN_NAME

TEMPLATE_DIR = Path(__file__).parent / "scaffold_template"
#: Names that would collide with the core's URLs, template namespaces or packages.
RESERVED = frozenset(
    {
        "core",
        "api",
        "static",
        "admin",
        "login",
        "logout",
        "people",
        "spaces",
        "search",
        "notifications",
        "content",
        "stream",
        "feeds",
        "default",
        "testing",
    }
)


class ScaffoldError(ValueError):
    """The plugin cannot be written (bad or taken name, non-empty target); nothing was."""


def check_name(name: str) -> None:
    """Refuse a name that is not a valid plugin name, is reserved, or is taken."""
    if not PLUGIN_NAME.match(name):
        raise ScaffoldError(
            f"{name!r} is not a valid plugin name: lower-case letters, digits and _, "
            "starting with a letter, at most 40 characters (e.g. kudos)"
        )
    if name in RESERVED:
        raise ScaffoldError(f"{name!r} is reserved by rse's own pages; choose another name")
    installed = {ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    if name in installed:
        raise ScaffoldError(f"a plugin named {name!r} is already installed (rse plugins list)")
    if importlib.util.find_spec(f"rse_{name}") is not None:
        raise ScaffoldError(f"a package rse_{name} is already importable here")


def new_plugin(name: str, directory: Path) -> Path:
    """Write the distribution ``rse-<name>`` into ``directory``; return its folder.

    Raises :class:`ScaffoldError`, having written nothing, for a bad or taken name or a
    target folder that exists and is not empty.
    """
    check_name(name)
    dist = "rse-" + name.replace("_", "-")
    target = directory / dist
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ScaffoldError(f"{target} exists and is not empty; choose another --directory")
    major, minor = (int(part) for part in __version__.split(".")[:2])
    values = {
        "%%name%%": name,
        "%%dist%%": dist,
        "%%title%%": name.replace("_", " ").title(),
        "%%core_min%%": f"{major}.{minor}",
        "%%core_next%%": f"{major}.{minor + 1}",
        "%%date%%": date.today().isoformat(),
    }
    files = {}
    for source in sorted(TEMPLATE_DIR.rglob("*.tmpl")):
        relative = source.relative_to(TEMPLATE_DIR).as_posix().removesuffix(".tmpl")
        relative = relative.replace("NAME", name)
        text = source.read_text(encoding="utf-8")
        for token, value in values.items():
            text = text.replace(token, value)
        files[target / relative] = text
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return target
