"""The job tables: queued, running and failed jobs, and when each periodic job runs next."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow

QUEUED, RUNNING, FAILED = "queued", "running", "failed"


class JobRow(Base):
    """One job. A job that succeeds is deleted; one that keeps failing stays as failed."""

    __tablename__ = "rse_job"
    __table_args__ = (
        # The claim query: due queued jobs, and running ones whose lease ran out.
        Index("ix_rse_job_due", "status", "run_at"),
        # At most one queued job per key: enqueueing again replaces it (a rescheduled post).
        Index(
            "uq_rse_job_queued_key",
            "key",
            unique=True,
            sqlite_where=text("status = 'queued'"),
            postgresql_where=text("status = 'queued'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))  # the handler: "blog.publish"
    payload: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    last_error: Mapped[str] = mapped_column(Text, default="")
    locked_by: Mapped[str] = mapped_column(String(100), default="")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobScheduleRow(Base):
    """When a periodic job is next due (one row per periodic job ever seen)."""

    __tablename__ = "rse_job_schedule"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
