"""Benchmark: every main page at the seeds' scale, and whether it stays flat with data.

    .venv/bin/python bench/scale_bench.py [--sizes 100000,1000000,10000000] [--requests 200]
        [--seconds 5] [--postgres URL]
    .venv/bin/python bench/scale_bench.py --data-dir DIR [--database-url URL]

For each size it builds bench/seed_data.py's data (100,000 employees, 5,000 spaces, one item
for ten activities over every plugin) on SQLite, or with ``--postgres`` in a new database of
that server, builds the search index (``rse search reindex``, timed), then serves it with
``rse serve`` (one worker) beside the bare baseline (bench/baseline_app.py reading and rendering
the 20 newest items of the same SQLite database) and measures, for each page:
  * one employee alone (``--requests`` sequential requests): p50 and p95;
  * throughput under ``wrk -c8`` for ``--seconds``: requests/s and its ratio to the baseline's.
Pages: home, a space's stream, a feed post, search, people, and each plugin's main page, as an
ordinary reader (user42); the home page also as someone in 500 spaces (user1) and as someone
following 1,000 people and tags, following only (user2).

Whether a page stays flat with data is then measured side by side: every size served at once,
each page's ``--requests`` one-employee requests made in ten turns over the sizes, so that a
slow hour of the machine weighs on every size alike (measured one size after the other, a
p95 moved by more than the 1.3x asked between two runs of the same code). The table gives
each size's p50 / p95 and the largest p95 over the smallest.

With ``--data-dir`` it serves a company built before (``bench/seed_data.py --data-dir DIR``,
then ``rse search reindex``; with ``--database-url``, the PostgreSQL database seed_data.py
filled): the same measures, without the build (ten minutes at 10,000,000 activities). Given
more than once (``--data-dir A --data-dir B ...``, each with its ``--database-url`` if any), it
compares those companies in turns instead; with ``--before CHECKOUT`` (``git worktree add
CHECKOUT REV``) it serves that commit's code and this tree's on the one company, in turns:
a change measured against the commit before it, the machine's hour weighing on both alike.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import seed_data  # noqa: E402
import stream_bench  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

CSRF = "b" * 43


def sign_in(url: str, user_id: int) -> str:
    """A session cookie for ``user_id``, written straight into the session table."""
    token = secrets.token_urlsafe(32)
    expires = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
    engine = create_engine(url)
    with engine.begin() as con:
        con.execute(
            text(
                "INSERT INTO rse_session (id, user_id, created_at, expires_at, ip, user_agent)"
                " VALUES (:id, :user, :at, :at, '', 'bench')"
            ),
            {"id": hashlib.sha256(token.encode()).hexdigest(), "user": user_id, "at": expires},
        )
    engine.dispose()
    return token


def pages_for(url: str, reader: int) -> dict[str, str]:
    """The pages measured, chosen in the data: the reader's biggest space, the newest
    company-wide feed post."""
    engine = create_engine(url)
    with engine.connect() as con:
        space = con.execute(
            text(
                "SELECT s.slug FROM rse_membership m JOIN rse_space s ON s.id = m.space_id"
                " WHERE m.user_id = :u ORDER BY (SELECT count(*) FROM rse_membership o"
                " WHERE o.space_id = s.id) DESC LIMIT 1"
            ),
            {"u": reader},
        ).scalar_one()
        topic = con.execute(
            text("SELECT tag FROM rse_content_tag GROUP BY tag ORDER BY count(*) DESC LIMIT 1")
        ).scalar_one()
        post = con.execute(
            text(
                "SELECT p.id FROM feed_post p JOIN rse_content c ON c.id = p.content_id"
                " WHERE c.audience = 'everyone' ORDER BY p.id DESC LIMIT 1"
            )
        ).scalar_one()
    engine.dispose()
    return {
        "home": "/",
        "space": f"/spaces/{space}",
        "feed post": f"/feed/posts/{post}",
        "search": "/search?q=budget",
        "people": "/people",
        "people search": "/people?q=martin+4242",
        "bookmarks": "/bookmarks",
        "blog": "/blog",
        "wiki": "/wiki/company",
        "events": "/events",
        "questions": "/qa",
        "praise": "/praise",
        "who knows": f"/people/topics/{topic}",
    }


def new_postgres_database(server_url: str) -> str:
    """An empty database on the server of ``server_url``; its URL."""
    name = f"rse_scale_{uuid.uuid4().hex[:10]}"
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def drop_postgres_database(server_url: str, url: str) -> None:
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    engine.dispose()


def reindex(env: dict[str, str]) -> float:
    """Build the search index from the database (``rse search reindex``): seconds taken. A
    server started on an empty index would rebuild it in the background while measured."""
    started = time.perf_counter()
    subprocess.run(
        [str(stream_bench.VENV_BIN / "rse"), "search", "reindex"],
        env={**os.environ, **env},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def readers_and_pages(url: str) -> tuple[dict[int, str], list[tuple[str, str, int]]]:
    """The readers' session tokens, and the pages measured as ``(name, path, reader)``."""
    readers = {
        reader: sign_in(url, reader)
        for reader in (seed_data.ANYONE, seed_data.BUSY_READER, seed_data.FOLLOWER)
    }
    pages = [(name, path, seed_data.ANYONE) for name, path in pages_for(url, 42).items()]
    pages += [
        ("home, in 500 spaces", "/", seed_data.BUSY_READER),
        ("home, following 1,000", "/?following=1", seed_data.FOLLOWER),
    ]
    return readers, pages


def measure(
    data_dir: Path, url: str, env: dict[str, str], requests: int, seconds: int
) -> list[tuple[str, dict[str, float], dict[str, float], float]]:
    """(page, alone, under wrk, baseline req/s) for every page and reader."""
    readers, pages = readers_and_pages(url)
    rows = []
    with stream_bench.rse_and_baseline(data_dir, env) as (rse_url, baseline_url):
        # The baseline reads SQLite: on PostgreSQL the pages compare with SQLite's run.
        on_sqlite = "RSE_DATABASE_URL" not in env
        baseline = stream_bench.wrk(f"{baseline_url}/", seconds, []) if on_sqlite else {}
        for name, path, reader in pages:
            token = readers[reader]
            page = f"{rse_url}{path}"
            stream_bench.sequential(page, token, CSRF, requests=10)  # warm, and check 200s
            alone = stream_bench.sequential(page, token, CSRF, requests=requests)
            cookie = f"Cookie: rse_session={token}; rse_csrf={CSRF}"
            loaded = stream_bench.wrk(page, seconds, [cookie])
            rows.append((name, alone, loaded, baseline.get("rps", 0.0)))
            print(
                f"    {name:<24} alone p50 {alone['p50']:6.1f} / p95 {alone['p95']:6.1f} ms"
                f"  {loaded['rps']:6.0f} req/s{ratio(loaded['rps'], baseline.get('rps'))}",
                flush=True,
            )
    return rows


def in_turns(
    companies: list[tuple[str, Path, str, dict[str, str]]], requests: int, rounds: int = 10
) -> list[tuple[str, list[dict[str, float]]]]:
    """Whether each page stays flat with data, measured side by side: every company
    (``(label, data dir, database URL, env)``) served at once, each page's one-employee
    requests made in ``rounds`` turns over the companies (a turn's order rotating), so that
    an hour when this machine runs slow weighs on every size alike. Per page, the latency
    summary at each company."""
    with ExitStack() as stack:
        served, names = [], []
        for _label, data_dir, url, env in companies:
            base = stack.enter_context(stream_bench.rse_serving(data_dir, env))
            readers, pages = readers_and_pages(url)
            served.append([(f"{base}{path}", readers[reader]) for _name, path, reader in pages])
            names = names or [name for name, _path, _reader in pages]
        rows = []
        for n, name in enumerate(names):
            timings: list[list[float]] = [[] for _ in served]
            for pages in served:
                stream_bench.latencies(*pages[n], CSRF, 10)  # warm, and check 200s
            for turn in range(rounds):
                for k in [(turn + i) % len(served) for i in range(len(served))]:
                    page, token = served[k][n]
                    timings[k] += stream_bench.latencies(page, token, CSRF, requests // rounds)
            summaries = [stream_bench.latency_summary(t) for t in timings]
            rows.append((name, summaries))
            print(f"    {name:<24} " + "  ".join(_p50_p95(s) for s in summaries), flush=True)
    return rows


def code_path(checkout: Path) -> str:
    """A ``PYTHONPATH`` that serves ``checkout``'s core and plugins instead of the installed
    ones (installed editable: their finders come after the path's entries)."""
    plugins = sorted(str(p) for p in (checkout / "plugins").iterdir() if p.is_dir())
    return os.pathsep.join([str(checkout), *plugins])


def print_in_turns(
    labels: list[str], rows: list[tuple[str, list[dict[str, float]]]], *, pair: bool = False
) -> None:
    """:func:`in_turns`'s table: each company's p50 / p95, and the largest p95 over the
    smallest (sizes) or, with ``pair``, the second's p50 over the first's (before, after)."""
    last = f"p50 {labels[1]} / {labels[0]}" if pair else "p95 largest / smallest"
    print("\n| page | " + " | ".join(labels) + f" | {last} |")
    print("|---|" + "---:|" * (len(labels) + 1))
    for name, summaries in rows:
        p95s = [s["p95"] for s in summaries]
        share = summaries[1]["p50"] / summaries[0]["p50"] if pair else max(p95s) / min(p95s)
        cells = " | ".join(_p50_p95(s) for s in summaries)
        print(f"| {name} | {cells} | {share:.2f}x |")


def _p50_p95(summary: dict[str, float]) -> str:
    return f"{summary['p50']:.1f} / {summary['p95']:.1f} ms"


def measure_built(data_dir: Path, database_url: str | None, requests: int, seconds: int) -> None:
    """:func:`measure` on a company built and indexed before, printed as a table's column."""
    url, env = _database(data_dir, database_url)
    print(f"{data_dir} on {'PostgreSQL' if database_url else 'SQLite'}:")
    rows = measure(data_dir, url, env, requests, seconds)
    print("\n| page | p50 / p95 · ratio |\n|---|---:|")
    for name, alone, loaded, base in rows:
        share = f"{loaded['rps'] / base:.3f}" if base else f"{loaded['rps']:.0f} req/s"
        print(f"| {name} | {alone['p50']:.1f} / {alone['p95']:.1f} ms · {share} |")
    if rows and rows[0][3]:
        print(f"| baseline req/s | {rows[0][3]:.0f} |")


def _database(data_dir: Path, database_url: str | None) -> tuple[str, dict[str, str]]:
    """A company's database URL and the environment ``rse`` serves it with."""
    url = database_url or f"sqlite:///{data_dir / 'rse.db'}"
    env = {"RSE_DATA_DIR": str(data_dir)}
    if database_url:
        env |= {"RSE_DATABASE_URL": database_url, "RSE_SEARCH_BACKEND": "postgres"}
    return url, env


def ratio(rps: float, baseline: float | None) -> str:
    """`` (0.123)``: throughput as a share of the baseline's, when there is one."""
    return f" ({rps / baseline:.3f})" if baseline else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--spaces", type=int, default=5_000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL: run there, not on SQLite")
    parser.add_argument(
        "--data-dir",
        type=Path,
        action="append",
        help="serve this built company (no build); given more than once, compare them in turns",
    )
    parser.add_argument(
        "--database-url", action="append", help="with --data-dir: its PostgreSQL database"
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="with one --data-dir: a checkout of another commit (git worktree add DIR REV),"
        " served beside this tree in turns",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk (make bench installs it)")
    if args.before and len(args.data_dir or ()) != 1:
        sys.exit("--before compares two commits on one company: give exactly one --data-dir")
    if args.data_dir:
        urls = args.database_url or [None] * len(args.data_dir)
        if len(urls) != len(args.data_dir):
            sys.exit("give a --database-url for each --data-dir, or none")
        if args.before:
            url, env = _database(args.data_dir[0], urls[0])
            companies = [
                ("before", args.data_dir[0], url, env | {"PYTHONPATH": code_path(args.before)}),
                ("after", args.data_dir[0], url, env),
            ]
            print_in_turns(["before", "after"], in_turns(companies, args.requests), pair=True)
            return
        if len(args.data_dir) == 1:
            measure_built(args.data_dir[0], urls[0], args.requests, args.seconds)
            return
        companies = [
            (str(data_dir), data_dir, *_database(data_dir, url))
            for data_dir, url in zip(args.data_dir, urls, strict=True)
        ]
        print_in_turns([c[0] for c in companies], in_turns(companies, args.requests))
        return
    with ExitStack() as stack:
        results, companies = [], []
        for size in (int(s) for s in args.sizes.split(",")):
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix=f"rse-scale-{size}-"))
            data_dir = Path(tmp) / "var"
            url, env = _database(data_dir, None)
            if args.postgres:
                url, env = _database(data_dir, new_postgres_database(args.postgres))
                stack.callback(drop_postgres_database, args.postgres, url)
            print(f"{size:,} activities on {'PostgreSQL' if args.postgres else 'SQLite'}:")
            started = time.perf_counter()
            seed_data.prepare(data_dir, url if args.postgres else None)
            writer = (
                seed_data.PostgresWriter(url)
                if args.postgres
                else seed_data.SqliteWriter(data_dir / "rse.db")
            )
            seed_data.build(writer, users=args.users, spaces=args.spaces, activities=size)
            seed_data.build_expertise(data_dir, url if args.postgres else None)
            built = time.perf_counter() - started
            indexed = reindex(env)
            print(f"  built in {built:.0f} s, search index in {indexed:.0f} s", flush=True)
            rows = measure(data_dir, url, env, args.requests, args.seconds)
            results.append((size, built, indexed, rows))
            companies.append((f"{size:,}", data_dir, url, env))
        print_sizes(results)
        if len(companies) > 1:
            print("\nOne employee, the sizes in turns:")
            print_in_turns([c[0] for c in companies], in_turns(companies, args.requests))


def print_sizes(results: list[tuple[int, float, float, list[Any]]]) -> None:
    """Each size's column: p50 / p95 alone and the throughput's ratio to the baseline."""
    print()
    print("| page | " + " | ".join(f"{size:,}: p50 / p95 · ratio" for size, *_ in results) + " |")
    print("|---|" + "---:|" * len(results))
    for n, (name, *_rest) in enumerate(results[0][3]):
        cells = []
        for _size, _built, _indexed, rows in results:
            _name, alone, loaded, base = rows[n]
            share = f"{loaded['rps'] / base:.3f}" if base else f"{loaded['rps']:.0f} req/s"
            cells.append(f"{alone['p50']:.1f} / {alone['p95']:.1f} ms · {share}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(
        "| built / indexed | "
        + " | ".join(f"{built:.0f} s / {indexed:.0f} s" for _s, built, indexed, _r in results)
        + " |"
    )
    print("| baseline req/s | " + " | ".join(f"{r[3][0][3]:.0f}" for r in results) + " |")


if __name__ == "__main__":
    main()
