"""Whole-system checks in subprocesses: `make run` serves, uninstalling a plugin is harmless."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2 as httpx
import pytest

from tests.conftest import ROOT, cli_env

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with httpx.Client(timeout=2) as client:
                return client.get(url)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@contextmanager
def http_login(base: str, username: str = "alice") -> Iterator[httpx.Client]:
    """A client signed in on a running server with a demo login."""
    from rse_core.identity.demo import DEMO_PASSWORD

    with httpx.Client(base_url=base, timeout=10) as client:
        client.get("/login")
        response = client.post(
            "/login",
            data={
                "username": username,
                "password": DEMO_PASSWORD,
                "csrf_token": client.cookies.get("rse_csrf", ""),
            },
        )
        assert response.status_code == 303, response.text
        yield client


@pytest.mark.portable  # `make run` is the embedded SQLite database by definition
def test_make_run_serves_the_demo_within_30_seconds(tmp_path):
    port = free_port()
    env = {**os.environ, **cli_env(tmp_path / "var")}
    started = time.monotonic()
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        response = wait_for(f"http://127.0.0.1:{port}/", 30)
        elapsed = time.monotonic() - started
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
        assert elapsed < 30
        with http_login(f"http://127.0.0.1:{port}") as browser:
            home = browser.get("/")
            assert home.status_code == 200 and "Alice Martin" in home.text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        output = proc.communicate(timeout=20)[0]
    assert "demo data loaded" in output
    assert "alice" in output and "rse-demo-2026" in output  # the demo logins are printed


@pytest.mark.alone  # it uninstalls a plugin from the virtualenv every test process shares
@pytest.mark.portable
def test_uninstalling_a_plugin_leaves_the_app_working(tmp_path, rse_bin):
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    env = {**os.environ, **cli_env(tmp_path / "var")}

    def rse(*args: str) -> str:
        result = subprocess.run([str(rse_bin), *args], env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    rse("demo")  # creates example data and enables the plugin
    subprocess.run([*pip, "uninstall", "-y", "rse-example"], check=True)
    try:
        assert '"example"' not in rse("plugins", "list", "--json")
        rse("migrate")
        port = free_port()
        server = subprocess.Popen(
            [str(rse_bin), "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            assert wait_for(f"http://127.0.0.1:{port}/login", 20).status_code == 200
            with http_login(f"http://127.0.0.1:{port}") as browser:
                assert browser.get("/").status_code == 200
                assert browser.get("/example/").status_code == 404
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
    finally:
        subprocess.run(
            [*pip, "install", "--no-deps", "-e", str(ROOT / "tests" / "example_plugin")],
            check=True,
            capture_output=True,
        )
    # Reinstalled: its data and enablement were kept.
    listed = rse("plugins", "list", "--json")
    assert '"enabled": true' in listed


PEOPLE = 20_000  # searchable documents: ten times what a worker builds itself


def _many_people(env: dict[str, str]) -> str:
    """An installation with PEOPLE employees (written straight into the tables: hashing
    20,000 passwords would take minutes) and an empty search index; returns a session
    cookie of the first one."""
    import hashlib
    import secrets
    from datetime import timedelta

    from sqlalchemy import insert

    from rse_core import migrate
    from rse_core.app import create_runtime
    from rse_core.db import utcnow
    from rse_core.identity.models import AuthSession, User
    from rse_core.settings import Settings

    rt = create_runtime(Settings.load(env=env))
    migrate.upgrade(rt.db, rt.plugins)
    now = utcnow()
    token = secrets.token_urlsafe(32)
    with rt.db.write() as session:
        session.execute(
            insert(User),
            [
                {
                    "username": f"person{i}",
                    "email": f"person{i}@example.com",
                    "password_hash": "",
                    "display_name": f"Person {i}",
                    "is_admin": False,
                    "is_active": True,
                    "created_at": now,
                }
                for i in range(PEOPLE)
            ],
        )
        session.add(
            AuthSession(
                id=hashlib.sha256(token.encode()).hexdigest(),
                user_id=1,
                created_at=now,
                expires_at=now + timedelta(days=1),
                ip="",
                user_agent="test",
            )
        )
    rt.close()
    return token


def _rebuild_processes(data_dir: str) -> list[int]:
    """Background rebuilds of this installation still running (by their command line and
    environment)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as fh:
                cmdline = fh.read()
            with open(f"/proc/{entry.name}/environ", "rb") as fh:
                environ = fh.read()
        except OSError:
            continue
        if b"--background" in cmdline and f"RSE_DATA_DIR={data_dir}".encode() in environ:
            found.append(int(entry.name))
    return found


def test_a_large_rebuild_runs_beside_the_worker_which_stops_within_5_seconds(tmp_path, rse_bin):
    """A worker starting on an empty index of 100,000 items sat at 100 % CPU for two minutes
    building it, and took 30 s to stop. The rebuild now runs in its own process; the worker
    serves meanwhile (the search page says so) and stops within 5 s of SIGTERM, rebuild
    included; the next start builds the index to the end."""
    env = {**os.environ, **cli_env(tmp_path / "var")}
    data_dir = env["RSE_DATA_DIR"]
    token = _many_people(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    def start() -> subprocess.Popen:
        return subprocess.Popen(
            [str(rse_bin), "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    server = start()
    try:
        wait_for(f"{base}/login", 30)
        with httpx.Client(base_url=base, cookies={"rse_session": token}, timeout=10) as client:
            deadline = time.monotonic() + 20
            while "search-rebuilding" not in client.get("/search?q=person").text:
                assert time.monotonic() < deadline, "no rebuild notice"
                time.sleep(0.05)
            assert client.get("/").status_code == 200  # serving meanwhile
        assert _rebuild_processes(data_dir), "the rebuild runs in a process of its own"
        asked = time.monotonic()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
        stopped_in = time.monotonic() - asked
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
    assert stopped_in < 5, f"stopped {stopped_in:.1f} s after SIGTERM"
    deadline = time.monotonic() + 3
    while _rebuild_processes(data_dir):
        assert time.monotonic() < deadline, "the rebuild outlived its worker"
        time.sleep(0.05)

    server = start()  # the rebuild starts again and runs to the end
    try:
        wait_for(f"{base}/login", 30)
        with httpx.Client(base_url=base, cookies={"rse_session": token}, timeout=10) as client:
            deadline = time.monotonic() + 120
            while True:
                page = client.get("/search?q=person19999").text
                if "Person 19999" in page and "search-rebuilding" not in page:
                    break
                assert time.monotonic() < deadline, "the rebuild never finished"
                time.sleep(0.5)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)


def test_a_served_worker_freezes_what_it_made_at_start(tmp_path, rse_bin):
    """``rse serve``'s workers (``serving_app``) move their start-up objects out of the
    garbage collector's walks once started, and again after their first requests; an app
    built for tests does not (in a process of
    its own: a freeze would last the whole test session)."""
    env = {**os.environ, **cli_env(tmp_path / "var")}
    subprocess.run([str(rse_bin), "init"], env=env, check=True, capture_output=True)
    code = (
        "import gc\n"
        "from starlette.testclient import TestClient\n"
        "from rse_core.app import create_app, serving_app\n"
        "with TestClient(create_app()) as client:\n"
        "    print(gc.get_freeze_count(), client.get('/login').status_code)\n"
        "with TestClient(serving_app()) as client:\n"
        "    print(gc.get_freeze_count(), client.get('/login').status_code)\n"
        "    print(gc.get_freeze_count())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    (tested, tested_status), (served, served_status), (after_first,) = (
        line.split() for line in done.stdout.splitlines()[:3]
    )
    assert tested == "0" and tested_status == "200"
    assert int(served) > 10_000 and served_status == "200"
    # What the first request made for the worker's life is frozen too (FreezeAfterWarmUp).
    assert int(after_first) > int(served)
