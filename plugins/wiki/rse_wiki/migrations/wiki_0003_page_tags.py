"""A page's #hashtags become its tags (topics, tag pages, who knows them): existing pages get
theirs from their current text, and everyone's expertise is computed again (the core's
``core.expertise_rebuild`` job) when any page had some.

Revision ID: wiki_0003
Revises: wiki_0002
Create Date: 2026-12-05
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from rse_core import hashtags

revision = "wiki_0003"
down_revision = "wiki_0002"
branch_labels = None
depends_on = None  # the core migrates first (core_0018 made the tables the job fills)


def upgrade() -> None:
    bind = op.get_bind()
    pages = bind.execute(
        sa.text(
            "SELECT p.content_id, p.body FROM wiki_page p"
            " WHERE p.deleted_at IS NULL AND NOT EXISTS"
            " (SELECT 1 FROM rse_content_tag t WHERE t.content_id = p.content_id)"
        )
    ).all()
    rows = [
        {"content_id": content_id, "tag": tag}
        for content_id, body in pages
        for tag in hashtags(body or "")
    ]
    if not rows:
        return
    bind.execute(
        sa.text("INSERT INTO rse_content_tag (content_id, tag) VALUES (:content_id, :tag)"), rows
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    bind.execute(
        sa.text(
            "INSERT INTO rse_job (name, payload, key, status, run_at, attempts, max_attempts,"
            " last_error, locked_by, created_at, updated_at)"
            " SELECT 'core.expertise_rebuild', '{}', 'core.expertise_rebuild', 'queued', :now,"
            " 0, 0, '', '', :now, :now WHERE NOT EXISTS (SELECT 1 FROM rse_job"
            " WHERE key = 'core.expertise_rebuild' AND status = 'queued')"
        ),
        {"now": now},
    )


def downgrade() -> None:
    """Tags stay: they are the pages' own words, and harmless to an older wiki."""
