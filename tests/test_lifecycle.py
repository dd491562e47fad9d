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
