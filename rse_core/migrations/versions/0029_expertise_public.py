"""Each row of evidence says whether its audience is a public space's, kept by triggers.

A "who knows" ranking sums, for a batch of people, their rows of a topic that the reader may
see: on SQLite an audience among the reader's own principals or, one probe a row, in the
table of public audiences (``rse_public_audience``, core_0026). At 10,000,000 activities the
most used topic reads ~5,800 rows for an ordinary reader, and the probes were ~45 % of the
statement (5.3 -> 3.0 ms without them, docs/performance.md). ``rse_expertise.public`` holds
the answer of that probe, so the ranking reads ``public OR audience IN (own)`` ("everyone" is
among the reader's own principals, as before).

Triggers keep it equal to the probe whatever writes: a row inserted takes the state of its
audience, whatever the writer gave (``rse import`` carries the column); a public audience
added or removed (a space made public or private, created or deleted: core_0026's triggers)
updates every row of that audience, in the writer's own transaction. SQLite serialises
writers, so no row is ever read with a stale flag there. PostgreSQL keeps comparing the
reader's whole set (``permissions.audience_in``), which it hashes; the column and triggers
exist there too, so both databases hold the same schema.

Revision ID: core_0029
Revises: core_0028
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0029"
down_revision: str | None = "core_0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The ranking's covering index (core_0027), with the flag.
OLD_COLUMNS = ["tag", "user_id", "audience", "plugin", "kind", "score", "count"]
COLUMNS = [*OLD_COLUMNS, "public"]

SQLITE_TRIGGERS = (
    # Whatever the writer gave (an import carries the column): set right when it is not.
    """CREATE TRIGGER rse_expertise_public_insert AFTER INSERT ON rse_expertise
    WHEN NEW.public != EXISTS (SELECT 1 FROM rse_public_audience WHERE principal = NEW.audience)
    BEGIN
        UPDATE rse_expertise SET public = NOT NEW.public
        WHERE tag = NEW.tag AND user_id = NEW.user_id AND audience = NEW.audience
            AND plugin = NEW.plugin AND kind = NEW.kind;
    END""",
    """CREATE TRIGGER rse_public_audience_added AFTER INSERT ON rse_public_audience
    BEGIN UPDATE rse_expertise SET public = 1 WHERE audience = NEW.principal; END""",
    """CREATE TRIGGER rse_public_audience_removed AFTER DELETE ON rse_public_audience
    BEGIN UPDATE rse_expertise SET public = 0 WHERE audience = OLD.principal; END""",
)

POSTGRES_TRIGGERS = (
    """CREATE FUNCTION rse_expertise_public_row() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.public := EXISTS (SELECT 1 FROM rse_public_audience WHERE principal = NEW.audience);
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER rse_expertise_public BEFORE INSERT ON rse_expertise
    FOR EACH ROW EXECUTE FUNCTION rse_expertise_public_row()""",
    """CREATE FUNCTION rse_public_audience_rows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            UPDATE rse_expertise SET public = true WHERE audience = NEW.principal;
        ELSE
            UPDATE rse_expertise SET public = false WHERE audience = OLD.principal;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER rse_public_audience_rows AFTER INSERT OR DELETE ON rse_public_audience
    FOR EACH ROW EXECUTE FUNCTION rse_public_audience_rows()""",
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.add_column(
        "rse_expertise",
        sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute(
        "UPDATE rse_expertise SET public = true WHERE audience IN "
        "(SELECT principal FROM rse_public_audience)"
    )
    op.drop_index("ix_rse_expertise_scores", table_name="rse_expertise")
    op.create_index("ix_rse_expertise_scores", "rse_expertise", COLUMNS)
    for statement in POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER rse_public_audience_rows ON rse_public_audience")
        op.execute("DROP FUNCTION rse_public_audience_rows()")
        op.execute("DROP TRIGGER rse_expertise_public ON rse_expertise")
        op.execute("DROP FUNCTION rse_expertise_public_row()")
    else:
        for name in ("expertise_public_insert", "public_audience_added", "public_audience_removed"):
            op.execute(f"DROP TRIGGER rse_{name}")
    op.drop_index("ix_rse_expertise_scores", table_name="rse_expertise")
    op.create_index("ix_rse_expertise_scores", "rse_expertise", OLD_COLUMNS)
    with op.batch_alter_table("rse_expertise") as batch:
        batch.drop_column("public")
