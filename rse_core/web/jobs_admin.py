"""The admin's view of background jobs: counts, what waits, what failed and why, and retry."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..db import utcnow
from ..hooktypes import Job
from ..jobs import queue
from ..jobs.models import FAILED, JobRow, JobScheduleRow
from ..runtime import Runtime
from . import parse_id
from .context import runtime, write
from .contract import Link, Query, Shape, api, api_routes
from .errors import ApiError
from .guards import require_admin
from .templating import render


def job_json(row: JobRow, now: datetime, known: Mapping[str, Job]) -> dict[str, Any]:
    """One job as the admin API and ``rse jobs list --json`` show it (``max_attempts`` is
    null for a job no installed plugin runs and that set no limit of its own)."""
    kind = known.get(row.name)
    return {
        "id": row.id,
        "name": row.name,
        "status": row.status,
        "due": row.status == "queued" and row.run_at <= now,
        "handled": row.name in known,
        "run_at": row.run_at.isoformat(),
        "attempts": row.attempts,
        "max_attempts": row.max_attempts or (kind.max_attempts if kind else None),
        "last_error": row.last_error,
        "payload": row.payload,
        "updated_at": row.updated_at.isoformat(),
    }


def jobs_overview(rt: Runtime, session: Session, status: str | None = None) -> dict[str, Any]:
    """Counts and the listed jobs (failed first, then the others by time), as JSON."""
    now = utcnow()
    rows = (
        queue.listing(session, status)
        if status
        else [
            *queue.listing(session, FAILED),
            *(r for r in queue.listing(session) if r.status != FAILED),
        ]
    )
    return {
        "counts": queue.counts(session, now, rt.jobs),
        "items": [job_json(row, now, rt.jobs) for row in rows],
    }


async def jobs_page(request: Request) -> Response:
    """GET /admin/jobs: counts, failed jobs with their error and a retry button, what waits,
    and the periodic jobs' next times."""
    require_admin(request)
    rt = runtime(request)
    with rt.db.read() as session:
        overview = jobs_overview(rt, session)
        next_runs = dict(
            session.execute(select(JobScheduleRow.name, JobScheduleRow.next_run_at)).all()
        )
    periodic = [
        {"name": name, "every": job.every, "next": next_runs.get(name)}
        for name, job in sorted(rt.jobs.items())
        if job.every
    ]
    return render(request, "admin/jobs.html", {**overview, "periodic": periodic})


async def job_retry(request: Request) -> Response:
    """POST /admin/jobs/{job_id}/retry: queue a failed job again now."""
    require_admin(request)
    job_id = _job_id(request)
    retried = await write(request, lambda session: queue.retry(session, [job_id]))
    if not retried:
        raise HTTPException(404, "No failed job has this number.")
    return RedirectResponse("/admin/jobs", status_code=303)


class JobOut(Shape):
    """A background job"""

    id: int
    name: str
    status: Literal["queued", "running", "failed"]
    due: bool
    handled: bool
    run_at: str
    attempts: int
    max_attempts: int | None
    last_error: str | None
    payload: str
    updated_at: str


class JobCounts(Shape):
    """How many jobs are due, scheduled later, running, failed, and waiting for a handler
    no installed plugin provides"""

    due: int
    scheduled: int
    running: int
    failed: int
    no_handler: int


class JobsOut(Shape):
    """Counts, and the jobs (failed first, then the others by time)"""

    counts: JobCounts
    items: list[JobOut]


class JobsQuery(Query):
    status: Literal["", "queued", "running", "failed"] = ""


class RetriedOut(Shape):
    """The job, queued again"""

    id: int
    status: Literal["queued"]


@api(
    "GET",
    "/api/v1/admin/jobs",
    summary="Background jobs: counts, failed and waiting jobs (admins)",
    operation_id="listJobs",
    query=JobsQuery,
    responses={200: JobsOut},
    errors=(403,),
    links={200: {"RetryJob": Link("retryJob", {"job_id": "$response.body#/items/0/id"})}},
)
async def jobs_api(request: Request, query: JobsQuery) -> Response:
    """GET /api/v1/admin/jobs?status=queued|running|failed: counts and jobs as JSON."""
    require_admin(request)
    rt = runtime(request)
    with rt.db.read() as session:
        return JSONResponse(jobs_overview(rt, session, query.status or None))


@api(
    "POST",
    "/api/v1/admin/jobs/{job_id:int}/retry",
    summary="Queue a failed job again (admins)",
    operation_id="retryJob",
    responses={200: RetriedOut},
    errors=(403,),
)
async def job_retry_api(request: Request) -> Response:
    """POST /api/v1/admin/jobs/{job_id}/retry: queue a failed job again now."""
    require_admin(request)
    job_id = request.path_params["job_id"]
    if not await write(request, lambda session: queue.retry(session, [job_id])):
        raise ApiError(404, "not_found", "No failed job has this number.")
    return JSONResponse({"id": job_id, "status": "queued"})


def _job_id(request: Request) -> int:
    number = parse_id(request.path_params["job_id"])
    if number is None:
        raise HTTPException(404, "No failed job has this number.")
    return number


PAGE_ROUTES = [
    Route("/admin/jobs", jobs_page, methods=["GET"], name="admin_jobs"),
    Route("/admin/jobs/{job_id}/retry", job_retry, methods=["POST"], name="admin_job_retry"),
]
API_ROUTES = api_routes(jobs_api, job_retry_api)
