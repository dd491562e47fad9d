"""The occurrences' start index also holds their end and whether they are cancelled.

A calendar reads the occurrences starting up to 62 days before its range (an event lasts at
most that long) and keeps those still running: with the end in the index, the ones already
over are skipped in the index instead of each read from the table (the next 30 days at
1,000,000 activities: 0.78 ms to 0.23 ms; the lookback grows with the company's events).

Revision ID: events_0002
Revises: events_0001
Create Date: 2026-12-05
"""

from alembic import op

revision = "events_0002"
down_revision = "events_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_event_occurrence_window",
        "event_occurrence",
        ["starts_at", "ends_at", "cancelled", "event_id"],
    )
    op.drop_index("ix_event_occurrence_starts", table_name="event_occurrence")


def downgrade() -> None:
    op.create_index("ix_event_occurrence_starts", "event_occurrence", ["starts_at", "event_id"])
    op.drop_index("ix_event_occurrence_window", table_name="event_occurrence")
