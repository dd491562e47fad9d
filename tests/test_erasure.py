"""An admin erases a person (GDPR right to erasure, #18): their personal data goes for good;
what they wrote stays under "Former employee", or goes too."""

from __future__ import annotations

import os
import subprocess

import pytest
from sqlalchemy import select

from rse_core.erasure import FORMER
from rse_core.identity.models import User
from rse_core.testing import enable, login, wait_for_index
from tests.conftest import VENV_BIN, cli_env


def _people(rse_app, rse_user, rse_client_for):
    rse_user("ann", admin=True)
    rse_user("bob", job_title="Buyer", department="Purchasing", bio="Loves *tea*")
    rse_user("cid")
    clients = {name: rse_client_for(name) for name in ("ann", "bob", "cid")}
    enable(rse_app, "feed")
    return clients


def test_erasing_keeps_contributions_under_former_employee(rse_app, rse_user, rse_client_for):
    clients = _people(rse_app, rse_user, rse_client_for)
    ann, bob, cid = clients["ann"], clients["bob"], clients["cid"]
    post = bob.post("/api/v1/feed/posts", json={"body": "bob's procurement tips"}).json()
    cid.post(f"/api/v1/content/{post['content_id']}/comments", json={"body": "thanks bob"})
    with rse_app.state.rse.db.read() as session:
        bob_id = session.scalars(select(User.id).where(User.username == "bob")).one()
    cid.post("/follow", data={"target": f"user:{bob_id}"})
    bob.post("/api/v1/spaces", json={"name": "Tea", "slug": "tea", "visibility": "public"})
    # The last owner of a space cannot be erased until it has another.
    refused = ann.post(
        "/admin/users/bob", data={"action": "erase", "confirm": "bob", "contributions": "keep"}
    )
    assert refused.status_code == 422 and "another owner" in refused.text
    bob.post("/api/v1/spaces/tea/members", json={"username": "cid", "role": "owner"})
    typo = ann.post("/admin/users/bob", data={"action": "erase", "confirm": "bbo"})
    assert typo.status_code == 422 and "Type the username" in typo.text
    erased = ann.post(
        "/admin/users/bob", data={"action": "erase", "confirm": "bob", "contributions": "keep"}
    )
    assert erased.status_code == 200 and "Erased" in erased.text
    with rse_app.state.rse.db.read() as session:
        row = session.scalars(select(User).where(User.display_name == FORMER)).one()
        assert row.username.startswith("former-") and row.email.endswith("@erased.invalid")
        assert (row.job_title, row.department, row.bio, row.password_hash) == ("", "", "", "")
        assert not row.is_active
    assert bob.get("/api/v1/me").status_code in (401, 403)  # signed out everywhere
    assert cid.get("/people/bob").status_code == 404
    stream = cid.get("/api/v1/stream").json()["items"]
    mine = [
        i
        for i in stream
        if i["object"]["summary"] == "bob's procurement tips" and i["rse:verb"] == "create"
    ]
    assert mine and mine[0]["actor"]["name"] == FORMER  # kept, unsigned
    wait_for_index(rse_app)
    people = cid.get("/api/v1/search", params={"q": "Purchasing"}).json()["hits"]
    assert people == []  # their search entry went
    data = ann.get("/admin/users").text
    assert "bob@example.com" not in data


def test_erasing_with_contributions_removes_them_everywhere(rse_app, rse_user, rse_client_for):
    clients = _people(rse_app, rse_user, rse_client_for)
    ann, bob, cid = clients["ann"], clients["bob"], clients["cid"]
    post = cid.post("/api/v1/feed/posts", json={"body": "cid asks"}).json()
    bob.post("/api/v1/feed/posts", json={"body": "bob's secret recipe"})
    bob.post(f"/api/v1/content/{post['content_id']}/comments", json={"body": "bob replies"})
    bob.post(f"/api/v1/content/{post['content_id']}/reactions", json={"kind": "like"})
    response = ann.post(
        "/admin/users/bob",
        data={"action": "erase", "confirm": "bob", "contributions": "remove"},
    )
    assert response.status_code == 200
    stream = cid.get("/api/v1/stream").json()["items"]
    assert "bob's secret recipe" not in str(stream)
    comments = cid.get(f"/api/v1/content/{post['content_id']}/comments").json()
    assert "bob replies" not in str(comments)
    wait_for_index(rse_app)
    assert cid.get("/api/v1/search", params={"q": "recipe"}).json()["hits"] == []
    assert (
        ann.post("/admin/users/ann", data={"action": "erase", "confirm": "ann"}).status_code == 400
    )


@pytest.mark.slow  # spawns rse processes
def test_the_command_erases_after_confirmation(tmp_path):
    env = {**os.environ, **cli_env(tmp_path / "var")}
    rse = str(VENV_BIN / "rse")
    subprocess.run([rse, "demo"], env=env, check=True, capture_output=True)
    done = subprocess.run(
        [rse, "users", "erase", "hugo", "--yes"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0 and "erased hugo: now former-" in done.stdout, done.stderr
    again = subprocess.run(
        [rse, "users", "erase", "hugo", "--yes"], env=env, capture_output=True, text=True
    )
    assert again.returncode != 0 and "no such user" in again.stderr
    owner = subprocess.run(
        [rse, "users", "erase", "farid", "--yes"], env=env, capture_output=True, text=True
    )
    assert owner.returncode != 0 and "another owner" in owner.stderr  # board-prep's


def test_an_erased_person_cannot_sign_in(rse_app, rse_user, rse_client_for):
    from starlette.testclient import TestClient

    clients = _people(rse_app, rse_user, rse_client_for)
    clients["ann"].post("/admin/users/cid", data={"action": "erase", "confirm": "cid"})
    with TestClient(rse_app) as client:
        try:
            login(client, "cid")
        except AssertionError:
            return
    raise AssertionError("an erased account signed in")
