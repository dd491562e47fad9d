"""Events, their organisers and occurrences, RSVPs and reminder choices.

Revision ID: events_0001
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "events_0001"
down_revision = None
branch_labels = ("events",)
depends_on = None


def _fk(column: str, target: str, table: str) -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete="CASCADE", name=f"fk_{table}_{column}")


def upgrade() -> None:
    op.create_table(
        "event_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "content_id",
            sa.Integer(),
            _fk("content_id", "rse_content.id", "event_event"),
            nullable=True,
        ),
        sa.Column(
            "creator_id",
            sa.Integer(),
            _fk("creator_id", "rse_user.id", "event_event"),
            nullable=False,
        ),
        sa.Column(
            "space_id",
            sa.Integer(),
            _fk("space_id", "rse_space.id", "event_event"),
            nullable=True,
        ),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("all_day", sa.Boolean(), nullable=False),
        sa.Column("location", sa.String(200), nullable=False),
        sa.Column("online_url", sa.String(1000), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("rrule", sa.String(500), nullable=True),
        sa.Column("uid", sa.String(255), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("content_id", name="uq_event_event_content_id"),
        sa.UniqueConstraint("uid", name="uq_event_event_uid"),
    )
    op.create_index("ix_event_event_space", "event_event", ["space_id", "id"])
    op.create_table(
        "event_organiser",
        sa.Column(
            "event_id",
            sa.Integer(),
            _fk("event_id", "event_event.id", "event_organiser"),
            primary_key=True,
        ),
        sa.Column(
            "user_id",
            sa.Integer(),
            _fk("user_id", "rse_user.id", "event_organiser"),
            primary_key=True,
        ),
    )
    op.create_table(
        "event_occurrence",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "event_id",
            sa.Integer(),
            _fk("event_id", "event_event.id", "event_occurrence"),
            nullable=False,
        ),
        sa.Column("original_start", sa.DateTime(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("moved", sa.Boolean(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("event_id", "original_start", name="uq_event_occurrence_start"),
    )
    op.create_index("ix_event_occurrence_starts", "event_occurrence", ["starts_at", "event_id"])
    op.create_table(
        "event_rsvp",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "occurrence_id",
            sa.Integer(),
            _fk("occurrence_id", "event_occurrence.id", "event_rsvp"),
            nullable=False,
        ),
        sa.Column(
            "user_id", sa.Integer(), _fk("user_id", "rse_user.id", "event_rsvp"), nullable=False
        ),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("waitlisted", sa.Boolean(), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("occurrence_id", "user_id", name="uq_event_rsvp_person"),
    )
    op.create_index("ix_event_rsvp_user", "event_rsvp", ["user_id", "occurrence_id"])
    op.create_table(
        "event_reminder",
        sa.Column(
            "user_id",
            sa.Integer(),
            _fk("user_id", "rse_user.id", "event_reminder"),
            primary_key=True,
        ),
        sa.Column("minutes", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    for table in ("event_reminder", "event_rsvp", "event_occurrence", "event_organiser"):
        op.drop_table(table)
    op.drop_table("event_event")
