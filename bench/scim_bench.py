"""Benchmark: an identity provider's SCIM calls against a company of 100,000 people.

    .venv/bin/python bench/scim_bench.py [--users 100000] [--requests 200]

It builds an SQLite database (bench/stream_bench.py's 10,000 users, 500 spaces, then more
users up to ``--users``), every account provisioned (a SCIM ``userName`` that is an e-mail
address in mixed case, and an ``externalId``), 200 provider groups of 50 members. Then, with
``rse serve`` (one uvicorn worker) and one client at a time with a site admin's token,
p50/p95/p99 of what Okta and Entra ID send: a lookup by ``userName`` (case-insensitive) and by
``externalId``, a user by id, the first page of 100 users, a page of 100 near the end
(``startIndex``: SCIM pages by offset), a group with its members, and a PATCH that deactivates
and reactivates someone; beside the bare Starlette baseline served the same way in the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import stream_bench  # noqa: E402  (users, spaces and the HTTP helpers)

ADMIN = 1
GROUPS, GROUP_SIZE = 200, 50


def provision(data_dir: Path, users: int) -> str:
    """More users, everyone's SCIM links, the provider's groups; a site admin's token."""
    con = sqlite3.connect(data_dir / "rse.db")
    con.execute("PRAGMA synchronous = OFF")
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    con.executemany(
        "INSERT INTO rse_user (id, username, email, password_hash, display_name, is_admin,"
        " is_active, job_title, department, location, phone, bio, created_at)"
        " VALUES (?, ?, ?, '', ?, 0, 1, 'Engineer', ?, 'Lyon', '', '', ?)",
        (
            (i, f"user{i}", f"user{i}@example.com", f"User {i}", f"Dept {i % 20}", now)
            for i in range(stream_bench.USERS + 1, users + 1)
        ),
    )
    con.executemany(
        "INSERT INTO rse_external_identity (source, subject, user_id, created_at)"
        " VALUES (?, ?, ?, ?)",
        (
            row
            for i in range(1, users + 1)
            for row in (
                ("scim:userName", f"User{i}@Acme.example", i, now),
                ("scim:externalId", f"00u{i:08d}", i, now),
            )
        ),
    )
    first_group = con.execute("SELECT max(id) FROM rse_space").fetchone()[0] + 1
    for g in range(GROUPS):
        space_id = first_group + g
        con.execute(
            "INSERT INTO rse_space (id, slug, name, description, visibility, join_policy,"
            " created_at) VALUES (?, ?, ?, '', 'private', 'invite', ?)",
            (space_id, f"group-{g}", f"Group {g}", now),
        )
        con.execute(
            "INSERT INTO rse_external_identity (source, subject, space_id, created_at)"
            " VALUES ('scim:group', ?, ?, ?)",
            (str(space_id), space_id, now),
        )
        con.executemany(
            "INSERT INTO rse_membership (space_id, user_id, role, joined_at)"
            " VALUES (?, ?, 'member', ?)",
            ((space_id, 1 + (g * 997 + n * 13) % users, now) for n in range(GROUP_SIZE)),
        )
    con.execute("UPDATE rse_user SET is_admin = 1 WHERE id = ?", (ADMIN,))
    secret = "rse_" + secrets.token_urlsafe(32)
    con.execute(
        "INSERT INTO rse_api_token (user_id, name, token_hash, prefix, created_at)"
        " VALUES (?, 'bench', ?, ?, ?)",
        (ADMIN, hashlib.sha256(secret.encode()).hexdigest(), secret[:10], now),
    )
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return secret


def timed(client, method: str, url: str, requests: int, **kwargs) -> dict[str, float]:
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.request(method, url, **kwargs)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:300]}")
    return {
        "p50": statistics.median(timings),
        "p95": stream_bench.percentile(timings, 0.95),
        "p99": stream_bench.percentile(timings, 0.99),
    }


def measure(data_dir: Path, users: int, secret: str, requests: int) -> dict[str, dict]:
    import httpx2

    target = users // 2 + 7
    group = "/scim/v2/Groups?count=1"
    pages = {
        "by_user_name": f'/scim/v2/Users?filter=userName eq "user{target}@ACME.EXAMPLE"',
        "by_external_id": f'/scim/v2/Users?filter=externalId eq "00u{target:08d}"',
        "by_id": f"/scim/v2/Users/{target}",
        "first_page": "/scim/v2/Users?count=100",
        "last_page": f"/scim/v2/Users?count=100&startIndex={users - 150}",
        "group": group,
    }
    headers = {"authorization": f"Bearer {secret}", "content-type": "application/scim+json"}
    with stream_bench.rse_and_baseline(data_dir) as (rse_url, baseline_url):
        found = {}
        with httpx2.Client(base_url=rse_url, headers=headers, timeout=30) as client:
            hits = client.get(pages["by_user_name"]).json()
            if hits["totalResults"] != 1 or hits["Resources"][0]["id"] != str(target):
                raise RuntimeError(f"the lookup found {hits}")
            for key, path in pages.items():
                timed(client, "GET", path, 10)  # warm up
                found[key] = timed(client, "GET", path, requests)
            deactivate = {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "active", "value": False}],
            }
            reactivate = {
                **deactivate,
                "Operations": [{**deactivate["Operations"][0], "value": True}],
            }
            patch = []
            for _ in range(requests // 2):
                for body in (deactivate, reactivate):
                    started = time.perf_counter()
                    response = client.patch(f"/scim/v2/Users/{target}", json=body)
                    patch.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, response.text
            found["patch"] = {
                "p50": statistics.median(patch),
                "p95": stream_bench.percentile(patch, 0.95),
                "p99": stream_bench.percentile(patch, 0.99),
            }
        token = stream_bench.sign_in(data_dir, 42)
        found["baseline"] = stream_bench.sequential(
            f"{baseline_url}/", token, "b" * 43, requests=requests
        )
    return found


LABELS = {
    "by_user_name": 'lookup `userName eq "..."` (any case)',
    "by_external_id": 'lookup `externalId eq "..."`',
    "by_id": "a user by id",
    "first_page": "first page of 100 users",
    "last_page": "a page of 100 users near the end (offset)",
    "group": "a group of 50 members",
    "patch": "PATCH active false / true (a write)",
    "baseline": "bare Starlette + Jinja2 baseline (bench/baseline_app.py), same run",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rse-scim-bench-") as tmp:
        data_dir = Path(tmp) / "var"
        started = time.perf_counter()
        stream_bench.build(data_dir, 10_000)
        secret = provision(data_dir, args.users)
        built = time.perf_counter() - started
        found = measure(data_dir, args.users, secret, args.requests)
    print(f"built {args.users:,} provisioned users and {GROUPS} groups in {built:.0f} s")
    print("| what | p50 | p95 | p99 | p50 / baseline |")
    print("|---|---:|---:|---:|---:|")
    base = found["baseline"]["p50"]
    for key, label in LABELS.items():
        r = found[key]
        print(
            f"| {label} | {r['p50']:.1f} ms | {r['p95']:.1f} ms | {r['p99']:.1f} ms"
            f" | {r['p50'] / base:.1f}x |"
        )


if __name__ == "__main__":
    main()
