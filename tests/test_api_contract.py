"""The API keeps the contract it publishes: schemathesis, with every check and every phase
(examples, coverage, fuzzing, and the stateful phase following the document's links), against a
real server holding the demo data and every installed plugin, core and plugins alike.

A fixed seed makes a failure reproducible (the output says how: ``st replay`` or the curl
line). The server itself checks every answer against its declaration
(``RSE_CHECK_API_RESPONSES``), so a drift shows up as a 500 even where schemathesis could not
tell. Run alone with ``.venv/bin/python -m pytest tests/test_api_contract.py``; it also runs
on PostgreSQL in ``make test-postgres``.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from rse_core.testing import on_postgres
from tests.conftest import VENV_BIN, cli_env
from tests.test_lifecycle import free_port, wait_for

pytestmark = pytest.mark.slow

SEED = 1
# Per operation and phase: ~1,900 requests, about two minutes and a half on SQLite. The
# PostgreSQL run looks for what depends on the database (NUL bytes, lengths, locks), which the
# coverage phase's edge values reach whatever this number: half as many there, where the same
# count took ~230-320 s, the longest test of `make test`.
EXAMPLES = 10 if on_postgres() else 20


def rse(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(VENV_BIN / "rse"), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def add_failed_job(env: dict[str, str]) -> None:
    """A failed job, so that "retry" is reached with a real id."""
    from rse_core.app import create_runtime
    from rse_core.db import utcnow
    from rse_core.jobs.models import FAILED, JobRow
    from rse_core.settings import Settings

    rt = create_runtime(Settings.load(env=env))
    with rt.db.write() as session:
        now = utcnow()
        session.add(
            JobRow(
                name="example.deliver",
                payload='{"greeting": 999999}',  # delivered to nobody: runs clean
                status=FAILED,
                run_at=now,
                attempts=5,
                max_attempts=5,
                last_error="demo failure",
                created_at=now,
                updated_at=now,
            )
        )
    rt.close()


def test_the_api_keeps_its_documented_contract(tmp_path: Path):
    env = {
        **os.environ,
        **cli_env(tmp_path / "var"),
        "RSE_CHECK_API_RESPONSES": "1",
        "RSE_CONFIG": str(tmp_path / "none.toml"),
    }
    rse(env, "init")
    rse(env, "demo")  # every installed plugin enabled for everyone, people, spaces, posts
    token = rse(env, "tokens", "create", "alice", "--name", "contract").strip().splitlines()[-1]
    add_failed_job(env)
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [str(VENV_BIN / "rse"), "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/login", 30)
        run = subprocess.run(
            [
                str(VENV_BIN / "st"),
                "run",
                f"http://127.0.0.1:{port}/api/openapi.json",
                "--header",
                f"Authorization: Bearer {token}",
                "--checks",
                "all",
                "--seed",
                str(SEED),
                "--max-examples",
                str(EXAMPLES),
                "--generation-database",
                "none",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=900,
            cwd=tmp_path,
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    output = run.stdout + run.stderr
    server_log = (tmp_path / "server.log").read_text()
    if "Traceback" in server_log:  # a server error: show the first one whole
        at = server_log.index("Traceback")
        pytest.fail(server_log[max(0, at - 300) : at + 5000])
    assert run.returncode == 0, output[-8000:]
    assert "Stateful" in output and "passed" in output, output[-3000:]
    # Every operation reached with real ids: none answered only 404s.
    assert "Missing test data" not in output, output[-3000:]
