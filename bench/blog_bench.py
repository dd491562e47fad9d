"""Benchmark: the blog's read paths among 100,000 other items (10,000 users, 500 spaces).

    .venv/bin/python bench/blog_bench.py [--activities 100000] [--posts 0,2000,20000]

The blog's queries start from ``blog_post``: their cost must follow the number of blog posts,
not the number of every plugin's items (with no blog post at all, the home page's "latest blog
posts" widget must not walk the 100,000 feed items). For each blog size it measures in-process
the widget's query, the company, a space's and an author's blog pages' queries and a post's
previous/next, p50/p95 over many readers; then `/blog` served by ``rse serve`` under wrk against
the bare Starlette baseline of bench/baseline_app.py in the same run.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import stream_bench  # noqa: E402  (the shared data builder and HTTP helpers)


def add_posts(data_dir: Path, count: int, seed: int = 5) -> None:
    """``count`` published blog posts over the last year: 60 % in spaces, by their members."""
    con = sqlite3.connect(data_dir / "rse.db")
    rng = random.Random(seed)
    members: dict[int, list[int]] = {}
    for space, user in con.execute("SELECT space_id, user_id FROM rse_membership"):
        members.setdefault(space, []).append(user)
    spaces = {sid: vis for sid, vis in con.execute("SELECT id, visibility FROM rse_space")}
    next_content = (con.execute("SELECT max(id) FROM rse_content").fetchone()[0] or 0) + 1
    next_activity = (con.execute("SELECT max(id) FROM rse_activity").fetchone()[0] or 0) + 1
    start = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=365)
    content, activity, posts = [], [], []
    body = "A paragraph of a blog post with some words in it. " * 60
    for n in range(count):
        cid, aid = next_content + n, next_activity + n
        at = (start + timedelta(days=365) * n / max(count, 1)).isoformat(sep=" ")
        if rng.random() < 0.6:
            space = rng.choice(list(spaces))
            author, audience = rng.choice(members[space]), f"space:{space}"
        else:
            space, author, audience = None, rng.randint(1, stream_bench.USERS), "everyone"
        title = f"Blog post {n}"
        content.append((cid, space, author, audience, title, body, f"/blog/posts/{n + 1}", at, at))
        activity.append((aid, author, "create", cid, space, audience, at))
        posts.append((n + 1, cid, author, space, title, body, at, at, at))
    con.executemany(
        "INSERT INTO rse_content (id, type, plugin, space_id, author_id, audience, title,"
        " summary, url, created_at, updated_at) VALUES (?, 'blog.post', 'blog', ?, ?, ?, ?, ?,"
        " ?, ?, ?)",
        content,
    )
    con.executemany(
        "INSERT INTO rse_activity (id, actor_id, verb, content_id, space_id, audience, plugin,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, 'blog', ?)",
        activity,
    )
    con.executemany(
        "INSERT INTO blog_post (id, content_id, author_id, space_id, title, body, tags, status,"
        " published_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, '', 'published', ?,"
        " ?, ?)",
        posts,
    )
    con.execute("ANALYZE")
    con.commit()
    con.close()


def time_queries(data_dir: Path, readers: int = 40, repeat: int = 10) -> dict[str, float]:
    """In-process timings (ms) of the blog's reads for random readers."""
    from rse_blog import posts
    from rse_blog.models import BlogPost
    from sqlalchemy import func, select

    from rse_core.db import Database
    from rse_core.identity.models import User
    from rse_core.permissions import load_access

    db = Database(f"sqlite:///{data_dir / 'rse.db'}")
    rng = random.Random(13)
    timings: dict[str, list[float]] = {k: [] for k in ("widget", "company", "space", "author")}
    timings["neighbours"] = []
    with db.read() as session:
        total = session.execute(select(func.count()).select_from(BlogPost)).scalar_one()
        for _ in range(readers):
            user = session.get(User, rng.randint(1, stream_bench.USERS))
            scope = load_access(session, user).principals
            space_id = next(iter(load_access(session, user).roles))
            author_id = rng.randint(1, stream_bench.USERS)
            for _ in range(repeat):
                reads = {
                    "widget": {"limit": 5},
                    "company": {"limit": 21},
                    "space": {"space_id": space_id, "limit": 21},
                    "author": {"author_id": author_id, "personal": True, "limit": 21},
                }
                for name, options in reads.items():
                    started = time.perf_counter()
                    rows = posts.listing(session, scope, **options)
                    timings[name].append((time.perf_counter() - started) * 1000)
                    if name == "company" and total and not rows:
                        raise RuntimeError("the company blog is empty for a reader")
            if total:
                post = session.get(BlogPost, rng.randint(1, total))
                started = time.perf_counter()
                posts.neighbours(session, scope, post)
                timings["neighbours"].append((time.perf_counter() - started) * 1000)
    db.dispose()
    result = {}
    for name, values in timings.items():
        if values:
            result[f"{name}_p50"] = statistics.median(values)
            result[f"{name}_p95"] = stream_bench.percentile(values, 0.95)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=100_000)
    parser.add_argument("--posts", default="0,2000,20000")
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk (make bench installs it)")
    rows = []
    for count in (int(c) for c in args.posts.split(",")):
        with tempfile.TemporaryDirectory(prefix=f"rse-blog-bench-{count}-") as tmp:
            data_dir = Path(tmp) / "var"
            stream_bench.build(data_dir, args.activities)
            add_posts(data_dir, count)
            queries = time_queries(data_dir)
            page = stream_bench.measure_pages(data_dir, args.seconds, "/blog", check=False)
        rows.append((count, queries, page))
        print(f"{count:,} posts: {queries}", flush=True)
    print()
    print(f"Among {args.activities:,} activities of other items. Query times p50 / p95 in ms.")
    print(
        "| blog posts | home widget | company blog | a space's blog | an author's blog "
        "| previous/next | /blog alone p50 / p95 | /blog req/s | baseline req/s | ratio |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for count, q, p in rows:

        def pair(name: str, q: dict[str, float] = q) -> str:
            if f"{name}_p50" not in q:
                return "—"
            return f"{q[f'{name}_p50']:.2f} / {q[f'{name}_p95']:.2f}"

        print(
            f"| {count:,} | {pair('widget')} | {pair('company')} | {pair('space')} "
            f"| {pair('author')} | {pair('neighbours')} "
            f"| {p['rse_alone']['p50']:.1f} / {p['rse_alone']['p95']:.1f} ms "
            f"| {p['rse']['rps']:.0f} "
            f"| {p['baseline']['rps']:.0f} | {p['rse']['rps'] / p['baseline']['rps']:.3f} |"
        )


if __name__ == "__main__":
    main()
