"""Benchmark: the month calendar of a company with 5,000 events, a fifth of them recurring.

    .venv/bin/python bench/events_bench.py [--events 5000] [--requests 300]

It builds an SQLite database (10,000 users, 500 spaces from bench/stream_bench.py), then the
events over a year around today: a third company-wide, the rest in spaces; four in five
one-off, one in five weekly for 20 weeks (its occurrences written out as rse does, by
rse_events.recurrence). Then, with ``rse serve`` (one uvicorn worker) and one client at a time,
p50/p95/p99 of this month's calendar and of the upcoming list for a user in several spaces,
beside the bare Starlette baseline served the same way in the same run.
Target (issue #12): the month view under 50 ms p95.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import stream_bench  # noqa: E402  (users, spaces and the HTTP helpers)
from rse_events import recurrence  # noqa: E402

PARIS = ZoneInfo("Europe/Paris")


def add_events(data_dir: Path, count: int, seed: int = 12) -> int:
    """``count`` events around today; returns how many occurrences were written."""
    rng = random.Random(seed)
    con = sqlite3.connect(data_dir / "rse.db")
    con.execute("PRAGMA synchronous = OFF")
    space_ids = [row[0] for row in con.execute("SELECT id FROM rse_space")]
    first_content = (con.execute("SELECT max(id) FROM rse_content").fetchone()[0] or 0) + 1
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    stamp = now.isoformat(sep=" ")
    content, events, occurrences = [], [], []
    weekly = recurrence.parse_rule("FREQ=WEEKLY;COUNT=20")
    for n in range(count):
        event_id, cid = n + 1, first_content + n
        space = None if n % 3 == 0 else rng.choice(space_ids)
        audience = "everyone" if space is None else f"space:{space}"
        author = rng.randint(1, stream_bench.USERS)
        day = now + timedelta(days=rng.randint(-180, 180))
        local = datetime(day.year, day.month, day.day, rng.randint(8, 17), rng.choice((0, 30)))
        start = recurrence.to_utc(local, PARIS).replace(tzinfo=None)
        end = start + timedelta(minutes=rng.choice((30, 60, 90, 120)))
        rule = weekly if n % 5 == 0 else None
        title = f"Event {n}: " + rng.choice(("review", "workshop", "training", "sync", "party"))
        content.append((cid, space, author, audience, title, "An event of the bench.", stamp))
        events.append(
            (event_id, cid, author, space, title, start, end, rule.text if rule else None)
        )
        slots = recurrence.expand(start.replace(tzinfo=UTC), end.replace(tzinfo=UTC), PARIS, rule)
        for slot in slots:
            s, e = slot.starts_at.replace(tzinfo=None), slot.ends_at.replace(tzinfo=None)
            occurrences.append(
                (event_id, s.isoformat(sep=" "), s.isoformat(sep=" "), e.isoformat(sep=" "))
            )
    con.executemany(
        "INSERT INTO rse_content (id, type, plugin, space_id, author_id, audience, title,"
        " summary, url, created_at, updated_at) VALUES (?, 'events.event', 'events', ?, ?, ?,"
        " ?, ?, '/events/' || ?, ?, ?)",
        [(*row[:6], row[0] - first_content + 1, row[6], row[6]) for row in content],
    )
    con.executemany(
        "INSERT INTO event_event (id, content_id, creator_id, space_id, title, description,"
        " time_zone, starts_at, ends_at, all_day, location, online_url, capacity, rrule, uid,"
        " sequence, created_at, updated_at) VALUES (?, ?, ?, ?, ?, '', 'Europe/Paris', ?, ?,"
        " 0, '', '', NULL, ?, ?, 0, ?, ?)",
        [
            (
                *row[:5],
                row[5].isoformat(sep=" "),
                row[6].isoformat(sep=" "),
                row[7],
                f"{uuid.uuid4()}@bench",
                stamp,
                stamp,
            )
            for row in events
        ],
    )
    con.executemany(
        "INSERT INTO event_occurrence (event_id, original_start, starts_at, ends_at, moved,"
        " cancelled) VALUES (?, ?, ?, ?, 0, 0)",
        occurrences,
    )
    con.execute("ANALYZE")
    con.commit()
    con.close()
    return len(occurrences)


def measure(data_dir: Path, requests: int) -> dict[str, dict[str, float]]:
    token = stream_bench.sign_in(data_dir)
    csrf = "b" * 43
    with stream_bench.rse_and_baseline(data_dir) as (rse_url, baseline_url):
        base = f"{rse_url}/events"
        for url in (f"{base}/month", base):
            stream_bench.sequential(url, token, csrf, requests=20)  # warm up, and check 200s
        return {
            "month": stream_bench.sequential(f"{base}/month", token, csrf, requests=requests),
            "upcoming": stream_bench.sequential(base, token, csrf, requests=requests),
            "baseline": stream_bench.sequential(f"{baseline_url}/", token, csrf, requests=requests),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rse-events-bench-") as tmp:
        data_dir = Path(tmp) / "var"
        started = time.perf_counter()
        stream_bench.build(data_dir, 1000)
        written = add_events(data_dir, args.events)
        built = time.perf_counter() - started
        pages = measure(data_dir, args.requests)
    print(f"built {args.events:,} events ({written:,} occurrences) in {built:.0f} s")
    print("| what | p50 | p95 | p99 |")
    print("|---|---:|---:|---:|")
    names = {
        "month": "this month's calendar (/events/month)",
        "upcoming": "the upcoming list, 60 days (/events)",
        "baseline": "bare Starlette + Jinja2 baseline (bench/baseline_app.py), same run",
    }
    for key, label in names.items():
        r = pages[key]
        print(f"| {label} | {r['p50']:.1f} ms | {r['p95']:.1f} ms | {r['p99']:.1f} ms |")


if __name__ == "__main__":
    main()
