"""The few occurrences longer than a day get an index of their own.

A calendar (and the home page's "next events") must find the occurrences still running when
its range begins. Any may have started up to 62 days before (an event lasts at most that
long), so the walk read back 62 days of the start index: 13,815 occurrences at the seeds'
scale, 2.1 ms of a ~20 ms home page. Now it reads back a day in that index, and 62 days only
in this partial index of the occurrences longer than a day (0.07 ms).

Revision ID: events_0003
Revises: events_0002
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "events_0003"
down_revision = "events_0002"
branch_labels = None
depends_on = None

# As in rse_events.models (a migration keeps its own copy: the model may change later).
LONG_SQLITE = "ends_at > datetime(starts_at, '+1 day')"
LONG_POSTGRESQL = "ends_at > starts_at + interval '1 day'"


def upgrade() -> None:
    op.create_index(
        "ix_event_occurrence_long",
        "event_occurrence",
        ["starts_at", "ends_at"],
        sqlite_where=sa.text(LONG_SQLITE),
        postgresql_where=sa.text(LONG_POSTGRESQL),
    )


def downgrade() -> None:
    op.drop_index("ix_event_occurrence_long", table_name="event_occurrence")
