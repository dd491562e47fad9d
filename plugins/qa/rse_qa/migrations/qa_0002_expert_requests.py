"""Ask an expert: who was asked about which question, and when (for the weekly limit).

Revision ID: qa_0002
Revises: qa_0001
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "qa_0002"
down_revision = "qa_0001"
branch_labels = None
depends_on = None


def _fk(column: str, target: str, table: str) -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete="CASCADE", name=f"fk_{table}_{column}")


def upgrade() -> None:
    table = "qa_expert_request"
    op.create_table(
        table,
        sa.Column(
            "question_id", sa.Integer(), _fk("question_id", "qa_question.id", table), nullable=False
        ),
        sa.Column(
            "expert_id", sa.Integer(), _fk("expert_id", "rse_user.id", table), nullable=False
        ),
        sa.Column("asker_id", sa.Integer(), _fk("asker_id", "rse_user.id", table), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("question_id", "expert_id", name="pk_qa_expert_request"),
    )
    op.create_index("ix_qa_expert_request_expert", table, ["expert_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_qa_expert_request_expert", table_name="qa_expert_request")
    op.drop_table("qa_expert_request")
