"""Four uvicorn workers and 200 concurrent posts: no LockError, no 500, every post searchable."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time

import httpx2 as httpx
import pytest

from rse_core.identity.demo import DEMO_PASSWORD
from tests.conftest import VENV_BIN, cli_env
from tests.test_lifecycle import free_port, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.load]
POSTS = 200


async def signed_in(client: httpx.AsyncClient, username: str) -> None:
    await client.get("/login")
    response = await client.post(
        "/login",
        data={
            "username": username,
            "password": DEMO_PASSWORD,
            "csrf_token": client.cookies.get("rse_csrf", ""),
        },
    )
    assert response.status_code == 303
    client.headers["x-csrf-token"] = client.cookies.get("rse_csrf", "")


async def storm(base: str) -> list[int]:
    users = ["alice", "bruno", "chloe", "david", "emma", "farid", "gaelle", "hugo"]
    clients = [httpx.AsyncClient(base_url=base, timeout=60) for _ in users]
    try:
        await asyncio.gather(*(signed_in(c, u) for c, u in zip(clients, users, strict=True)))

        async def one(i: int) -> int:
            client = clients[i % len(clients)]
            response = await client.post(
                "/api/v1/feed/posts", json={"body": f"storm{i} concurrency check"}
            )
            return response.status_code

        return await asyncio.gather(*(one(i) for i in range(POSTS)))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


def test_four_workers_two_hundred_posts(tmp_path):
    env = {**os.environ, **cli_env(tmp_path / "var")}
    subprocess.run([str(VENV_BIN / "rse"), "demo"], env=env, check=True, capture_output=True)
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [str(VENV_BIN / "rse"), "serve", "--port", str(port), "--workers", "4"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/login", 60)
        statuses = asyncio.run(storm(base))
        assert statuses == [201] * POSTS
        deadline = time.monotonic() + 30
        with httpx.Client(base_url=base, timeout=30) as reader:
            reader.get("/login")
            reader.post(
                "/login",
                data={
                    "username": "hugo",
                    "password": DEMO_PASSWORD,
                    "csrf_token": reader.cookies.get("rse_csrf", ""),
                },
            )
            while True:
                total = reader.get("/api/v1/search", params={"q": "concurrency"}).json()["total"]
                if total == POSTS or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
        assert total == POSTS
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    output = (tmp_path / "server.log").read_text()
    assert "LockError" not in output and "Traceback" not in output
    assert " 500 " not in output
