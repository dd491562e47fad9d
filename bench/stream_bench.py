"""Benchmark: the home stream at 10k, 100k and 1M activities (10,000 users, 500 spaces; 40 %
of activities are comments on recent items).

    .venv/bin/python bench/stream_bench.py [--sizes 10000,100000,1000000] [--seconds 10]

For each size it builds an SQLite database, then measures
  * the stream query (ids + one joined fetch) in-process, p50/p95 over many readers;
  * the home page served by ``rse serve`` (one uvicorn worker) under wrk: requests/s, p50, p95;
  * the bare baseline (bench/baseline_app.py: Starlette + Jinja2 reading and rendering the 20
    newest items from the same database) in the same run, and rse's throughput as a ratio to
    it.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
USERS, SPACES, SPACES_PER_USER = 10_000, 500, 5
HISTORY = timedelta(days=365)  # the activities span a year, as an installation's would
COMMENT_SHARE = 0.4  # activities that comment on one of the RECENT_ITEMS newest items
RECENT_ITEMS = 200


def build(data_dir: Path, activities: int, seed: int = 7) -> None:
    """A migrated database filled with realistic rows, written with plain sqlite3 for speed."""
    from rse_core import migrate
    from rse_core.app import create_runtime
    from rse_core.enablement import set_enablement
    from rse_core.testing import make_settings

    # The installed plugins (feed renders the items, as on a real home page), enabled for
    # everyone: an item of a plugin not active for the reader is shown nowhere.
    rt = create_runtime(make_settings(data_dir))
    migrate.upgrade(rt.db, rt.plugins)
    with rt.db.write() as session:
        for name in rt.plugins.plugin_names():
            set_enablement(session, name, enabled=True, actor="bench")
    rt.db.dispose()
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    started = datetime.now(UTC).replace(tzinfo=None) - HISTORY
    step = HISTORY / activities

    def at(activity_id: int) -> str:
        """Activities spread evenly over the last year, oldest first (as ids grow)."""
        return (started + step * activity_id).isoformat(sep=" ")

    con = sqlite3.connect(data_dir / "rse.db")
    con.execute("PRAGMA synchronous = OFF")
    con.executemany(
        "INSERT INTO rse_user (id, username, email, password_hash, display_name, is_admin,"
        " is_active, job_title, department, location, phone, bio, created_at)"
        " VALUES (?, ?, ?, '', ?, 0, 1, 'Engineer', ?, 'Paris', '', '', ?)",
        (
            (i, f"user{i}", f"user{i}@example.com", f"User {i}", f"Dept {i % 20}", now)
            for i in range(1, USERS + 1)
        ),
    )
    visibilities = ["public", "private", "secret"]
    con.executemany(
        "INSERT INTO rse_space (id, slug, name, description, visibility, join_policy,"
        " created_at) VALUES (?, ?, ?, '', ?, 'open', ?)",
        ((i, f"space-{i}", f"Space {i}", visibilities[i % 3], now) for i in range(1, SPACES + 1)),
    )
    memberships = {
        (space, user)
        for user in range(1, USERS + 1)
        for space in rng.sample(range(1, SPACES + 1), SPACES_PER_USER)
    }
    con.executemany(
        "INSERT INTO rse_membership (space_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)",
        ((s, u, "member", now) for s, u in memberships),
    )
    members_of: dict[int, list[int]] = {}
    for s, u in memberships:
        members_of.setdefault(s, []).append(u)
    batch = 50_000
    recent: list[tuple[int, int | None, str]] = []  # the newest items, for comments
    cid = 0
    for start in range(1, activities + 1, batch):
        content, activity = [], []
        for aid in range(start, min(start + batch, activities + 1)):
            if recent and rng.random() < COMMENT_SHARE:
                # A comment on one of the last items, by a member of its space.
                item, space, audience = rng.choice(recent)
                actor = rng.choice(members_of[space]) if space else rng.randint(1, USERS)
                activity.append((aid, actor, "comment", item, space, audience, at(aid)))
                continue
            cid += 1
            roll = rng.random()
            if roll < 0.30:
                space, author, audience = None, rng.randint(1, USERS), "everyone"
            elif roll < 0.95:
                space = rng.randint(1, SPACES)
                author = rng.choice(members_of[space])
                audience = f"space:{space}"
            else:
                space, author = None, rng.randint(1, USERS)
                audience = f"user:{author}"
            title = f"Item {cid}"
            content.append(
                (
                    cid,
                    space,
                    author,
                    audience,
                    title,
                    f"Some text about {title}.",
                    f"/content/{cid}",
                    at(aid),
                    at(aid),
                )
            )
            activity.append((aid, author, "create", cid, space, audience, at(aid)))
            if audience.startswith("user:"):
                continue
            recent.append((cid, space, audience))
            if len(recent) > RECENT_ITEMS:
                recent.pop(0)
        con.executemany(
            "INSERT INTO rse_content (id, type, plugin, space_id, author_id, audience, title,"
            " summary, url, created_at, updated_at) VALUES (?, 'feed.post', 'feed', ?, ?, ?,"
            " ?, ?, ?, ?, ?)",
            content,
        )
        con.executemany(
            "INSERT INTO rse_activity (id, actor_id, verb, content_id, space_id, audience,"
            " plugin, created_at) VALUES (?, ?, ?, ?, ?, ?, 'feed', ?)",
            activity,
        )
        con.commit()
    con.execute("ANALYZE")
    con.commit()
    con.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def time_queries(data_dir: Path, readers: int = 60, repeat: int = 10) -> dict[str, float]:
    """In-process: the home stream's two queries, and a space stream's, for random readers."""
    from rse_core.activity import stream
    from rse_core.db import Database
    from rse_core.identity.models import User
    from rse_core.permissions import load_access

    db = Database(f"sqlite:///{data_dir / 'rse.db'}")
    rng = random.Random(11)
    home, folded, space = [], [], []
    with db.read() as session:
        for _ in range(readers):
            user = session.get(User, rng.randint(1, USERS))
            access = load_access(session, user)
            member_space = next(iter(access.roles))
            for _ in range(repeat):
                t = time.perf_counter()
                entries = stream(session, access.principals, limit=20)
                home.append((time.perf_counter() - t) * 1000)
                assert len(entries) == 20
                t = time.perf_counter()
                entries = stream(session, access.principals, limit=20, fold=True)
                folded.append((time.perf_counter() - t) * 1000)
                assert len({e.content.id for e in entries}) == 20
                t = time.perf_counter()
                stream(session, access.principals, limit=20, space_id=member_space)
                space.append((time.perf_counter() - t) * 1000)
    db.dispose()
    return {
        "home_p50": statistics.median(home),
        "home_p95": percentile(home, 0.95),
        "folded_p50": statistics.median(folded),
        "folded_p95": percentile(folded, 0.95),
        "space_p50": statistics.median(space),
        "space_p95": percentile(space, 0.95),
    }


def sign_in(data_dir: Path, user_id: int = 42) -> str:
    """A session cookie for a bench user, written straight into the session table."""
    import hashlib
    import secrets

    token = secrets.token_urlsafe(32)
    expires = (datetime.now(UTC) + timedelta(days=1)).replace(tzinfo=None).isoformat(sep=" ")
    con = sqlite3.connect(data_dir / "rse.db")
    con.execute(
        "INSERT INTO rse_session (id, user_id, created_at, expires_at, ip, user_agent)"
        " VALUES (?, ?, ?, ?, '', 'bench')",
        (hashlib.sha256(token.encode()).hexdigest(), user_id, expires, expires),
    )
    con.commit()
    con.close()
    return token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


def wrk(url: str, seconds: int, headers: list[str], connections: int = 8) -> dict[str, float]:
    """Run wrk (1 thread) and parse requests/s and latency percentiles."""
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    for header in headers:
        args[1:1] = ["-H", header]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{url}: {non2xx.group(1)} error responses\n{out}")

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return {"rps": rps, "p50": ms("50"), "p90": ms("90"), "p99": ms("99")}


def sequential(url: str, token: str, csrf: str, requests: int = 400) -> dict[str, float]:
    """One client, one request at a time: the latency a single employee sees."""
    return latency_summary(latencies(url, token, csrf, requests))


def latencies(url: str, token: str, csrf: str, requests: int) -> list[float]:
    """Milliseconds of each of ``requests`` requests made one at a time (each must be a 200)."""
    import httpx2

    timings = []
    cookies = {"rse_session": token, "rse_csrf": csrf}
    with httpx2.Client(cookies=cookies, timeout=10) as client:
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    return timings


def latency_summary(timings: list[float]) -> dict[str, float]:
    """p50, p95 and p99 of latencies in milliseconds."""
    return {
        "p50": statistics.median(timings),
        "p95": percentile(timings, 0.95),
        "p99": percentile(timings, 0.99),
    }


def check_page(url: str, token: str, csrf: str) -> None:
    """The page measured is the real one: 20 entries, not an empty or error page."""
    import httpx2

    cookies = {"rse_session": token, "rse_csrf": csrf}
    page = httpx2.get(url, cookies=cookies, timeout=10).text
    entries = page.count('class="card entry"')
    if entries != 20:
        raise RuntimeError(f"{url} shows {entries} stream entries, not 20")


def serve(
    cmd: list[str], env: dict[str, str], port: int, log: Path | None = None
) -> subprocess.Popen:
    """Start a server and wait for its port; its output goes to ``log`` (appended) or nowhere."""
    out = log.open("ab") if log is not None else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=out, start_new_session=True)
    wait_http(port)
    return proc


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=20)


@contextmanager
def rse_serving(
    data_dir: Path,
    extra_env: dict[str, str] | None = None,
    workers: int = 1,
    log: Path | None = None,
) -> Iterator[str]:
    """``rse serve`` (``workers`` workers) on ``data_dir`` (and ``extra_env``: another
    database) on loopback, for one run: its base URL; stopped after. ``log``: where its output
    goes (its errors' tracebacks)."""
    env = {**os.environ, "RSE_DATA_DIR": str(data_dir), **(extra_env or {})}
    port = free_port()
    command = [str(VENV_BIN / "rse"), "serve", "--port", str(port), "--workers", str(workers)]
    rse = serve(command, env, port, log)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(rse)


@contextmanager
def rse_and_baseline(
    data_dir: Path,
    extra_env: dict[str, str] | None = None,
    workers: int = 1,
    log: Path | None = None,
) -> Iterator[tuple[str, str]]:
    """:func:`rse_serving` and the bare Starlette + Jinja2 baseline (bench/baseline_app.py,
    reading the SQLite database of ``data_dir``), for one run: their base URLs."""
    env = {**os.environ, "RSE_DATA_DIR": str(data_dir)}
    base_port = free_port()
    with rse_serving(data_dir, extra_env, workers, log) as rse_url:
        baseline = serve(
            [
                str(VENV_BIN / "uvicorn"),
                "--app-dir",
                str(HERE),
                "baseline_app:app",
                "--port",
                str(base_port),
                "--log-level",
                "warning",
            ],
            env,
            base_port,
        )
        try:
            yield rse_url, f"http://127.0.0.1:{base_port}"
        finally:
            stop(baseline)


def measure_pages(
    data_dir: Path, seconds: int, path: str = "/", *, check: bool = True
) -> dict[str, dict[str, float]]:
    """``path`` served by ``rse serve`` under wrk and to one client alone, and the baseline,
    in the same run; ``check``: the page must show 20 stream entries."""
    token = sign_in(data_dir)
    csrf = "b" * 43
    with rse_and_baseline(data_dir) as (rse_url, baseline_url):
        cookie = f"Cookie: rse_session={token}; rse_csrf={csrf}"
        url = f"{rse_url}{path}"
        if check:
            check_page(url, token, csrf)
        wrk(url, 2, [cookie])  # warm up
        result = {
            "rse": wrk(url, seconds, [cookie]),
            "rse_alone": sequential(url, token, csrf),
            "baseline": wrk(f"{baseline_url}/", seconds, []),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk (make bench installs it)")
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix=f"rse-bench-{size}-") as tmp:
            data_dir = Path(tmp) / "var"
            started = time.perf_counter()
            build(data_dir, size)
            built = time.perf_counter() - started
            queries = time_queries(data_dir)
            pages = measure_pages(data_dir, args.seconds)
        rows.append((size, built, queries, pages))
        print(
            f"{size:>9,} activities: built in {built:.0f} s, home query p95 "
            f"{queries['home_p95']:.2f} ms, page alone p95 {pages['rse_alone']['p95']:.1f} ms, "
            f"{pages['rse']['rps']:.0f} req/s vs baseline {pages['baseline']['rps']:.0f}",
            flush=True,
        )
    print()
    print(
        "| activities | home query p50 / p95 | folded home p50 / p95 | space query p50 / p95 "
        "| page alone p50 / p95 / p99 | page, 8 clients p50 / p99 | rse req/s "
        "| baseline req/s | ratio |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size, _built, q, p in rows:
        r, a, b = p["rse"], p["rse_alone"], p["baseline"]
        print(
            f"| {size:,} | {q['home_p50']:.2f} / {q['home_p95']:.2f} ms "
            f"| {q['folded_p50']:.2f} / {q['folded_p95']:.2f} ms "
            f"| {q['space_p50']:.2f} / {q['space_p95']:.2f} ms "
            f"| {a['p50']:.1f} / {a['p95']:.1f} / {a['p99']:.1f} ms "
            f"| {r['p50']:.1f} / {r['p99']:.1f} ms | {r['rps']:.0f} "
            f"| {b['rps']:.0f} | {r['rps'] / b['rps']:.3f} |"
        )


if __name__ == "__main__":
    main()
