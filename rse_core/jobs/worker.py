"""The worker: runs due jobs and keeps periodic ones on time.

``rse worker`` runs it as its own process; by default every web process also runs one in a
thread (``RSE_JOBS_WORKER=inprocess``), so the embedded set-up needs nothing more. Any number
of workers may run against one database: claims never hand one job to two of them.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from ..db import dialect_insert, utcnow
from ..hooktypes import Job, JobContext
from . import queue
from .models import JobScheduleRow

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def job_owner(name: str) -> str:
    """The plugin a job belongs to (``blog`` for ``blog.publish``; ``core`` for the core's)."""
    return name.split(".", 1)[0]


class JobWorker:
    """Runs the jobs of one runtime's installed plugins.

    :param runtime: the :class:`rse_core.Runtime` (its ``jobs`` are the known handlers).
    :param clock: returns the current time; tests pass a fake one and call
        :meth:`run_pending` instead of starting the thread.
    :param interval: seconds between looks at the queue when idle (``wake()`` cuts it short).
    """

    def __init__(self, runtime: Any, *, clock: Clock = utcnow, interval: float = 1.0) -> None:
        self.rt = runtime
        self.clock = clock
        self.interval = interval
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def jobs(self) -> dict[str, Job]:
        """The job kinds this worker can run, by name."""
        return self.rt.jobs

    # -- running ---------------------------------------------------------------------------

    def run_pending(self, limit: int | None = None) -> int:
        """Queue due periodic jobs, then run due jobs one by one until none is left (or
        ``limit`` ran, or the worker is stopping); returns how many ran."""
        self.schedule_periodic()
        ran = 0
        while (limit is None or ran < limit) and not self._stop.is_set():
            now = self.clock()
            with self.rt.db.read() as session:
                if not queue.any_due(session, now, self.jobs):
                    break
            with self.rt.db.write() as session:
                claimed = queue.claim(session, self.id, now, self.jobs)
            for job in claimed:
                self._run(job)
                ran += 1
        return ran

    def _run(self, job: queue.Claimed) -> None:
        kind = self.jobs[job.name]
        context = JobContext(self.rt, job.name, job.payload, job.id, job.attempt, self.clock())
        done = threading.Event()
        keeper = threading.Thread(
            target=self._keep_lease, args=(job.id, kind.lease, done), daemon=True
        )
        keeper.start()
        try:
            kind.handler(context)
        except Exception:
            error = traceback.format_exc()
            with self.rt.db.write() as session:
                status = queue.fail(session, self.id, job, error, self.clock())
            log.warning(
                "job %s #%d attempt %d failed (now %s)",
                job.name,
                job.id,
                job.attempt,
                status,
                exc_info=True,
            )
        else:
            with self.rt.db.write() as session:
                queue.succeed(session, self.id, job.id)
        finally:
            done.set()
            keeper.join()

    def _keep_lease(self, job_id: int, lease: timedelta, done: threading.Event) -> None:
        """Renew a running job's lease every third of it, so no other worker takes it."""
        while not done.wait(lease.total_seconds() / 3):
            try:
                with self.rt.db.write() as session:
                    queue.renew(session, self.id, [job_id], self.clock() + lease)
            except Exception:
                log.exception("could not renew the lease of job #%d", job_id)

    # -- periodic jobs ---------------------------------------------------------------------

    def periodic(self) -> dict[str, Job]:
        """The periodic jobs that run now: the core's, and those of plugins enabled for
        some audience."""
        states = self.rt.plugin_states()

        def runs(name: str) -> bool:
            owner = job_owner(name)
            return owner == "core" or (owner in states and states[owner].enabled)

        return {name: job for name, job in self.jobs.items() if job.every and runs(name)}

    def schedule_periodic(self) -> int:
        """Queue every periodic job that is due and set its next time; returns how many were
        queued. A periodic job seen for the first time runs one interval later; missed
        intervals (no worker ran) are not caught up one by one."""
        periodic = self.periodic()
        if not periodic:
            return 0
        now = self.clock()
        with self.rt.db.read() as session:
            known = dict(
                session.execute(
                    select(JobScheduleRow.name, JobScheduleRow.next_run_at).where(
                        JobScheduleRow.name.in_(list(periodic))
                    )
                ).all()
            )
        if len(known) == len(periodic) and all(t > now for t in known.values()):
            return 0
        queued = 0
        with self.rt.db.write() as session:
            insert = dialect_insert(session)
            for name, job in sorted(periodic.items()):
                assert job.every is not None
                if name not in known:
                    session.execute(
                        insert(JobScheduleRow)
                        .values(name=name, next_run_at=now + job.every)
                        .on_conflict_do_nothing(index_elements=[JobScheduleRow.name])
                    )
                    continue
                row = session.execute(
                    select(JobScheduleRow)
                    .where(JobScheduleRow.name == name, JobScheduleRow.next_run_at <= now)
                    .with_for_update(skip_locked=True)
                ).scalar_one_or_none()
                if row is None:
                    continue  # not due, or another worker is queueing it right now
                queue.enqueue(session, name, {}, key=f"periodic:{name}")
                following = row.next_run_at + job.every
                row.next_run_at = following if following > now else now + job.every
                row.last_run_at = now
                queued += 1
        return queued

    # -- the thread --------------------------------------------------------------------------

    def start(self) -> None:
        """Run in a daemon thread until :meth:`stop`."""
        self._thread = threading.Thread(target=self._loop, name="rse-jobs", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look at the queue now rather than at the next tick (called after a write)."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking jobs; wait up to ``timeout`` seconds for a running one to end (one
        still running is taken again by a worker once its lease runs out)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_pending()
            except Exception:
                log.exception("the job worker failed; trying again")
            self._wake.wait(self.interval)
            self._wake.clear()
