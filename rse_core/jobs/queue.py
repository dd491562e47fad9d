"""Enqueue, claim, finish and retry jobs: each a statement or two on the job table.

Claiming is safe with many workers: on PostgreSQL the due rows are locked with ``FOR UPDATE
SKIP LOCKED`` (two workers never take the same row); on SQLite every write transaction holds
the database's one write lock (``BEGIN IMMEDIATE``), which serialises claims. A claimed job
carries a lease (``locked_until``) that its worker renews while it runs; a job whose worker
died is claimed again once the lease has run out, and that counts as an attempt.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from ..db import dialect_insert, utcnow
from ..hooktypes import Job
from .models import FAILED, QUEUED, RUNNING, JobRow

#: Backoff after the n-th failed attempt: BASE * 2 ** (n - 1), at most MAX.
BACKOFF_BASE = timedelta(seconds=10)
BACKOFF_MAX = timedelta(hours=1)
ERROR_LIMIT = 4000  # characters of the last error kept


def backoff(attempt: int) -> timedelta:
    """How long to wait before running again a job whose ``attempt``-th run failed."""
    return min(BACKOFF_BASE * 2 ** max(attempt - 1, 0), BACKOFF_MAX)


def enqueue(
    session: Session,
    name: str,
    payload: dict[str, Any] | None = None,
    *,
    run_at: datetime | None = None,
    key: str | None = None,
    max_attempts: int | None = None,
) -> None:
    """Queue job ``name`` in ``session``'s transaction: it exists once that commits, and
    never if it rolls back.

    :param payload: JSON-serialisable arguments for the handler.
    :param run_at: not before this time (timezone-aware); now when omitted.
    :param key: at most one *queued* job per key: enqueueing with the key of a job still
        waiting replaces its payload and time (a post rescheduled); see :func:`cancel`.
    :param max_attempts: runs before the job is kept as failed; the job kind's
        (``Job.max_attempts``) when omitted.
    """
    now = utcnow()
    values = {
        "name": name,
        "payload": json.dumps(payload or {}),
        "key": key,
        "status": QUEUED,
        "run_at": run_at or now,
        "attempts": 0,
        "max_attempts": max_attempts or 0,  # 0: the job kind's own limit
        "created_at": now,
        "updated_at": now,
    }
    if key is None:
        session.add(JobRow(**values))
        return
    statement = dialect_insert(session)(JobRow).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[JobRow.key],
        # A literal, not a bound parameter: PostgreSQL must match it with the partial unique
        # index's predicate when it plans the statement, and once psycopg prepares it (from
        # its sixth run on a connection) a generic plan cannot ("no unique or exclusion
        # constraint matching the ON CONFLICT specification": the demo's many keyed jobs).
        index_where=text(f"status = '{QUEUED}'"),
        set_={
            "name": statement.excluded.name,
            "payload": statement.excluded.payload,
            "run_at": statement.excluded.run_at,
            "max_attempts": statement.excluded.max_attempts,
            "attempts": 0,
            "updated_at": statement.excluded.updated_at,
        },
    )
    session.execute(statement)


def cancel(session: Session, key: str) -> int:
    """Drop the queued job with ``key`` (a scheduled post made a draft again); returns how
    many were dropped (0 or 1). A job already running finishes."""
    result = session.execute(delete(JobRow).where(JobRow.key == key, JobRow.status == QUEUED))
    return result.rowcount or 0


@dataclass(frozen=True)
class Claimed:
    """A job a worker took: run it, then :func:`succeed` or :func:`fail`."""

    id: int
    name: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int


def _due(now: datetime, names: Collection[str]) -> Any:
    return and_(
        JobRow.name.in_(list(names)),
        or_(
            and_(JobRow.status == QUEUED, JobRow.run_at <= now),
            and_(JobRow.status == RUNNING, JobRow.locked_until < now),
        ),
    )


def any_due(session: Session, now: datetime, names: Collection[str]) -> bool:
    """Is any job due (a cheap read, so an idle worker takes no write lock)?"""
    return session.execute(select(JobRow.id).where(_due(now, names)).limit(1)).first() is not None


def claim(
    session: Session,
    worker: str,
    now: datetime,
    kinds: Mapping[str, Job],
    *,
    limit: int = 1,
) -> list[Claimed]:
    """Take up to ``limit`` due jobs whose handler this worker knows (``kinds``, by name),
    oldest due first, marking them running under ``worker`` until their lease runs out."""
    if not kinds:
        return []
    due = (
        select(JobRow)
        .where(_due(now, kinds))
        .order_by(JobRow.run_at, JobRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's write lock serialises
    )
    rows = list(session.execute(due).scalars())
    claimed = []
    for row in rows:
        kind = kinds[row.name]
        limit_ = row.max_attempts or kind.max_attempts
        row.attempts += 1
        row.updated_at = now
        if row.attempts > limit_:
            # Its worker died with it every time: keep it for an admin instead of looping.
            row.status, row.locked_by, row.locked_until = FAILED, "", None
            row.last_error = (row.last_error + "\nabandoned: its worker stopped mid-run").strip()
            continue
        row.status, row.locked_by = RUNNING, worker
        row.locked_until = now + kind.lease
        claimed.append(Claimed(row.id, row.name, json.loads(row.payload), row.attempts, limit_))
    return claimed


def renew(session: Session, worker: str, ids: Iterable[int], until: datetime) -> None:
    """Extend the lease of the jobs ``worker`` is running."""
    session.execute(
        update(JobRow)
        .where(JobRow.id.in_(list(ids)), JobRow.locked_by == worker, JobRow.status == RUNNING)
        .values(locked_until=until)
    )


def succeed(session: Session, worker: str, job_id: int) -> None:
    """A job ran to the end: it is done and goes (if the worker still held it)."""
    session.execute(delete(JobRow).where(JobRow.id == job_id, JobRow.locked_by == worker))


def fail(session: Session, worker: str, job: Claimed, error: str, now: datetime) -> str:
    """A job raised: queue it again after a backoff, or keep it as failed after its last
    attempt. Returns the new status."""
    final = job.attempt >= job.max_attempts
    status = FAILED if final else QUEUED
    session.execute(
        update(JobRow)
        .where(JobRow.id == job.id, JobRow.locked_by == worker)
        .values(
            status=status,
            run_at=now if final else now + backoff(job.attempt),
            last_error=error[-ERROR_LIMIT:],
            locked_by="",
            locked_until=None,
            updated_at=now,
        )
    )
    return status


def retry(session: Session, ids: Iterable[int] | None = None) -> int:
    """Queue failed jobs again now (``ids``, or every failed one) with fresh attempts;
    returns how many."""
    query = update(JobRow).where(JobRow.status == FAILED)
    if ids is not None:
        query = query.where(JobRow.id.in_(list(ids)))
    now = utcnow()
    result = session.execute(query.values(status=QUEUED, attempts=0, run_at=now, updated_at=now))
    return result.rowcount or 0


def counts(session: Session, now: datetime, known: Collection[str]) -> dict[str, int]:
    """How many jobs are due, scheduled (later), running, failed, and waiting for a handler
    no installed plugin provides."""
    result = {"due": 0, "scheduled": 0, "running": 0, "failed": 0, "no_handler": 0}
    later = (JobRow.run_at > now).label("later")  # grouped by its label: one bound parameter
    rows = session.execute(
        select(JobRow.status, JobRow.name, later, func.count()).group_by(
            JobRow.status, JobRow.name, later
        )
    ).all()
    for status, name, is_later, count in rows:
        if status == QUEUED and name not in known:
            result["no_handler"] += count
        elif status == QUEUED:
            result["scheduled" if is_later else "due"] += count
        else:
            result[status] += count
    return result


def listing(session: Session, status: str | None = None, limit: int = 100) -> list[JobRow]:
    """Jobs for the admin page and ``rse jobs list``: failed ones newest first, the others
    by when they run."""
    query = select(JobRow)
    if status is not None:
        query = query.where(JobRow.status == status)
    if status == FAILED:
        query = query.order_by(JobRow.updated_at.desc(), JobRow.id.desc())
    else:
        query = query.order_by(JobRow.run_at, JobRow.id)
    return list(session.execute(query.limit(limit)).scalars())
