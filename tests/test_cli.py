"""The rse command line, run as an admin would run it (in a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest


@pytest.fixture
def run_rse(rse_bin, tmp_path):
    env = {**os.environ, "RSE_DATA_DIR": str(tmp_path / "var")}
    env.pop("RSE_DATABASE_URL", None)

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(rse_bin), *args], env=env, capture_output=True, text=True, timeout=60
        )
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    return run


def test_init_is_idempotent(run_rse, tmp_path):
    first = run_rse("init")
    assert "core: core_" in first.stdout and "example: example_0001" in first.stdout
    run_rse("init")
    assert (tmp_path / "var" / "rse.db").exists()
    assert (tmp_path / "var" / "secret_key").exists()


def test_plugins_list_enable_disable(run_rse):
    run_rse("init")
    rows = json.loads(run_rse("plugins", "list", "--json").stdout)
    example = next(row for row in rows if row["name"] == "example")
    assert example["version"] == "0.3.0" and example["enabled"] is False
    assert "enabled for everyone" in run_rse("plugins", "enable", "example").stdout
    rows = json.loads(run_rse("plugins", "list", "--json").stdout)
    assert next(r for r in rows if r["name"] == "example")["enabled"] is True
    run_rse("plugins", "disable", "example")
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
