"""Benchmark: an idea campaign of the whole company, with thousands of ideas and votes.

    .venv/bin/python bench/ideas_bench.py [--ideas 5000] [--votes 200000] [--campaigns 200]
                                         [--requests 200]

It builds an SQLite database (10,000 users, 500 spaces from bench/stream_bench.py), then one
company-wide campaign with ``--ideas`` ideas and ``--votes`` votes (a long tail: a few ideas
take most votes), a fifth of its ideas moved along the workflow, scored on two criteria, and
``--campaigns`` smaller campaigns in spaces (20 ideas each). The reader (user 42) reviews the
big campaign. Then, with ``rse serve`` (one uvicorn worker) and one client at a time,
p50/p95/p99 of the campaigns page, the big campaign's page (by votes and by score), its
reviewers' board, an idea's page, the ideas API, the campaign with its figures, the CSV, and a
vote (taken and taken back), beside the bare Starlette baseline served the same way in the
same run.
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

READER = 42
STATES = ("submitted", "under_review", "selected", "in_progress", "implemented", "declined")


def add_campaigns(data_dir: Path, ideas: int, votes: int, campaigns: int, seed: int = 17) -> None:
    """The big campaign (id 1) and the small ones, written with plain sqlite3 for speed."""
    rng = random.Random(seed)
    con = sqlite3.connect(data_dir / "rse.db")
    con.execute("PRAGMA synchronous = OFF")
    space_ids = [row[0] for row in con.execute("SELECT id FROM rse_space")]
    next_content = (con.execute("SELECT max(id) FROM rse_content").fetchone()[0] or 0) + 1
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    stamp = now.isoformat(sep=" ")
    closes = (now + timedelta(days=30)).isoformat(sep=" ")
    opened = (now - timedelta(days=30)).isoformat(sep=" ")
    content_rows, campaign_rows, idea_rows = [], [], []
    idea_id = 0
    for campaign_id in range(1, campaigns + 2):
        big = campaign_id == 1
        space = None if big else rng.choice(space_ids)
        audience = "everyone" if space is None else f"space:{space}"
        owner = READER if big else rng.randint(1, stream_bench.USERS)
        campaign_content = next_content
        next_content += 1
        question = f"Campaign {campaign_id}: how do we " + rng.choice(
            ("save energy", "travel less", "welcome newcomers", "cut meetings")
        )
        content_rows.append(
            (
                campaign_content,
                "ideas.campaign",
                space,
                owner,
                audience,
                None,
                question,
                f"/ideas/campaigns/{campaign_id}",
            )
        )
        count = ideas if big else 20
        campaign_rows.append(
            (
                campaign_id,
                campaign_content,
                owner,
                space,
                question,
                opened,
                closes,
                "under_review selected in_progress",
                "Impact\nCost" if big else "",
                count,
            )
        )
        for _ in range(count):
            idea_id += 1
            state = STATES[0] if rng.random() < 0.8 else rng.choice(STATES[1:])
            title = f"Idea {idea_id}: " + rng.choice(
                ("timers", "shared desks", "video first", "buddy system", "no-meeting day")
            )
            author = rng.randint(1, stream_bench.USERS)
            content_rows.append(
                (
                    next_content,
                    "ideas.idea",
                    space,
                    author,
                    audience,
                    campaign_content,
                    title,
                    f"/ideas/{idea_id}",
                )
            )
            created = (now - timedelta(minutes=rng.randint(1, 40_000))).isoformat(sep=" ")
            decided = created if state in STATES[2:] else None
            score = round(rng.uniform(1, 5), 2) if big and rng.random() < 0.3 else None
            idea_rows.append(
                (idea_id, next_content, campaign_id, author, title, state, score, created, decided)
            )
            next_content += 1
    con.executemany(
        "INSERT INTO rse_content (id, type, plugin, space_id, author_id, audience, parent_id,"
        " title, summary, url, created_at, updated_at) VALUES (?, ?, 'ideas', ?, ?, ?, ?, ?,"
        " 'An idea of the bench.', ?, ?, ?)",
        [(*row, stamp, stamp) for row in content_rows],
    )
    con.executemany(
        "INSERT INTO ideas_campaign (id, content_id, owner_id, space_id, question, description,"
        " opens_at, closes_at, steps, criteria, idea_count, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, 'A campaign of the bench.', ?, ?, ?, ?, ?, ?, ?)",
        [(*row, stamp, stamp) for row in campaign_rows],
    )
    con.executemany(
        "INSERT INTO ideas_idea (id, content_id, campaign_id, author_id, title, body, tags,"
        " state, score, created_at, decided_at, updated_at, vote_count)"
        " VALUES (?, ?, ?, ?, ?, 'An idea of the bench.', '', ?, ?, ?, ?, ?, 0)",
        [(*row, stamp) for row in idea_rows],
    )
    # Votes on the big campaign: a long tail (idea n drawn with weight 1/n), one per pair.
    weights = [1 / (n + 1) for n in range(ideas)]
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < votes:
        picks = rng.choices(range(1, ideas + 1), weights=weights, k=votes - len(pairs))
        pairs.update((idea, rng.randint(1, stream_bench.USERS)) for idea in picks)
    con.executemany(
        "INSERT INTO ideas_vote (idea_id, user_id, created_at) VALUES (?, ?, ?)",
        [(idea, user, stamp) for idea, user in pairs],
    )
    con.execute(
        "UPDATE ideas_idea SET vote_count = (SELECT count(*) FROM ideas_vote"
        " WHERE ideas_vote.idea_id = ideas_idea.id)"
    )
    con.execute(
        "INSERT OR IGNORE INTO ideas_participant (campaign_id, user_id)"
        " SELECT campaign_id, author_id FROM ideas_idea UNION"
        " SELECT i.campaign_id, v.user_id FROM ideas_vote v JOIN ideas_idea i ON i.id = v.idea_id"
    )
    con.execute("ANALYZE")
    con.commit()
    con.close()


def vote_timings(url: str, token: str, csrf: str, requests: int) -> dict[str, float]:
    """One client voting and taking its vote back, one request at a time."""
    import httpx2

    timings = []
    cookies = {"rse_session": token, "rse_csrf": csrf}
    with httpx2.Client(cookies=cookies, headers={"x-csrf-token": csrf}, timeout=10) as client:
        for n in range(requests):
            started = time.perf_counter()
            response = client.post(url, json={"value": 1 - n % 2})
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
    return {
        "p50": statistics.median(timings),
        "p95": stream_bench.percentile(timings, 0.95),
        "p99": stream_bench.percentile(timings, 0.99),
    }


def concurrent_votes(url: str, tokens: list[str], csrf: str) -> dict[str, float]:
    """Everyone in ``tokens`` votes for the same idea at the same instant (a thread each):
    the wall time, the slowest vote and the median one."""
    import threading

    import httpx2

    start, timings, failures = threading.Barrier(len(tokens)), [], []

    def one(token: str) -> None:
        cookies = {"rse_session": token, "rse_csrf": csrf}
        with httpx2.Client(cookies=cookies, headers={"x-csrf-token": csrf}, timeout=30) as c:
            start.wait()
            began = time.perf_counter()
            response = c.post(url, json={"value": 1})
            timings.append((time.perf_counter() - began) * 1000)
            if response.status_code != 200:
                failures.append(response.status_code)

    threads = [threading.Thread(target=one, args=(t,)) for t in tokens]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = (time.perf_counter() - began) * 1000
    if failures:
        raise RuntimeError(f"votes refused: {failures[:5]}")
    return {"wall": wall, "slowest": max(timings), "p50": statistics.median(timings)}


def _votes(url: str, token: str, csrf: str) -> int:
    import httpx2

    cookies = {"rse_session": token, "rse_csrf": csrf}
    return httpx2.get(url, cookies=cookies, timeout=10).json()["votes"]


PAGES = {
    "campaigns": ("/ideas", "the open campaigns (/ideas)"),
    "campaign": ("/ideas/campaigns/1", "the big campaign, ideas by votes"),
    "by_score": ("/ideas/campaigns/1?sort=score", "the big campaign, ideas by score"),
    "board": ("/ideas/campaigns/1/board", "its reviewers' board (20 a column)"),
    "idea": ("/ideas/2", "an idea's page (the second most voted)"),
    "api_ideas": ("/api/v1/ideas/campaigns/1/ideas?limit=100", "the ideas API, 100 by votes"),
    "api_campaign": ("/api/v1/ideas/campaigns/1", "the campaign with its figures (API)"),
    "csv": ("/ideas/campaigns/1.csv", "the campaign's CSV (every idea)"),
}


def measure(data_dir: Path, requests: int, last_idea: int) -> dict[str, dict[str, float]]:
    token = stream_bench.sign_in(data_dir, READER)
    csrf = "b" * 43
    with stream_bench.rse_and_baseline(data_dir) as (rse_url, baseline_url):
        found = {}
        for key, (path, _label) in PAGES.items():
            stream_bench.sequential(f"{rse_url}{path}", token, csrf, requests=10)  # warm up
            count = max(20, requests // 10) if key == "csv" else requests
            found[key] = stream_bench.sequential(f"{rse_url}{path}", token, csrf, requests=count)
        found["vote"] = vote_timings(f"{rse_url}/api/v1/ideas/ideas/2/vote", token, csrf, requests)
        # 100 colleagues vote for the big campaign's last idea (the long tail left it few
        # votes) at the same instant.
        idea_url = f"{rse_url}/api/v1/ideas/ideas/{last_idea}"
        before = _votes(idea_url, token, csrf)
        voters = [stream_bench.sign_in(data_dir, 9000 + n) for n in range(100)]
        found["together"] = concurrent_votes(f"{idea_url}/vote", voters, csrf)
        found["together"]["gained"] = _votes(idea_url, token, csrf) - before
        found["baseline"] = stream_bench.sequential(
            f"{baseline_url}/", token, csrf, requests=requests
        )
        return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ideas", type=int, default=5000)
    parser.add_argument("--votes", type=int, default=200_000)
    parser.add_argument("--campaigns", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rse-ideas-bench-") as tmp:
        data_dir = Path(tmp) / "var"
        started = time.perf_counter()
        stream_bench.build(data_dir, 10_000)
        add_campaigns(data_dir, args.ideas, args.votes, args.campaigns)
        built = time.perf_counter() - started
        found = measure(data_dir, args.requests, args.ideas)
    print(
        f"built {args.campaigns + 1} campaigns, the big one with {args.ideas:,} ideas and"
        f" {args.votes:,} votes, in {built:.0f} s"
    )
    print("| what | p50 | p95 | p99 | p50 / baseline |")
    print("|---|---:|---:|---:|---:|")
    labels = {key: label for key, (_path, label) in PAGES.items()}
    labels["vote"] = "a vote, taken and taken back (POST, API)"
    labels["baseline"] = "bare Starlette + Jinja2 baseline (bench/baseline_app.py), same run"
    base = found["baseline"]["p50"]
    together = found.pop("together")
    for key, label in labels.items():
        r = found[key]
        print(
            f"| {label} | {r['p50']:.1f} ms | {r['p95']:.1f} ms | {r['p99']:.1f} ms"
            f" | {r['p50'] / base:.1f}x |"
        )
    print(
        f"100 colleagues voting for one idea at the same instant: {together['wall']:.0f} ms in"
        f" all, the slowest vote {together['slowest']:.0f} ms (median {together['p50']:.0f} ms);"
        f" the idea gained {together['gained']:.0f} votes"
    )


if __name__ == "__main__":
    main()
