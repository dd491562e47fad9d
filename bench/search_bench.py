"""Benchmark: search over 100,000 documents of ~50 words, permission filter over 500 spaces.

    .venv/bin/python bench/search_bench.py [--docs 100000] [--queries 200] \
        [--postgres "$(scripts/ensure-postgres)" [--only-postgres]]

Reports, for whoosh and for SQLite FTS5 (stdlib) doing the same queries in the same run:
query p50/p95 for a two-word query with many hits and one with few hits, both filtered by a
random reader's principals; full reindex rate; and (whoosh) how long a post takes to commit and
then to become searchable through the outbox indexer.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from rse_core.search.documents import Document  # noqa: E402
from rse_core.search.whoosh_backend import WRITER_OPTIONS, WhooshBackend  # noqa: E402

SPACES = 500
WORDS = [f"w{i:04d}" for i in range(5000)]
COMMON = ["project", "meeting", "release", "customer", "planning"]
RARE = ["zanzibar", "quokka"]
QUERIES = (("many", "project meeting"), ("few", "zanzibar quokka"))


def make_documents(count: int, seed: int = 3) -> list[Document]:
    rng = random.Random(seed)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    docs = []
    for i in range(count):
        words = rng.choices(WORDS, k=45) + rng.sample(COMMON, 3)
        if i % 5000 == 0:
            words += RARE
        rng.shuffle(words)
        roll = rng.random()
        audience = "everyone" if roll < 0.3 else f"space:{rng.randint(1, SPACES)}"
        docs.append(
            Document(
                f"c:{i}",
                "bench.item",
                f"Item {i} {words[0]}",
                " ".join(words),
                audience,
                f"/content/{i}",
                "",
                "someone",
                now,
            )
        )
    return docs


def reader_principals(rng: random.Random) -> frozenset[str]:
    public = {f"space:{s}" for s in range(1, SPACES + 1) if s % 3 == 0}
    mine = {f"space:{rng.randint(1, SPACES)}" for _ in range(5)}
    return frozenset({"everyone", "user:1", *public, *mine})


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def time_queries(backend: Any, queries: int, rng: random.Random) -> dict[str, float]:
    """p50 and p95 of the two-word queries, each by a random reader, through a backend."""
    result = {}
    for label, text in QUERIES:
        timings = []
        for _ in range(queries):
            principals = reader_principals(rng)
            t = time.perf_counter()
            backend.search(text, principals)
            timings.append((time.perf_counter() - t) * 1000)
        result[f"{label}_p50"] = statistics.median(timings)
        result[f"{label}_p95"] = pct(timings, 0.95)
    return result


def bench_whoosh(docs: list[Document], queries: int, tmp: Path) -> dict[str, float]:
    backend = WhooshBackend(tmp / "whoosh")
    started = time.perf_counter()
    backend.rebuild(iter(docs))
    rate = len(docs) / (time.perf_counter() - started)
    started = time.perf_counter()
    backend.rebuild(iter(docs), procs=2, limitmb=1024)  # as `rse search reindex` does
    rate2 = len(docs) / (time.perf_counter() - started)
    rng = random.Random(5)
    result = {"reindex_docs_per_s": rate, "reindex2_docs_per_s": rate2}
    result.update(time_queries(backend, queries, rng))
    # The index changes with every post: a query right after a commit finds a new segment
    # (and the permission sets rebuilt); per-segment caches keep the old segments' work.
    timings = []
    for i in range(30):
        extra = make_documents(1, seed=100 + i)[0]
        backend.write([dataclasses.replace(extra, key=f"c:new{i}")])
        principals = reader_principals(rng)
        t = time.perf_counter()
        backend.search("project meeting", principals)
        timings.append((time.perf_counter() - t) * 1000)
    result["after_post_p50"], result["after_post_p95"] = (
        statistics.median(timings),
        pct(timings, 0.95),
    )
    result["after_post_max"] = max(timings)  # whoosh merged small segments before some
    backend.close()
    # A restarted worker's very first query: nothing in memory, the posting lists its
    # predecessors read kept beside the index (search-postings); then the same after every
    # segment was merged into one (the writer reads the searched words' lists again, as
    # after any merge: _prune_store); then a worker on an index nobody has searched yet
    # (those lists removed).
    for label in ("cold_ms", "after_merge_ms", "cold_unread_ms"):
        if label == "after_merge_ms":
            merging = WhooshBackend(tmp / "whoosh")
            merging.ix.writer(**WRITER_OPTIONS).commit(optimize=True)
            started = time.perf_counter()
            merging._prune_store()
            result["merge_reread_s"] = time.perf_counter() - started
            merging.close()
        if label == "cold_unread_ms":
            shutil.rmtree(tmp / "whoosh-postings", ignore_errors=True)
        fresh = WhooshBackend(tmp / "whoosh")
        t = time.perf_counter()
        fresh.search("project meeting", reader_principals(rng))
        result[label] = (time.perf_counter() - t) * 1000
        fresh.close()
    return result


def bench_fts5(docs: list[Document], queries: int, tmp: Path) -> dict[str, float]:
    con = sqlite3.connect(tmp / "fts.db")
    con.execute(
        "CREATE VIRTUAL TABLE fts USING fts5(key UNINDEXED, audience UNINDEXED, title,"
        " text, tokenize='porter unicode61')"
    )
    started = time.perf_counter()
    con.executemany(
        "INSERT INTO fts (key, audience, title, text) VALUES (?, ?, ?, ?)",
        ((d.key, d.audience, d.title, d.text) for d in docs),
    )
    con.commit()
    rate = len(docs) / (time.perf_counter() - started)
    rng = random.Random(5)
    result = {"reindex_docs_per_s": rate}
    for label, text in QUERIES:
        timings = []
        for _ in range(queries):
            principals = sorted(reader_principals(rng))
            marks = ",".join("?" * len(principals))
            t = time.perf_counter()
            con.execute(
                f"SELECT key, snippet(fts, 3, '<mark>', '</mark>', '…', 12) FROM fts "
                f"WHERE fts MATCH ? AND audience IN ({marks}) ORDER BY rank LIMIT 20",
                [text, *principals],
            ).fetchall()
            con.execute(
                f"SELECT count(*) FROM fts WHERE fts MATCH ? AND audience IN ({marks})",
                [text, *principals],
            ).fetchone()
            timings.append((time.perf_counter() - t) * 1000)
        result[f"{label}_p50"], result[f"{label}_p95"] = (
            statistics.median(timings),
            pct(timings, 0.95),
        )
    con.close()
    return result


def bench_postgres(docs: list[Document], queries: int, tmp: Path, server: str) -> dict[str, float]:
    """The PostgreSQL backend on the server ``server`` (scripts/ensure-postgres), in a fresh
    schema migrated like an installation's."""
    from rse_core import migrate
    from rse_core.app import create_runtime
    from rse_core.search.postgres_backend import PostgresBackend
    from rse_core.testing import fresh_postgres_schema, make_settings

    url = fresh_postgres_schema(server)
    rt = create_runtime(make_settings(tmp / "pg", database_url=url, load_entry_points=False))
    migrate.upgrade(rt.db, rt.plugins)
    backend = PostgresBackend(rt.db)
    started = time.perf_counter()
    backend.rebuild(iter(docs))
    rate = len(docs) / (time.perf_counter() - started)
    with rt.db.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE rse_search_document")
    rng = random.Random(5)
    result = {"reindex_docs_per_s": rate}
    result.update(time_queries(backend, queries, rng))
    rt.db.dispose()
    return result


def bench_posting(tmp: Path, posts: int = 50) -> dict[str, float]:
    """Server-side cost of a post (one transaction: content, activity, outbox) and the time
    until the outbox indexer has made it searchable."""
    from rse_core import migrate
    from rse_core.app import create_runtime
    from rse_core.content import publish
    from rse_core.identity.accounts import create_user
    from rse_core.search.indexer import drain
    from rse_core.testing import make_settings

    rt = create_runtime(make_settings(tmp / "var", load_entry_points=False))
    migrate.upgrade(rt.db, rt.plugins)
    with rt.db.write() as session:
        author = create_user(session, "poster", email="p@example.com", password=None)
    commit_ms, searchable_ms = [], []
    for i in range(posts):
        t = time.perf_counter()
        with rt.db.write() as session:
            publish(
                session,
                plugin="bench",
                type="bench.post",
                author=author,
                url="/x",
                summary=f"post number {i} about quarterly planning",
            )
        commit_ms.append((time.perf_counter() - t) * 1000)
        drain(rt.db, rt.search)
        searchable_ms.append((time.perf_counter() - t) * 1000)
    rt.search.close()
    rt.db.dispose()
    return {
        "commit_p50": statistics.median(commit_ms),
        "commit_p95": pct(commit_ms, 0.95),
        "searchable_p50": statistics.median(searchable_ms),
        "searchable_p95": pct(searchable_ms, 0.95),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="also measure the PostgreSQL backend on this server (scripts/ensure-postgres)",
    )
    parser.add_argument(
        "--only-postgres", action="store_true", help="measure the PostgreSQL backend alone"
    )
    args = parser.parse_args()
    docs = make_documents(args.docs)
    if args.only_postgres:
        with tempfile.TemporaryDirectory(prefix="rse-search-bench-") as tmp:
            g = bench_postgres(docs, args.queries, Path(tmp), args.postgres)
        print(f"{args.docs:,} documents, {args.queries} filtered queries per kind, PostgreSQL")
        for key in ("many_p50", "many_p95", "few_p50", "few_p95", "reindex_docs_per_s"):
            print(f"| {key} | {g[key]:.1f} |")
        return
    with tempfile.TemporaryDirectory(prefix="rse-search-bench-") as tmp:
        w = bench_whoosh(docs, args.queries, Path(tmp))
        f = bench_fts5(docs, args.queries, Path(tmp))
        p = bench_posting(Path(tmp))
        g = bench_postgres(docs, args.queries, Path(tmp), args.postgres) if args.postgres else None
    print(f"{args.docs:,} documents, {args.queries} filtered queries per kind\n")
    print("| measure | whoosh | SQLite FTS5 | whoosh / FTS5 |")
    print("|---|---:|---:|---:|")
    for key, label in (
        ("many_p50", "two words, many hits, p50 ms"),
        ("many_p95", "two words, many hits, p95 ms"),
        ("few_p50", "two words, few hits, p50 ms"),
        ("few_p95", "two words, few hits, p95 ms"),
        ("reindex_docs_per_s", "full reindex, documents/s (one process: a web worker)"),
        ("reindex2_docs_per_s", "full reindex, documents/s (two processes: `rse search reindex`)"),
    ):
        fts = f["reindex_docs_per_s"] if key.startswith("reindex") else f[key]
        print(f"| {label} | {w[key]:.1f} | {fts:.1f} | {w[key] / fts:.2f} |")
    if g:
        print("\n| PostgreSQL backend | PostgreSQL | SQLite FTS5 | PostgreSQL / FTS5 |")
        print("|---|---:|---:|---:|")
        for key in ("many_p50", "many_p95", "few_p50", "few_p95", "reindex_docs_per_s"):
            print(f"| {key} | {g[key]:.1f} | {f[key]:.1f} | {g[key] / f[key]:.2f} |")
    print(
        f"\nwhoosh, many hits, each query right after a new post: p50 {w['after_post_p50']:.1f}"
        f" ms, p95 {w['after_post_p95']:.1f} ms, max {w['after_post_max']:.1f} ms (the queries"
        f" after whoosh merged small segments); a restarted worker's first query:"
        f" {w['cold_ms']:.0f} ms, after a merge of every segment: {w['after_merge_ms']:.0f} ms"
        f" (the writer read the searched lists again in {w['merge_reread_s']:.1f} s),"
        f" on lists nobody read before: {w['cold_unread_ms']:.0f} ms"
    )
    print(
        f"\nposting: commit p50 {p['commit_p50']:.1f} ms, p95 {p['commit_p95']:.1f} ms; "
        f"searchable after p50 {p['searchable_p50']:.1f} ms, p95 {p['searchable_p95']:.1f} ms"
    )


if __name__ == "__main__":
    main()
