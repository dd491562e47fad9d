"""``rse new-plugin``: the written plugin passes its own tests, installs, is listed, and is
served to a pilot space's members only; bad names and non-empty targets write nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from rse_core.scaffold import ScaffoldError, new_plugin
from tests.conftest import cli_env
from tests.test_lifecycle import free_port, http_login, wait_for

pytestmark = pytest.mark.portable


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Kudos", "not a valid plugin name"),
        ("9lives", "not a valid plugin name"),
        ("kudos-2", "not a valid plugin name"),
        ("x" * 41, "not a valid plugin name"),
        ("admin", "reserved"),
        ("feed", "already installed"),
        ("example", "already installed"),
        ("core", "reserved"),
    ],
)
def test_bad_or_taken_names_write_nothing(tmp_path, name, message):
    with pytest.raises(ScaffoldError, match=message):
        new_plugin(name, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_non_empty_target_is_refused_and_left_alone(tmp_path):
    (tmp_path / "rse-kudos").mkdir()
    (tmp_path / "rse-kudos" / "mine.txt").write_text("keep me")
    with pytest.raises(ScaffoldError, match="not empty"):
        new_plugin("kudos", tmp_path)
    assert [p.name for p in (tmp_path / "rse-kudos").iterdir()] == ["mine.txt"]


@pytest.mark.slow  # spawns rse processes
def test_the_cli_explains_a_refusal(tmp_path, rse_bin):
    result = subprocess.run(
        [rse_bin, "new-plugin", "Bad-Name", "--directory", tmp_path], capture_output=True, text=True
    )
    assert result.returncode == 1 and "not a valid plugin name" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_a_new_plugin_passes_its_tests_and_reaches_only_its_pilot_space(tmp_path, rse_bin):
    made = subprocess.run(
        [rse_bin, "new-plugin", "kudos", "--directory", tmp_path / "src"],
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    source = tmp_path / "src" / "rse-kudos"
    # A real (non-editable) install, into a folder of its own: the venv stays as it was, and
    # the package data (templates, migrations, catalog) must really be shipped.
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", site, source],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, **cli_env(tmp_path / "var"), "PYTHONPATH": str(site)}

    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "5 passed" in tests.stdout

    def rse(*args: str) -> str:
        result = subprocess.run([rse_bin, *args], env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    listed = {row["name"]: row for row in json.loads(rse("plugins", "list", "--json"))}
    assert listed["kudos"]["loaded"] and listed["kudos"]["distribution"] == "rse-kudos"
    rse("demo")  # demo people and spaces; every installed plugin enabled for everyone
    enabled = rse("plugins", "enable", "kudos", "--spaces", "kubernetes-guild")
    assert "kudos: everyone -> pilot: Kubernetes guild" in enabled
    port = free_port()
    server = subprocess.Popen(
        [rse_bin, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/login", 20)
        with http_login(f"http://127.0.0.1:{port}", "hugo") as member:  # in the guild
            assert member.get("/kudos/").status_code == 200
            note = member.post(
                "/api/v1/kudos/notes",
                json={"text": "Thanks for the cluster upgrade", "space": "kubernetes-guild"},
                headers={"x-csrf-token": member.cookies.get("rse_csrf", "")},
            )
            assert note.status_code == 201, note.text
            assert "Thanks for the cluster upgrade" in member.get("/kudos/").text
        with http_login(f"http://127.0.0.1:{port}", "chloe") as outsider:  # not in the guild
            assert outsider.get("/kudos/").status_code == 404
            assert outsider.get("/api/v1/kudos/notes").status_code == 404
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
