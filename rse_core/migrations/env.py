"""Alembic environment shared by the core and every plugin.

``rse_core.migrate`` runs it once per component (the core, then each plugin), passing the
connection and the component's own version table through ``config.attributes``.
"""

from alembic import context

import rse_core.models  # noqa: F401  (complete metadata)
from rse_core.db import Base

config = context.config
connection = config.attributes["connection"]

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=config.attributes["version_table"],
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)

with context.begin_transaction():
    context.run_migrations()
