"""Background jobs: transactional enqueue, retries with backoff, leases, schedules, periodic
jobs, several workers, and the admin's views (page, API, CLI)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from rse_core import Job, enqueue_job, hookimpl
from rse_core.db import utcnow
from rse_core.jobs import queue
from rse_core.jobs.models import FAILED, QUEUED, RUNNING, JobRow
from rse_core.jobs.worker import JobWorker
from rse_core.runtime import change_plugin
from rse_core.testing import run_jobs
from tests.conftest import signed_in

# A day ahead of the import: jobs queued "now" in any test of this run are due at T0.
T0 = utcnow().replace(microsecond=0) + timedelta(days=1)


class Flaky:
    """A plugin whose job fails its first ``failures`` runs, and records every run."""

    def __init__(self, failures: int = 0, max_attempts: int = 5) -> None:
        self.failures, self.max_attempts = failures, max_attempts
        self.runs: list[tuple[dict, int]] = []
        self.lock = threading.Lock()

    def work(self, job) -> None:
        with self.lock:
            self.runs.append((job.payload, job.attempt))
            if len(self.runs) <= self.failures:
                raise RuntimeError(f"boom #{len(self.runs)}")

    def tick(self, job) -> None:
        with self.lock:
            self.runs.append(("tick", job.now))

    @hookimpl
    def rse_jobs(self):
        return [
            Job("flaky.work", self.work, max_attempts=self.max_attempts),
            Job("flaky.tick", self.tick, every=timedelta(hours=1)),
        ]


@pytest.fixture
def flaky():
    return Flaky()


@pytest.fixture
def app(rse_app_factory, flaky):
    return rse_app_factory(extra_plugins=[("flaky", flaky)], load_entry_points=False)


def jobs(app) -> list[JobRow]:
    with app.state.rse.db.read() as session:
        return list(session.execute(select(JobRow).order_by(JobRow.id)).scalars())


def put(app, name="flaky.work", payload=None, **options) -> None:
    with app.state.rse.db.write() as session:
        enqueue_job(session, name, payload or {"n": 1}, **options)


def test_a_committed_write_runs_its_job_once(app, flaky):
    put(app, payload={"n": 7})
    assert run_jobs(app, now=T0) == 1
    assert flaky.runs == [({"n": 7}, 1)]
    assert jobs(app) == []  # done jobs go
    assert run_jobs(app, now=T0 + timedelta(days=1)) == 0
    assert len(flaky.runs) == 1


def test_a_rolled_back_write_queues_nothing(app, flaky):
    with pytest.raises(RuntimeError), app.state.rse.db.write() as session:
        enqueue_job(session, "flaky.work", {"n": 1})
        enqueue_job(session, "flaky.work", {"n": 2}, key="with-a-key")
        raise RuntimeError("the write fails after queueing")
    assert jobs(app) == []
    assert run_jobs(app, now=T0) == 0 and flaky.runs == []


def test_the_example_plugin_delivers_a_greeting_after_its_write_commits(
    rse_app, rse_user, rse_client_for, enable_plugin
):
    enable_plugin("example")
    rse_user("erin")
    client = rse_client_for("erin")
    assert client.post("/api/v1/example/greetings", json={"text": "Hi"}).status_code == 201
    assert "(delivered)" not in client.get("/example/").text
    assert run_jobs(rse_app) == 1
    assert 'Hi <small class="delivered">(delivered)</small>' in client.get("/example/").text


def test_failures_are_retried_with_exponential_backoff_then_kept(app, flaky):
    flaky.failures = 99
    put(app)
    assert run_jobs(app, now=T0) == 1
    (row,) = jobs(app)
    assert (row.status, row.attempts, row.run_at) == (QUEUED, 1, T0 + timedelta(seconds=10))
    assert "boom #1" in row.last_error
    assert run_jobs(app, now=T0 + timedelta(seconds=9)) == 0  # not yet
    waits = [10, 20, 40, 80]
    at = T0
    for attempt, wait in enumerate(waits, start=2):
        at += timedelta(seconds=wait)
        assert run_jobs(app, now=at) == 1
        assert jobs(app)[0].attempts == attempt
    (row,) = jobs(app)
    assert row.status == FAILED and row.attempts == 5 and "boom #5" in row.last_error
    assert run_jobs(app, now=at + timedelta(days=1)) == 0  # failed jobs wait for an admin

    with app.state.rse.db.write() as session:
        assert queue.retry(session) == 1
    flaky.failures = 0
    assert run_jobs(app) == 1
    assert jobs(app) == []
    assert [attempt for _payload, attempt in flaky.runs] == [1, 2, 3, 4, 5, 1]


def test_backoff_is_capped():
    assert queue.backoff(1) == timedelta(seconds=10)
    assert queue.backoff(4) == timedelta(seconds=80)
    assert queue.backoff(30) == timedelta(hours=1)


def test_a_job_whose_worker_died_runs_again_when_its_lease_runs_out(app, flaky):
    put(app)
    with app.state.rse.db.write() as session:  # a worker takes it, then dies
        (taken,) = queue.claim(session, "dead-worker", T0, app.state.rse.jobs)
    assert taken.attempt == 1 and jobs(app)[0].status == RUNNING
    assert run_jobs(app, now=T0 + timedelta(seconds=59)) == 0  # its lease still holds
    assert run_jobs(app, now=T0 + timedelta(seconds=61)) == 1
    assert flaky.runs == [({"n": 1}, 2)] and jobs(app) == []
    # The dead worker coming back cannot clobber what another worker finished.
    with app.state.rse.db.write() as session:
        queue.fail(session, "dead-worker", taken, "late", T0)
    assert jobs(app) == []


def test_a_job_abandoned_on_every_attempt_ends_failed(app, flaky):
    put(app, max_attempts=2)
    at = T0
    for _ in range(2):
        with app.state.rse.db.write() as session:
            assert len(queue.claim(session, "dies", at, app.state.rse.jobs)) == 1
        at += timedelta(minutes=2)
    assert run_jobs(app, now=at) == 0
    (row,) = jobs(app)
    assert row.status == FAILED and "worker stopped mid-run" in row.last_error
    assert flaky.runs == []


def test_a_scheduled_job_runs_at_its_time(app, flaky):
    put(app, run_at=T0 + timedelta(hours=2))
    assert run_jobs(app, now=T0) == 0
    assert run_jobs(app, now=T0 + timedelta(hours=1, minutes=59)) == 0
    assert run_jobs(app, now=T0 + timedelta(hours=2)) == 1
    assert flaky.runs == [({"n": 1}, 1)]


def test_a_key_replaces_the_queued_job_and_cancels_it(app, flaky):
    put(app, payload={"v": 1}, run_at=T0 + timedelta(hours=1), key="post:3")
    put(app, payload={"v": 2}, run_at=T0 + timedelta(hours=3), key="post:3")
    (row,) = jobs(app)
    assert json.loads(row.payload) == {"v": 2} and row.run_at == T0 + timedelta(hours=3)
    with app.state.rse.db.write() as session:
        assert queue.cancel(session, "post:3") == 1
        assert queue.cancel(session, "post:3") == 0
    assert jobs(app) == []


def test_many_keyed_jobs_in_one_transaction(app, flaky):
    """psycopg prepares a statement from its sixth run on a connection: the keyed insert must
    still find its partial unique index then (on PostgreSQL it once could not)."""
    with app.state.rse.db.write() as session:
        for n in range(12):
            enqueue_job(session, "flaky.work", {"n": n}, key=f"k{n % 8}")
    rows = jobs(app)
    assert len(rows) == 8
    assert sorted(json.loads(r.payload)["n"] for r in rows) == [4, 5, 6, 7, 8, 9, 10, 11]


def test_periodic_jobs_run_once_per_interval_while_their_plugin_is_enabled(app, flaky):
    rt = app.state.rse
    assert run_jobs(app, now=T0) == 0  # not enabled: not scheduled
    change_plugin(rt, "flaky", enabled=True, audience=["space:1"], actor="t")  # a pilot counts
    assert run_jobs(app, now=T0) == 0  # first seen: due one interval later
    assert run_jobs(app, now=T0 + timedelta(minutes=59)) == 0
    assert run_jobs(app, now=T0 + timedelta(hours=1)) == 1
    assert run_jobs(app, now=T0 + timedelta(hours=1, minutes=30)) == 0
    assert run_jobs(app, now=T0 + timedelta(hours=6)) == 1  # missed hours are not caught up
    assert run_jobs(app, now=T0 + timedelta(hours=6, minutes=59)) == 0
    assert run_jobs(app, now=T0 + timedelta(hours=7)) == 1
    change_plugin(rt, "flaky", enabled=False, actor="t")
    assert run_jobs(app, now=T0 + timedelta(hours=9)) == 0
    ticks = [at for kind, at in flaky.runs if kind == "tick"]
    assert ticks == [T0 + timedelta(hours=h) for h in (1, 6, 7)]


def test_a_job_nobody_handles_waits_for_its_plugin(app, flaky):
    put(app, name="gone.plugin_job")
    assert run_jobs(app, now=T0) == 0
    with app.state.rse.db.read() as session:
        counts = queue.counts(session, T0, app.state.rse.jobs)
    assert counts["no_handler"] == 1 and counts["due"] == 0


def test_job_names_belong_to_their_plugin(rse_app_factory):
    class Foreign:
        @hookimpl
        def rse_jobs(self):
            return [Job("blog.publish", lambda job: None)]

    with pytest.raises(ValueError, match=r"must start with 'foreign\.'"):
        rse_app_factory(extra_plugins=[("foreign", Foreign())], load_entry_points=False)


def test_several_workers_never_run_one_job_twice(app, flaky):
    with app.state.rse.db.write() as session:
        for n in range(60):
            enqueue_job(session, "flaky.work", {"n": n})
    workers = [JobWorker(app.state.rse) for _ in range(4)]
    threads = [threading.Thread(target=w.run_pending) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(payload["n"] for payload, _attempt in flaky.runs) == list(range(60))
    assert jobs(app) == []


def test_the_in_process_worker_runs_what_a_request_queued(rse_app_factory):
    app = rse_app_factory(jobs_worker="inprocess")
    from rse_core.testing import enable

    enable(app, "example")
    with signed_in(app, "erin") as client:
        client.post("/api/v1/example/greetings", json={"text": "Woken"})
        for _ in range(100):
            if "(delivered)" in client.get("/example/").text:
                break
            threading.Event().wait(0.05)
        assert 'Woken <small class="delivered">(delivered)</small>' in client.get("/example/").text


# -- the admin's views -----------------------------------------------------------------------


def failed_job(app, flaky) -> int:
    flaky.failures, flaky.max_attempts = 99, 1
    put(app, payload={"n": 42})
    run_jobs(app, now=T0)
    (row,) = jobs(app)
    assert row.status == FAILED
    return row.id


@pytest.fixture
def app_one_attempt(rse_app_factory):
    flaky = Flaky(failures=99, max_attempts=1)
    return rse_app_factory(extra_plugins=[("flaky", flaky)], load_entry_points=False), flaky


def test_admin_jobs_page_shows_counts_and_retries_a_failed_job(app_one_attempt):
    app, flaky = app_one_attempt
    job_id = failed_job(app, flaky)
    put(app, payload={"n": 1}, run_at=utcnow() + timedelta(hours=1))
    with signed_in(app, "alice", admin=True) as admin:
        page = admin.get("/admin/jobs")
        assert page.status_code == 200
        assert 'data-count="failed">1<' in page.text and 'data-count="scheduled">1<' in page.text
        assert "flaky.work" in page.text and "boom #1" in page.text
        api = admin.get("/api/v1/admin/jobs").json()
        assert api["counts"]["failed"] == 1 and api["items"][0]["id"] == job_id
        assert api["items"][0]["last_error"].strip().endswith("RuntimeError: boom #1")
        retried = admin.post(f"/admin/jobs/{job_id}/retry", follow_redirects=False)
        assert retried.status_code == 303
        assert admin.post("/admin/jobs/999999/retry").status_code == 404
    row = next(r for r in jobs(app) if r.id == job_id)
    assert row.status == QUEUED and row.attempts == 0


def test_employees_cannot_see_or_retry_jobs(app_one_attempt):
    app, flaky = app_one_attempt
    job_id = failed_job(app, flaky)
    with signed_in(app, "erin") as employee:
        assert employee.get("/admin/jobs").status_code == 403
        assert employee.get("/api/v1/admin/jobs").status_code == 403
        assert employee.post(f"/admin/jobs/{job_id}/retry").status_code == 403
    assert jobs(app)[0].status == FAILED


@pytest.mark.slow  # spawns rse processes
def test_rse_jobs_list_and_retry(app_one_attempt, rse_bin):
    import subprocess

    from tests.conftest import cli_env

    app, flaky = app_one_attempt
    job_id = failed_job(app, flaky)
    settings = app.state.rse.settings
    env = {**cli_env(settings), "RSE_LOAD_ENTRY_POINTS": "0", "PATH": "/usr/bin:/bin"}

    def rse(*args):
        return subprocess.run([str(rse_bin), *args], env=env, capture_output=True, text=True)

    listed = rse("jobs", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert data["counts"]["failed"] == 1 and data["items"][0]["name"] == "flaky.work"
    table = rse("jobs", "list")
    assert "failed 1" in table.stdout and "flaky.work" in table.stdout
    assert rse("jobs", "retry", "12345").returncode == 1
    retried = rse("jobs", "retry", str(job_id))
    assert retried.returncode == 0 and "1 job(s) queued again" in retried.stdout
    with app.state.rse.db.read() as session:
        assert (
            session.execute(
                select(func.count()).select_from(JobRow).where(JobRow.status == QUEUED)
            ).scalar_one()
            == 1
        )


KILLED_WORKER = """
import pathlib, sys, time
from datetime import timedelta
from rse_core import Job, hookimpl
from rse_core.app import create_runtime
from rse_core.jobs.worker import JobWorker
from rse_core.settings import Settings

marker = pathlib.Path(sys.argv[1])

class Slow:
    @hookimpl
    def rse_jobs(self):
        def work(job):
            marker.write_text(str(job.attempt))
            time.sleep(600)  # killed long before this ends
        return [Job("slow.work", work, lease=timedelta(seconds=10))]

rt = create_runtime(Settings.load(), extra_plugins=[("slow", Slow())])
JobWorker(rt).run_pending()
"""


@pytest.mark.slow
def test_a_worker_killed_mid_job_loses_nothing(rse_app_factory, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import cli_env

    runs = []

    class Slow:
        @hookimpl
        def rse_jobs(self):
            return [Job("slow.work", lambda job: runs.append(job.attempt))]

    app = rse_app_factory(extra_plugins=[("slow", Slow())], load_entry_points=False)
    put(app, name="slow.work")
    marker = tmp_path / "started"
    env = {**os.environ, **cli_env(app.state.rse.settings), "RSE_LOAD_ENTRY_POINTS": "0"}
    worker = subprocess.Popen([sys.executable, "-c", KILLED_WORKER, str(marker)], env=env)
    try:
        deadline = time.monotonic() + 30
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.read_text() == "1"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    (row,) = jobs(app)
    assert row.status == RUNNING and row.attempts == 1
    assert run_jobs(app) == 0  # its lease still holds: nobody runs it twice at once
    assert run_jobs(app, now=utcnow() + timedelta(seconds=11)) == 1
    assert runs == [2] and jobs(app) == []
