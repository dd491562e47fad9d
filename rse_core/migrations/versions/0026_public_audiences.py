"""The public spaces' principals as a table the visibility predicate reads, kept by triggers.

Every employee reads every public space, so a reader's principals named each of them: ~2,250
values at the seeds' 5,000 spaces, which SQLite built into a set (``json_each``) in every
statement that filters by audience (~0.35 ms a statement, docs/performance.md). On SQLite
``rse_core.visible()`` now compares an audience with the reader's own principals (everyone,
themselves, their spaces) or reads ``audience IN (SELECT principal FROM rse_public_audience)``
through the table's key, one probe a row. PostgreSQL keeps comparing the whole set (its
planner misjudged the table form, see ``permissions.audience_in``); the table and triggers
exist there too, so both databases hold the same schema.

The table is not a model (``rse export`` leaves it out: importing the spaces fills it). The
triggers keep it equal to the public spaces on any write to ``rse_space``, whatever writes it
(the pages, SCIM, an import, a bulk load), in the writer's own transaction.

Revision ID: core_0026
Revises: core_0025
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0026"
down_revision: str | None = "core_0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_TRIGGERS = (
    """CREATE TRIGGER rse_space_public_insert AFTER INSERT ON rse_space
    WHEN NEW.visibility = 'public'
    BEGIN INSERT OR IGNORE INTO rse_public_audience (principal) VALUES ('space:' || NEW.id); END""",
    """CREATE TRIGGER rse_space_public_update AFTER UPDATE OF id, visibility ON rse_space
    BEGIN
        DELETE FROM rse_public_audience WHERE principal = 'space:' || OLD.id;
        INSERT OR IGNORE INTO rse_public_audience (principal)
            SELECT 'space:' || NEW.id WHERE NEW.visibility = 'public';
    END""",
    """CREATE TRIGGER rse_space_public_delete AFTER DELETE ON rse_space
    BEGIN DELETE FROM rse_public_audience WHERE principal = 'space:' || OLD.id; END""",
)

POSTGRES_TRIGGERS = (
    """CREATE FUNCTION rse_space_public_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            DELETE FROM rse_public_audience;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            DELETE FROM rse_public_audience WHERE principal = 'space:' || OLD.id;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.visibility = 'public' THEN
            INSERT INTO rse_public_audience (principal) VALUES ('space:' || NEW.id)
                ON CONFLICT DO NOTHING;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER rse_space_public AFTER INSERT OR DELETE OR UPDATE OF id, visibility
    ON rse_space FOR EACH ROW EXECUTE FUNCTION rse_space_public_sync()""",
    """CREATE TRIGGER rse_space_public_truncate AFTER TRUNCATE ON rse_space
    FOR EACH STATEMENT EXECUTE FUNCTION rse_space_public_sync()""",
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "rse_public_audience",
        sa.Column("principal", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("principal", name="pk_rse_public_audience"),
        sqlite_with_rowid=False,
    )
    for statement in POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS:
        op.execute(statement)
    op.execute(
        "INSERT INTO rse_public_audience (principal) "
        "SELECT 'space:' || id FROM rse_space WHERE visibility = 'public'"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER rse_space_public_truncate ON rse_space")
        op.execute("DROP TRIGGER rse_space_public ON rse_space")
        op.execute("DROP FUNCTION rse_space_public_sync()")
    else:
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER rse_space_public_{name}")
    op.drop_table("rse_public_audience")
