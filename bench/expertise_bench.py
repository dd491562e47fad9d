"""Who knows a topic, at the seeds' scale: ranking people for a topic and a profile's topics.

    .venv/bin/python bench/expertise_bench.py --data-dir DIR [--database-url URL]
    .venv/bin/python bench/expertise_bench.py --activities 10000000 [--postgres SERVER_URL]
        [--users 100000] [--spaces 5000] [--repeat 200]

DIR is a data directory of bench/seed_data.py (whose expertise it computed); without one, the
data is built first (``--activities``, 100,000 employees, 5,000 spaces). For topics of every
popularity (the most used tag, the 10th, the 100th, the 400th) and two readers (user42, an
ordinary employee reading ~2,250 public spaces; user1, in 500 spaces), each ranking is read
``--repeat`` times in a session of its own as a page would: p50 / p95 in milliseconds. Then a
prolific person's "knows about" (their profile). Issue #14 asks for under 50 ms at p95.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select, text

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import seed_data  # noqa: E402

from rse_core.app import create_runtime  # noqa: E402
from rse_core.content import ContentTag  # noqa: E402
from rse_core.expertise import Expertise, ItemEvidence, experts, known_topics  # noqa: E402
from rse_core.identity.models import User  # noqa: E402
from rse_core.permissions import principals_for  # noqa: E402
from rse_core.testing import make_settings  # noqa: E402

RANKS = (1, 10, 100, 400)  # which topics, by how often they are used


def timed(runtime, repeat: int, work) -> tuple[float, float]:
    """p50 and p95 (ms) of ``work(session)`` in a fresh read session each time."""
    for _ in range(5):
        with runtime.db.read() as session:
            work(session)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        with runtime.db.read() as session:
            work(session)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--database-url", help="the data's PostgreSQL database (with --data-dir)")
    parser.add_argument("--activities", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--spaces", type=int, default=5_000)
    parser.add_argument("--postgres", help="build on a new database of this PostgreSQL server")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    data_dir, url = args.data_dir, args.database_url
    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix="rse-expertise-")) / "var"
        if args.postgres:
            from scale_bench import new_postgres_database

            url = new_postgres_database(args.postgres)
        seed_data.prepare(data_dir, url)
        writer = (
            seed_data.PostgresWriter(url) if url else seed_data.SqliteWriter(data_dir / "rse.db")
        )
        seed_data.build(writer, users=args.users, spaces=args.spaces, activities=args.activities)
        seed_data.build_expertise(data_dir, url)
    overrides = {"database_url": url, "search_backend": "postgres"} if url else {}
    rt = create_runtime(make_settings(data_dir, **overrides))
    with rt.db.read() as session:
        topics = list(
            session.scalars(
                select(ContentTag.tag)
                .group_by(ContentTag.tag)
                .order_by(func.count().desc(), ContentTag.tag)
            )
        )
        rows = session.scalar(select(func.count()).select_from(Expertise))
        evidence = session.scalar(select(func.count()).select_from(ItemEvidence))
        users = session.scalar(select(func.count()).select_from(User))
        items = session.scalar(text("SELECT count(*) FROM rse_content"))
        readers = {
            "user42": principals_for(session, session.get(User, seed_data.ANYONE)),
            "user1 (500 spaces)": principals_for(session, session.get(User, seed_data.BUSY_READER)),
        }
    print(
        f"{'PostgreSQL' if url else 'SQLite'}: {users:,} people, {items:,} items, "
        f"{len(topics)} topics, {rows:,} expertise rows, {evidence:,} item evidence rows"
    )
    print()
    print("| ranking | " + " | ".join(f"{name}: p50 / p95" for name in readers) + " |")
    print("|---|" + "---:|" * len(readers))
    prolific = None
    for rank in RANKS:
        if rank > len(topics):
            continue
        topic = topics[rank - 1]
        with rt.db.read() as session:
            holders = session.scalar(
                select(func.count(Expertise.user_id.distinct())).where(Expertise.tag == topic)
            )
            top = experts(session, readers["user42"], topic, limit=1)
        prolific = prolific or (top[0][0].id if top else None)
        cells = []
        for scope in readers.values():
            p50, p95 = timed(rt, args.repeat, lambda s, t=topic, sc=scope: experts(s, sc, t))
            cells.append(f"{p50:.1f} / {p95:.1f} ms")
        print(f"| #{topic} (rank {rank}, {holders:,} people) | " + " | ".join(cells) + " |")
    if prolific is not None:
        cells = []
        for scope in readers.values():
            p50, p95 = timed(rt, args.repeat, lambda s, sc=scope: known_topics(s, sc, prolific))
            cells.append(f"{p50:.1f} / {p95:.1f} ms")
        print(f"| knows about (user{prolific}'s profile) | " + " | ".join(cells) + " |")
    rt.db.dispose()


if __name__ == "__main__":
    main()
