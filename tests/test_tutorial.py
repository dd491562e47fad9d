"""docs/plugin-tutorial.md shows code that is really the example plugin's, and its test runs."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.portable

TUTORIAL = ROOT / "docs" / "plugin-tutorial.md"
PLUGIN = ROOT / "tests" / "example_plugin"
BLOCK = re.compile(r"```\w+ file=(\S+)\n(.*?)```", re.S)


def test_every_code_block_is_in_the_plugin_it_names():
    blocks = BLOCK.findall(TUTORIAL.read_text())
    assert len(blocks) >= 8
    for path, code in blocks:
        source = (PLUGIN / path).read_text()
        assert code.strip() in source, f"the tutorial's {path} block drifted from the plugin"


def test_greeting_page(rse_app, rse_user, rse_client_for, enable_plugin):
    # The tutorial's test, verbatim.
    rse_user("erin")
    enable_plugin("example")
    client = rse_client_for("erin")  # signed in, sends the CSRF header
    assert client.post("/api/v1/example/greetings", json={"text": "Hi"}).status_code == 201
    assert "Hi" in client.get("/example/").text


def test_the_tutorials_test_is_the_one_shown():
    text = TUTORIAL.read_text()
    shown = text.split("```python\ndef test_greeting_page")[1].split("```")[0]
    body = (ROOT / "tests" / "test_tutorial.py").read_text()
    for line in shown.strip().splitlines()[1:]:
        assert line.strip() in body


def test_example_api_rejects_bad_input(rse_app, rse_user, rse_client_for, enable_plugin):
    rse_user("erin")
    enable_plugin("example")
    client = rse_client_for("erin")
    bad = client.post(
        "/api/v1/example/greetings", content=b"{", headers={"content-type": "application/json"}
    )
    assert bad.status_code == 400
    assert client.post("/api/v1/example/greetings", json={"text": ""}).status_code == 422


def test_the_greetings_board_shows_a_space_s_greeting_to_its_members_only(
    rse_app, rse_user, rse_client_for, enable_plugin
):
    """The tutorial's page filters through `visible()`: a greeting shared in a private space
    is on its members' board, not on an outsider's, nor in the board's search document (which
    everyone may read)."""
    from rse_core.search.documents import all_documents

    for name in ("erin", "finn"):
        rse_user(name)
    enable_plugin("example")
    erin, finn = rse_client_for("erin"), rse_client_for("finn")
    erin.post("/api/v1/spaces", json={"name": "Board", "slug": "board", "visibility": "private"})
    assert erin.post("/api/v1/example/greetings", json={"text": "Hi all"}).status_code == 201
    secret = {"text": "Hush team", "space": "board"}
    assert erin.post("/api/v1/example/greetings", json=secret).status_code == 201
    assert "Hush team" in erin.get("/example/").text
    outsider = finn.get("/example/").text
    assert "Hi all" in outsider and "Hush team" not in outsider
    with rse_app.state.rse.db.read() as session:
        documents = all_documents(session, rse_app.state.rse.plugins)
        boards = [d for d in documents if d.key == "example:board"]
    assert len(boards) == 1 and "Hi all" in boards[0].text and "Hush" not in boards[0].text
