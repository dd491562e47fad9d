"""Questions, answers and votes.

Revision ID: qa_0001
Revises:
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "qa_0001"
down_revision = None
branch_labels = ("qa",)
depends_on = None


def _fk(column: str, target: str, table: str) -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete="CASCADE", name=f"fk_{table}_{column}")


def upgrade() -> None:
    op.create_table(
        "qa_question",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "content_id",
            sa.Integer(),
            _fk("content_id", "rse_content.id", "qa_question"),
            nullable=False,
        ),
        sa.Column(
            "author_id",
            sa.Integer(),
            _fk("author_id", "rse_user.id", "qa_question"),
            nullable=False,
        ),
        sa.Column(
            "space_id",
            sa.Integer(),
            _fk("space_id", "rse_space.id", "qa_question"),
            nullable=True,
        ),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", sa.String(500), nullable=False),
        sa.Column("answer_count", sa.Integer(), nullable=False),
        sa.Column("accepted_answer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("content_id", name="uq_qa_question_content_id"),
    )
    op.create_index("ix_qa_question_unanswered", "qa_question", ["answer_count", "content_id"])
    op.create_index("ix_qa_question_space", "qa_question", ["space_id", "content_id"])
    op.create_index("ix_qa_question_author", "qa_question", ["author_id", "content_id"])
    op.create_table(
        "qa_answer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "question_id",
            sa.Integer(),
            _fk("question_id", "qa_question.id", "qa_answer"),
            nullable=False,
        ),
        sa.Column(
            "author_id",
            sa.Integer(),
            _fk("author_id", "rse_user.id", "qa_answer"),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_qa_answer_question", "qa_answer", ["question_id", "id"])
    op.create_table(
        "qa_vote",
        sa.Column(
            "answer_id",
            sa.Integer(),
            _fk("answer_id", "qa_answer.id", "qa_vote"),
            primary_key=True,
        ),
        sa.Column(
            "user_id", sa.Integer(), _fk("user_id", "rse_user.id", "qa_vote"), primary_key=True
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("qa_vote")
    op.drop_table("qa_answer")
    op.drop_table("qa_question")
