"""Benchmark: background jobs on SQLite and on PostgreSQL.

    .venv/bin/python bench/jobs_bench.py [--jobs 2000] [--writes 1000] \
        [--postgres "$(scripts/ensure-postgres)"]

Reports, for each database, in one run:
- enqueue rate: one transaction per job (as a request that queues one job does);
- run rate: due no-op jobs claimed and finished by one worker, then by two workers in
  threads (one claim transaction + one finish transaction per job);
- the cost a job adds to the write that queues it: a write publishing an item (content,
  activity and search outbox rows), p50/p95 without and with ``enqueue_job`` in the same
  transaction, interleaved so both see the same machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from rse_core import Job, enqueue_job, hookimpl  # noqa: E402
from rse_core.app import create_runtime  # noqa: E402


class Noop:
    """A plugin with one job that does nothing: the queue's own cost is what is measured."""

    @hookimpl
    def rse_jobs(self):
        return [Job("noop.work", lambda job: None)]


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def bench(settings, jobs: int, writes: int) -> dict[str, float]:
    from rse_core import migrate
    from rse_core.content import publish
    from rse_core.identity.accounts import create_user
    from rse_core.jobs.worker import JobWorker

    rt = create_runtime(settings, extra_plugins=[("noop", Noop())])
    migrate.upgrade(rt.db, rt.plugins)
    result: dict[str, float] = {}

    started = time.perf_counter()
    for n in range(jobs):
        with rt.db.write() as session:
            enqueue_job(session, "noop.work", {"n": n})
    result["enqueue_per_s"] = jobs / (time.perf_counter() - started)

    started = time.perf_counter()
    ran = JobWorker(rt).run_pending()
    result["run_1_worker_per_s"] = ran / (time.perf_counter() - started)
    assert ran == jobs, ran

    with rt.db.write() as session:
        for n in range(jobs):
            enqueue_job(session, "noop.work", {"n": n})
    workers = [JobWorker(rt) for _ in range(2)]
    threads = [threading.Thread(target=w.run_pending) for w in workers]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result["run_2_workers_per_s"] = jobs / (time.perf_counter() - started)

    with rt.db.write() as session:
        author = create_user(session, "writer", email="w@example.com", password=None)
    plain, queued = [], []
    for n in range(writes):
        for with_job, times in ((False, plain), (True, queued)):
            t = time.perf_counter()
            with rt.db.write() as session:
                publish(
                    session,
                    plugin="bench",
                    type="bench.post",
                    author=author,
                    url="/x",
                    summary=f"post {n} about the quarterly planning",
                )
                if with_job:
                    enqueue_job(session, "noop.work", {"post": n})
            times.append((time.perf_counter() - t) * 1000)
    for name, times in (("write", plain), ("write_with_job", queued)):
        result[f"{name}_p50_ms"] = statistics.median(times)
        result[f"{name}_p95_ms"] = percentile(times, 95)
    result["job_adds_p50_ms"] = result["write_with_job_p50_ms"] - result["write_p50_ms"]
    result["job_adds_p95_ms"] = result["write_with_job_p95_ms"] - result["write_p95_ms"]
    rt.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--postgres", default="", help="server URL (scripts/ensure-postgres)")
    args = parser.parse_args()

    from rse_core.testing import fresh_postgres_schema, make_settings

    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = make_settings(Path(tmp) / "sqlite", load_entry_points=False)
        rows["SQLite"] = bench(settings, args.jobs, args.writes)
        if args.postgres:
            url = fresh_postgres_schema(args.postgres)
            settings = make_settings(
                Path(tmp) / "pg", load_entry_points=False, database_url=url, search_backend="none"
            )
            rows["PostgreSQL"] = bench(settings, args.jobs, args.writes)
    names = list(next(iter(rows.values())))
    print(f"{'measure':<24}" + "".join(f"{db:>14}" for db in rows))
    for name in names:
        print(f"{name:<24}" + "".join(f"{rows[db][name]:>14.2f}" for db in rows))


if __name__ == "__main__":
    main()
