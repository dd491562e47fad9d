"""Benchmark: the adoption dashboard and its nightly rollup at the seeds' scale (issue #16).

    .venv/bin/python bench/adoption_bench.py [--activities 10000000] [--requests 50]
        [--postgres URL] [--data-dir DIR]

Builds bench/seed_data.py's company (100,000 employees in 40 departments, 5,000 spaces,
``--activities`` activities over the last year) in a temporary directory or ``--data-dir``
(kept: a second run there reuses it, SQLite only),
and adds each person's days of use for the last 13 weeks: 40 % of the people on a working day
(``rse_user_day``; older weeks have only the days people contributed, which the rollup adds).
Then it times the first rollup (every week since the first activity) and a nightly one (the
last 5 weeks), and serves ``rse serve`` (one worker) beside the bare baseline
(bench/baseline_app.py) to measure, as a site admin, ``/admin/adoption`` with the default
period (13 weeks), 52 weeks, a department, a plugin and the biggest space: p50 and p95 of
``--requests`` sequential requests, and the baseline's in the same run.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scale_bench  # noqa: E402
import seed_data  # noqa: E402
import stream_bench  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

ADMIN = seed_data.BUSY_READER  # user1 is the seeds' site admin
VISIT_SHARE = 0.4
VISIT_WEEKS = 13


def add_visits(writer: seed_data.Writer, users: int, today: date, seed: int = 11) -> int:
    """Each person's working days of use over the last weeks: how many rows."""
    rng = random.Random(seed)
    days = [
        today - timedelta(days=n)
        for n in range(VISIT_WEEKS * 7)
        if (today - timedelta(days=n)).weekday() < 5
    ]
    rows = (
        (day.isoformat(), user, True, 0)
        for day in days
        for user in range(1, users + 1)
        if rng.random() < VISIT_SHARE
    )
    return writer.write("rse_user_day", ("day", "user_id", "visited", "contributions"), rows)


def has_visits(url: str) -> bool:
    """Whether the database already holds days of use."""
    engine = create_engine(url)
    with engine.connect() as con:
        found = con.execute(text("SELECT 1 FROM rse_user_day LIMIT 1")).first() is not None
    engine.dispose()
    return found


def rollup_seconds(data_dir: Path, url: str | None, now: datetime) -> float:
    """One rollup, as the nightly job runs it: seconds."""
    from rse_core.adoption import rollup
    from rse_core.app import create_runtime
    from rse_core.testing import make_settings

    overrides = {"database_url": url, "search_backend": "postgres"} if url else {}
    rt = create_runtime(make_settings(data_dir, **overrides))
    started = time.perf_counter()
    summary = rollup(rt, now)
    took = time.perf_counter() - started
    rt.db.dispose()
    print(f"    {summary['weeks']} weeks rolled up in {took:.1f} s", flush=True)
    return took


def pages(url: str) -> dict[str, str]:
    """The dashboard's views measured: the biggest space, the first department."""
    engine = create_engine(url)
    with engine.connect() as con:
        space = con.execute(
            text(
                "SELECT s.slug FROM rse_space s JOIN rse_membership m ON m.space_id = s.id"
                " WHERE s.visibility <> 'secret' GROUP BY s.slug ORDER BY count(*) DESC LIMIT 1"
            )
        ).scalar_one()
    engine.dispose()
    return {
        "13 weeks (default)": "/admin/adoption",
        "52 weeks": "/admin/adoption?weeks=52",
        "a department": "/admin/adoption?department=Dept+7",
        "a plugin": "/admin/adoption?plugin=wiki",
        "the biggest space": f"/admin/adoption?space={space}",
        "CSV, phases": "/admin/adoption.csv?table=phases",
    }


def drop_database(server_url: str, url: str) -> None:
    """Drop the bench's database; without FORCE (which may not end the server's own
    autovacuum worker on it), so again until its last session is gone."""
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = url.rsplit("/", 1)[1]
    try:
        for _ in range(30):
            try:
                with engine.connect() as con:
                    con.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                return
            except Exception:  # another session still on it: wait
                time.sleep(1)
        print(f"  could not drop database {name}", flush=True)
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--spaces", type=int, default=5_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--data-dir", type=Path, help="a seed_data.py company (SQLite)")
    parser.add_argument("--postgres", help="a PostgreSQL server URL: run there, not on SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rse-adoption-") as tmp:
        data_dir = args.data_dir or Path(tmp) / "var"
        url = f"sqlite:///{data_dir / 'rse.db'}"
        # Search off: the page does not use it, and an unbuilt index would be rebuilt in the
        # background of the measured server.
        env = {"RSE_DATA_DIR": str(data_dir), "RSE_SEARCH_BACKEND": "none"}
        if args.postgres:
            url = scale_bench.new_postgres_database(args.postgres)
            env |= {"RSE_DATABASE_URL": url}
        pg = url if args.postgres else None
        built = (data_dir / "rse.db").exists() and not pg  # a company given, or to build there
        try:
            started = time.perf_counter()
            seed_data.prepare(data_dir, pg)  # migrates a given company too (new indexes)
            print(f"  migrated in {time.perf_counter() - started:.1f} s", flush=True)
            writer = (
                seed_data.PostgresWriter(url) if pg else seed_data.SqliteWriter(data_dir / "rse.db")
            )
            if args.data_dir is None or not built:
                seed_data.build(
                    writer, users=args.users, spaces=args.spaces, activities=args.activities
                )
                if pg:
                    writer.con.close()
                writer = (
                    seed_data.PostgresWriter(url)
                    if pg
                    else seed_data.SqliteWriter(data_dir / "rse.db")
                )
            now = datetime.now(UTC)
            started = time.perf_counter()
            if not has_visits(url):  # a given company keeps the days of an earlier run
                visits = add_visits(writer, args.users, now.date())
                writer.finish()
                if pg:
                    writer.con.close()  # the database is dropped at the end
                print(f"  {visits:,} days of use in {time.perf_counter() - started:.1f} s")
            print("  first rollup:", flush=True)
            first = rollup_seconds(data_dir, pg, now)
            print("  nightly rollup:", flush=True)
            nightly = rollup_seconds(data_dir, pg, now + timedelta(days=1))
            token = scale_bench.sign_in(url, ADMIN)
            csrf = "b" * 43
            with stream_bench.rse_and_baseline(data_dir, env) as (rse_url, baseline_url):
                if not pg:  # the baseline reads SQLite: PostgreSQL compares with SQLite's run
                    base = stream_bench.sequential(f"{baseline_url}/", token, csrf, args.requests)
                    print(
                        f"  baseline page: p50 {base['p50']:.1f} / p95 {base['p95']:.1f} ms",
                        flush=True,
                    )
                for name, path in pages(url).items():
                    page = f"{rse_url}{path}"
                    stream_bench.sequential(page, token, csrf, requests=3)  # warm
                    alone = stream_bench.sequential(page, token, csrf, requests=args.requests)
                    print(
                        f"  {name:<20} p50 {alone['p50']:6.1f} / p95 {alone['p95']:6.1f} ms",
                        flush=True,
                    )
            print(f"  rollups: first {first:.0f} s, nightly {nightly:.0f} s")
        finally:
            if args.postgres:
                drop_database(args.postgres, url)


if __name__ == "__main__":
    main()
