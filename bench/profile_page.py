"""Profile one signed-in page in-process, on the stream bench's data, without HTTP.

    .venv/bin/python bench/profile_page.py [--activities 10000] [--path /] [--requests 200]
        [--profile cumulative|tottime] [--wiki-pages 100000]

It builds the data of bench/stream_bench.py (10,000 users, 500 spaces, feed posts), signs a
user in, drives the ASGI app directly in one thread (so cProfile sees everything), prints the
page's mean, p50 and p95 over ``--requests`` calls and the Python function calls per page (a
count that does not depend on how busy the machine is), then with ``--profile`` the top of a
cProfile listing. With ``--wiki-pages`` it adds the wiki bench's pages (bench/wiki_bench.py),
and ``--path wiki`` is then the page that bench calls ordinary. A measurement aid for
docs/performance.md, not a benchmark of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import stream_bench  # noqa: E402

from rse_core.app import create_app  # noqa: E402
from rse_core.testing import make_settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=10_000)
    parser.add_argument("--path", default="/")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--profile",
        choices=("cumulative", "tottime", "packages"),
        help="packages: the page's own time summed by package (sqlalchemy, jinja2, rse_core...)",
    )
    parser.add_argument("--wiki-pages", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, help="an existing data dir (bench/seed_data.py's)")
    parser.add_argument("--user", type=int, default=42, help="who signs in")
    parser.add_argument(
        "--search", action="store_true", help="with --data-dir: keep its (built) search index"
    )
    parser.add_argument(
        "--database-url", help="with --data-dir: a PostgreSQL database seed_data.py built"
    )
    parser.add_argument(
        "--statements", action="store_true", help="print each statement's time (PostgreSQL)"
    )
    parser.add_argument(
        "--hooks", action="store_true", help="print each hook implementation's time a page"
    )
    args = parser.parse_args()
    if args.data_dir:
        database: dict[str, str] = {}
        if args.database_url:
            import scale_bench

            database = {"database_url": args.database_url}
            token = scale_bench.sign_in(args.database_url, args.user)
        else:
            token = stream_bench.sign_in(args.data_dir, args.user)
        cookie = f"rse_session={token}".encode()
        backend = ("postgres" if args.database_url else "whoosh") if args.search else "none"
        app = create_app(
            make_settings(args.data_dir, search_backend=backend, shared_seconds=60, **database)
        )
        args.times = time_statements(app) if args.statements else None
        args.hook_times = time_hooks(app) if args.hooks else None
        as_served()
        asyncio.run(measure(app, cookie, args))
        app.state.rse.close()
        return
    with tempfile.TemporaryDirectory(prefix="rse-profile-") as tmp:
        data_dir = Path(tmp) / "var"
        stream_bench.build(data_dir, args.activities)
        if args.wiki_pages:
            import random

            import wiki_bench

            company = wiki_bench.add_pages(data_dir, args.wiki_pages, 1000)
            if args.path == "wiki":
                args.path = f"/wiki/company/{random.Random(2).choice(company[1:])}"
        cookie = f"rse_session={stream_bench.sign_in(data_dir, args.user)}".encode()
        app = create_app(make_settings(data_dir, shared_seconds=60))  # as served
        args.hook_times = time_hooks(app) if args.hooks else None
        as_served()
        asyncio.run(measure(app, cookie, args))
        app.state.rse.close()


def as_served() -> None:
    """What ``rse serve``'s workers do once started (``rse_core.app.serving_app``): the
    objects made so far leave the garbage collector's walks."""
    gc.collect()
    gc.freeze()


def time_statements(app) -> dict[str, list[float]]:
    """Time every statement the pages run (milliseconds, by statement text)."""
    from sqlalchemy import event

    times: dict[str, list[float]] = {}
    engine = app.state.rse.db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def after(conn, cursor, statement, parameters, context, executemany):
        took = (time.perf_counter() - conn.info["started"]) * 1000
        times.setdefault(" ".join(statement.split()), []).append(took)
        if os.environ.get("EXPLAIN"):
            explain.setdefault(" ".join(statement.split()), (statement, parameters))

    @event.listens_for(engine, "checkout")
    def checkout(dbapi_connection, record, proxy):
        times.setdefault("(a connection checked out of the pool)", []).append(0.0)

    explain: dict[str, tuple[str, object]] = {}
    app.state.explain = explain
    return times


def time_hooks(app) -> dict[str, list[float]]:
    """Time every hook implementation the pages call (milliseconds, by plugin and hook)."""
    times: dict[str, list[float]] = {}
    pm = app.state.rse.plugins.pm
    for name in dir(pm.hook):
        caller = getattr(pm.hook, name)
        if not name.startswith("rse_") or not hasattr(caller, "get_hookimpls"):
            continue
        for impl in caller.get_hookimpls():
            impl.function = _timed(impl.function, f"{impl.plugin_name} {name}", times)
    return times


def _timed(function, key: str, times: dict[str, list[float]]):
    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            times.setdefault(key, []).append((time.perf_counter() - started) * 1000)

    return timed


def print_statements(times: dict[str, list[float]], pages: int) -> None:
    """The statements by their time per page, most first."""
    rows = sorted(times.items(), key=lambda item: -sum(item[1]))
    runs = sum(len(took) for key, took in rows if not key.startswith("("))
    print(f"{runs / pages:.1f} statements a page")
    checkouts = times.get("(a connection checked out of the pool)", [])
    print(f"{len(checkouts) / pages:.1f} connections checked out a page")
    for statement, took in rows[: int(os.environ.get("STATEMENTS", 12))]:
        per_page = f"{sum(took) / pages:7.2f} ms a page, {len(took) / pages:4.1f} runs"
        print(f"{per_page}  {statement[:240]}")


def explain_slowest(app, times: dict[str, list[float]], count: int) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the ``count`` statements that take most of a page."""
    rows = sorted(times.items(), key=lambda item: -sum(item[1]))[:count]
    raw = app.state.rse.db.engine.raw_connection()
    try:
        for key, _ in rows:
            statement, parameters = app.state.explain[key]
            cursor = raw.cursor()
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            print("\n" + statement)
            print("\n".join(row[0] for row in cursor.fetchall()))
    finally:
        raw.close()


async def measure(app, cookie: bytes, args: argparse.Namespace) -> None:
    path, _, query = args.path.partition("?")

    async def one() -> int:
        scope = {
            "type": "http",
            "method": "GET",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "headers": [(b"host", b"testserver"), (b"cookie", cookie)],
            "scheme": "http",
            "server": ("testserver", 80),
            "client": ("127.0.0.1", 1),
            "root_path": "",
            "http_version": "1.1",
            "app": app,
            "state": {},
        }
        status = {}

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]

        await app(scope, receive, send)
        return status["code"]

    if await one() != 200:
        raise SystemExit(f"{args.path} did not answer 200")
    for _ in range(30):  # warm: the worker's access copy, the rendering caches
        await one()
    statements = getattr(args, "times", None)
    if statements is not None:
        statements.clear()
    hooks = getattr(args, "hook_times", None)
    if hooks is not None:
        hooks.clear()
    times = []
    for _ in range(args.requests):
        start = time.perf_counter()
        await one()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    n = len(times)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(50):
        await one()
    profile.disable()
    stats = pstats.Stats(profile)
    where = args.data_dir or f"{args.activities:,} activities"
    print(
        f"{args.path} at {where}: mean {sum(times) / n:.1f} ms, "
        f"p50 {times[n // 2]:.1f} ms, p95 {times[int(n * 0.95)]:.1f} ms, "
        f"{stats.total_calls // 50:,} Python function calls a page"
    )
    if statements is not None:
        print_statements(statements, args.requests + 50)
        if os.environ.get("EXPLAIN"):
            explain_slowest(app, statements, int(os.environ["EXPLAIN"]))
    if hooks is not None:
        rows = sorted(hooks.items(), key=lambda item: -sum(item[1]))
        for key, took in rows[: int(os.environ.get("HOOKS", 25))]:
            pages = args.requests + 50
            print(f"{sum(took) / pages:7.3f} ms a page, {len(took) / pages:4.1f} calls  {key}")
    if args.profile == "packages":
        print_packages(stats)
    elif args.profile:
        stats.sort_stats(args.profile).print_stats(int(os.environ.get("PROFILE_ROWS", "40")))
    if os.environ.get("CALLERS"):  # who calls the functions matching this pattern
        stats.sort_stats("cumulative").print_callers(os.environ["CALLERS"])


def print_packages(stats: pstats.Stats) -> None:
    """Each package's own time a page (cProfile's tottime summed by where the code lives):
    which layer a page spends in, the profiler's overhead spread over all of them."""
    totals: dict[str, float] = {}
    for (filename, _line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        if "site-packages/" in filename:
            package = filename.split("site-packages/", 1)[1].split("/", 1)[0]
        elif "/plugins/" in filename:
            package = "plugins/" + filename.split("/plugins/", 1)[1].split("/", 1)[0]
        elif "/rse_core/" in filename:
            package = "rse_core/" + filename.split("/rse_core/", 1)[1].split("/", 1)[0]
        elif filename == "~":
            package = "builtins: " + function.split(" of ")[0].strip("<>{}")[:40]
        else:
            package = "stdlib: " + Path(filename).name
        totals[package] = totals.get(package, 0.0) + row[2]
    whole = sum(totals.values())
    for package, seconds in sorted(totals.items(), key=lambda kv: -kv[1])[:30]:
        print(f"{seconds / 50 * 1000:7.2f} ms a page  {seconds / whole:5.1%}  {package}")
    # Who calls into SQLAlchemy: its time (with what it calls) by the project's calling function.
    callers: dict[str, float] = {}
    for (filename, _line, _function), row in stats.stats.items():  # type: ignore[attr-defined]
        if "site-packages/sqlalchemy/" not in filename:
            continue
        for (c_file, c_line, c_function), edge in row[4].items():
            if "site-packages" in c_file or c_file == "~" or "/lib/python3" in c_file:
                continue
            where = f"{os.path.relpath(c_file, HERE.parent)}:{c_line}({c_function})"
            callers[where] = callers.get(where, 0.0) + edge[3]
    print("\nSQLAlchemy's time by the calling function:")
    for where, seconds in sorted(callers.items(), key=lambda kv: -kv[1])[:25]:
        print(f"{seconds / 50 * 1000:7.2f} ms a page  {where}")


if __name__ == "__main__":
    main()
