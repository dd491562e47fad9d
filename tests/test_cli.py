"""The rse command line, run as an admin would run it (in a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.conftest import cli_env

pytestmark = pytest.mark.slow  # each test spawns the rse command several times


@pytest.fixture
def run_rse(rse_bin, tmp_path):
    installation = cli_env(tmp_path / "var")
    env = {**os.environ, **installation}
    if "RSE_DATABASE_URL" not in installation:
        env.pop("RSE_DATABASE_URL", None)

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(rse_bin), *args], env=env, capture_output=True, text=True, timeout=60
        )
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    run.installation = installation  # type: ignore[attr-defined]
    return run


def test_init_is_idempotent(run_rse, tmp_path):
    first = run_rse("init")
    assert "core: core_" in first.stdout and "example: example_0003" in first.stdout
    run_rse("init")
    # The embedded database lives in the data dir (on PostgreSQL the schema was migrated).
    assert (tmp_path / "var" / "rse.db").exists() != ("RSE_DATABASE_URL" in run_rse.installation)
    assert (tmp_path / "var" / "secret_key").exists()


def test_plugins_list_enable_disable(run_rse):
    run_rse("init")
    rows = json.loads(run_rse("plugins", "list", "--json").stdout)
    example = next(row for row in rows if row["name"] == "example")
    assert example["version"] == "0.3.0" and example["enabled"] is False
    assert "example: disabled -> everyone" in run_rse("plugins", "enable", "example").stdout
    rows = json.loads(run_rse("plugins", "list", "--json").stdout)
    assert next(r for r in rows if r["name"] == "example")["enabled"] is True
    assert "example: everyone -> disabled" in run_rse("plugins", "disable", "example").stdout
    rows = json.loads(run_rse("plugins", "list", "--json").stdout)
    assert next(r for r in rows if r["name"] == "example")["enabled"] is False


def test_enabling_an_unknown_plugin_is_a_clear_error(run_rse):
    run_rse("init")
    result = run_rse("plugins", "enable", "nope", check=False)
    assert result.returncode == 1
    assert "no installed plugin is named 'nope'" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_runs_once(run_rse):
    assert "demo data loaded" in run_rse("demo").stdout
    assert "already loaded" in run_rse("demo").stdout


def test_plugin_commands_are_added(run_rse):
    assert run_rse("example-hello").stdout.strip() == "hello from the example plugin"


def test_users_create_and_tokens_create(run_rse, rse_bin, tmp_path):
    run_rse("init")
    out = run_rse(
        "users",
        "create",
        "zoe",
        "--email",
        "zoe@example.com",
        "--password",
        "long enough secret",
        "--admin",
        "--name",
        "Zoé Durand",
    )
    assert "created admin zoe" in out.stdout
    dup = run_rse(
        "users",
        "create",
        "zoe",
        "--email",
        "z2@example.com",
        "--password",
        "long enough secret",
        check=False,
    )
    assert dup.returncode == 1 and "username: This username is taken." in dup.stderr
    weak = run_rse(
        "users", "create", "yan", "--email", "yan@example.com", "--password", "short", check=False
    )
    assert weak.returncode == 1 and "password:" in weak.stderr
    token = run_rse("tokens", "create", "zoe", "--name", "ci").stdout.strip().splitlines()[-1]
    assert token.startswith("rse_") and len(token) > 30
    # The way in after `rse import` (no passwords carried) or for a locked-out admin.
    changed = run_rse("users", "set-password", "zoe", "--password", "a newer long secret")
    assert "password set for zoe" in changed.stdout
    nobody = run_rse("users", "set-password", "nobody", "--password", "x" * 20, check=False)
    assert nobody.returncode == 1 and "no such user: nobody" in nobody.stderr
    short = run_rse("users", "set-password", "zoe", "--password", "short", check=False)
    assert short.returncode == 1 and "Traceback" not in short.stderr

    from starlette.testclient import TestClient

    from rse_core.app import create_app
    from rse_core.testing import make_settings, submit_login

    installation = run_rse.installation
    same_database = (
        {
            "database_url": installation["RSE_DATABASE_URL"],
            "search_backend": installation["RSE_SEARCH_BACKEND"],
        }
        if "RSE_DATABASE_URL" in installation
        else {}
    )
    app = create_app(make_settings(tmp_path / "var", **same_database))
    with TestClient(app) as client:
        me = client.get("/api/v1/me", headers={"authorization": f"Bearer {token}"}).json()
        assert submit_login(client, "zoe", "long enough secret").status_code == 200  # refused
        assert submit_login(client, "zoe", "a newer long secret").status_code == 303
    app.state.rse.close()
    assert me["username"] == "zoe" and me["is_admin"] is True and me["display_name"] == "Zoé Durand"


def test_plugins_enable_for_pilot_spaces(run_rse):
    run_rse("demo")
    out = run_rse("plugins", "enable", "example", "--spaces", "hr-team,design-system")
    assert "example: everyone -> pilot: Design system, HR team" in out.stdout
    rows = json.loads(run_rse("plugins", "list", "--json").stdout)
    example = next(r for r in rows if r["name"] == "example")
    assert len(example["audience"]) == 2 and all(
        a.startswith("space:") for a in example["audience"]
    )
    bad = run_rse("plugins", "enable", "example", "--spaces", "nope", check=False)
    assert bad.returncode == 1 and "No such space: nope" in bad.stderr
