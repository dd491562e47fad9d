"""Benchmark: the wiki with 100,000 pages, a page of 1,000 revisions, and 5,000-line diffs.

    .venv/bin/python bench/wiki_bench.py [--pages 100000] [--revisions 1000] [--lines 5000]

It builds an SQLite database (10,000 users, 500 spaces from bench/stream_bench.py, then the
pages: a third in the company wiki, the rest in spaces, each linking to two others), then
measures with ``rse serve`` (one uvicorn worker) and one client at a time, p50/p95/p99,
beside the bare Starlette baseline served the same way in the same run:
  * a page view of the page with 1,000 revisions (its tree, links, backlinks, comments);
  * a page view of an ordinary page, picked at random;
  * that page's history (the newest 50 revisions: paginated, never loaded whole);
and in-process the diff of two 5,000-line revisions (a tenth of the lines changed).
Targets (issue #11): page view p95 under 20 ms; the diff under 200 ms.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import stream_bench  # noqa: E402  (users, spaces and the HTTP helpers)

BIG = "big-page"


def add_pages(data_dir: Path, count: int, revisions: int, seed: int = 9) -> list[str]:
    """``count`` pages with one revision each and ``[[links]]``; the page ``big-page`` of the
    company wiki with ``revisions`` revisions. Returns some company pages' addresses."""
    rng = random.Random(seed)
    con = sqlite3.connect(data_dir / "rse.db")
    con.execute("PRAGMA synchronous = OFF")
    space_ids = [row[0] for row in con.execute("SELECT id FROM rse_space")]
    first_content = (con.execute("SELECT max(id) FROM rse_content").fetchone()[0] or 0) + 1
    now = datetime.now(UTC).replace(tzinfo=None)
    stamp = now.isoformat(sep=" ")
    content, wiki_pages, revs, links = [], [], [], []
    company = []
    for n in range(count):
        page_id, cid = n + 1, first_content + n
        space = None if n % 3 == 0 else rng.choice(space_ids)
        wiki_id, audience = (0, "everyone") if space is None else (space, f"space:{space}")
        slug = BIG if n == 0 else f"page-{n}"
        if space is None:
            company.append(slug)
        others = [rng.randrange(count) for _ in range(2)]
        body = (
            f"## Overview\n\nPage {n} of the bench. See [[Page {others[0]}]] and "
            f"[[Page {others[1]}]].\n\n## Details\n\n" + "Some words about it. " * 40
        )
        title = "Big page" if n == 0 else f"Page {n}"
        key = "company" if space is None else f"space-{space}"
        author = rng.randint(1, stream_bench.USERS)
        content.append((cid, space, author, audience, title, body, f"/wiki/{key}/{slug}", stamp))
        parent = None if n < 100 else rng.randint(1, 99)
        wiki_pages.append((page_id, wiki_id, space, cid, slug, title, body, parent, stamp))
        revs.append((page_id, wiki_id, 1, title, body, author, stamp))
        links.extend((page_id, wiki_id, f"page-{o}") for o in others)
    con.executemany(
        "INSERT INTO rse_content (id, type, plugin, space_id, author_id, audience, title,"
        " summary, url, created_at, updated_at) VALUES (?, 'wiki.page', 'wiki', ?, ?, ?, ?, ?,"
        " ?, ?, ?)",
        [(*row[:7], row[7], row[7]) for row in content],
    )
    con.executemany(
        "INSERT INTO wiki_page (id, wiki_id, space_id, content_id, slug, title, body, parent_id,"
        " revision, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
        [(*row, row[-1]) for row in wiki_pages],
    )
    con.executemany(
        "INSERT INTO wiki_revision (page_id, wiki_id, number, title, body, summary, author_id,"
        " merged, created_at) VALUES (?, ?, ?, ?, ?, '', ?, 0, ?)",
        revs,
    )
    con.executemany("INSERT INTO wiki_link (page_id, wiki_id, target_slug) VALUES (?, ?, ?)", links)
    # The big page: `revisions` saves, its text growing a line each time.
    body = wiki_pages[0][6]
    history = []
    for number in range(2, revisions + 1):
        body += f"\nLine {number} added by a later edit."
        at = (now - timedelta(minutes=revisions - number)).isoformat(sep=" ")
        history.append((1, 0, number, "Big page", body, rng.randint(1, 500), at))
    con.executemany(
        "INSERT INTO wiki_revision (page_id, wiki_id, number, title, body, summary, author_id,"
        " merged, created_at) VALUES (?, ?, ?, ?, ?, '', ?, 0, ?)",
        history,
    )
    con.execute(
        "UPDATE wiki_page SET body = ?, revision = ? WHERE id = 1", (body, max(revisions, 1))
    )
    con.execute("ANALYZE")
    con.commit()
    con.close()
    return company


def time_diff(lines: int, repeat: int = 10) -> dict[str, float]:
    """Two revisions of ``lines`` lines, a tenth of them edited: the diff's time (ms)."""
    from rse_wiki import text

    rng = random.Random(4)
    old = [f"Line {i}: the quick brown fox jumps over the lazy dog." for i in range(lines)]
    new = list(old)
    for i in rng.sample(range(lines), lines // 10):
        new[i] = new[i].replace("quick", "slow") + " (edited)"
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        rows = text.diff("\n".join(old), "\n".join(new))
        timings.append((time.perf_counter() - started) * 1000)
    assert sum(r.kind == "add" for r in rows) == lines // 10
    return {"p50": statistics.median(timings), "max": max(timings)}


def measure(data_dir: Path, company: list[str], requests: int) -> dict[str, dict[str, float]]:
    token = stream_bench.sign_in(data_dir)
    csrf = "b" * 43
    with stream_bench.rse_and_baseline(data_dir) as (rse_url, baseline_url):
        base = f"{rse_url}/wiki/company"
        ordinary = random.Random(2).choice(company[1:])
        for url in (f"{base}/{BIG}", f"{base}/{ordinary}", f"{base}/{BIG}/history"):
            stream_bench.sequential(url, token, csrf, requests=20)  # warm up, and check 200s
        return {
            "big": stream_bench.sequential(f"{base}/{BIG}", token, csrf, requests=requests),
            "ordinary": stream_bench.sequential(
                f"{base}/{ordinary}", token, csrf, requests=requests
            ),
            "history": stream_bench.sequential(
                f"{base}/{BIG}/history", token, csrf, requests=requests
            ),
            "baseline": stream_bench.sequential(f"{baseline_url}/", token, csrf, requests=requests),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--revisions", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rse-wiki-bench-") as tmp:
        data_dir = Path(tmp) / "var"
        started = time.perf_counter()
        stream_bench.build(data_dir, 1000)
        company = add_pages(data_dir, args.pages, args.revisions)
        built = time.perf_counter() - started
        pages = measure(data_dir, company, args.requests)
    diff = time_diff(args.lines)
    print(f"built {args.pages:,} pages in {built:.0f} s")
    print("| what | p50 | p95 | p99 |")
    print("|---|---:|---:|---:|")
    names = {
        "big": f"page view, the page of {args.revisions:,} revisions",
        "ordinary": "page view, an ordinary page",
        "history": "history page (newest 50 revisions)",
        "baseline": "bare Starlette + Jinja2 baseline (bench/baseline_app.py), same run",
    }
    for key, label in names.items():
        r = pages[key]
        print(f"| {label} | {r['p50']:.1f} ms | {r['p95']:.1f} ms | {r['p99']:.1f} ms |")
    print(
        f"| diff of two {args.lines:,}-line revisions (in-process; p50, max of 10) "
        f"| {diff['p50']:.0f} ms | max {diff['max']:.0f} ms | |"
    )


if __name__ == "__main__":
    main()
