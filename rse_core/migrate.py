"""Run alembic migrations for the core and every installed plugin.

Each component keeps its own history in its own version table (``alembic_version_core``,
``alembic_version_<plugin>``). Uninstalling a plugin therefore leaves a version table nobody
reads instead of a revision alembic cannot locate: the rest keeps migrating, and reinstalling
the plugin carries on where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect

from .db import Database
from .plugins import PluginRegistry

if TYPE_CHECKING:
    from alembic.config import Config

# alembic is imported by the functions that migrate: the commands that do not (``rse users``,
# ``rse jobs``...) start ~0.1 s sooner without it.

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
CORE_COMPONENT = "core"


@dataclass(frozen=True)
class Component:
    """One migration history: the core's or a plugin's."""

    name: str
    versions_dir: Path

    @property
    def version_table(self) -> str:
        """The table recording this component's applied revision."""
        return f"alembic_version_{self.name}"


def components(registry: PluginRegistry) -> list[Component]:
    """The core first, then every installed plugin that ships migrations, by name."""
    found = [Component(CORE_COMPONENT, MIGRATIONS_DIR / "versions")]
    for name, path in registry.directories("migrations"):
        found.append(Component(name, path))
    return found


def _config(component: Component) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(component.versions_dir))
    cfg.attributes["version_table"] = component.version_table
    return cfg


def upgrade(db: Database, registry: PluginRegistry) -> dict[str, tuple[str, ...]]:
    """Upgrade every component to its heads; return each component's revisions afterwards."""
    from alembic import command

    for component in components(registry):
        cfg = _config(component)
        with db.engine.execution_options(rse_write=True).connect() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "heads")
            connection.commit()
    return current(db, registry)


def current(db: Database, registry: PluginRegistry) -> dict[str, tuple[str, ...]]:
    """Each component's applied revisions (empty when never migrated)."""
    from alembic.runtime.migration import MigrationContext

    result: dict[str, tuple[str, ...]] = {}
    with db.engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        for component in components(registry):
            if component.version_table not in tables:
                result[component.name] = ()
                continue
            context = MigrationContext.configure(
                connection, opts={"version_table": component.version_table}
            )
            result[component.name] = tuple(sorted(context.get_current_heads()))
    return result


def pending(db: Database, registry: PluginRegistry) -> list[str]:
    """Names of components whose database is behind their scripts' heads."""
    from alembic.script import ScriptDirectory

    applied = current(db, registry)
    behind = []
    for component in components(registry):
        heads = ScriptDirectory.from_config(_config(component)).get_heads()
        if set(applied.get(component.name, ())) != set(heads):
            behind.append(component.name)
    return behind
