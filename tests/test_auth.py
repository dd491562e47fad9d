"""Accounts and web security defaults: argon2id, sessions, CSRF, headers, redirects,
throttling."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from starlette.testclient import TestClient

from rse_core.identity.models import User
from rse_core.identity.passwords import set_hasher
from rse_core.testing import FAST_HASHER, TEST_PASSWORD, login, submit_login
from rse_core.web.auth import safe_next


def stored_hash(app, username):
    with app.state.rse.db.read() as session:
        return session.execute(
            select(User.password_hash).where(User.username == username)
        ).scalar_one()


def test_passwords_are_argon2id_hashes(rse_app, rse_user):
    rse_user("erin")
    assert stored_hash(rse_app, "erin").startswith("$argon2id$")
    assert TEST_PASSWORD not in stored_hash(rse_app, "erin")


def test_hash_is_upgraded_at_login_when_parameters_change(rse_app, rse_user):
    rse_user("erin")  # hashed with the test kit's cheap parameters
    old = stored_hash(rse_app, "erin")
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    set_hasher(stronger)
    try:
        with TestClient(rse_app) as client:
            login(client, "erin")
        new = stored_hash(rse_app, "erin")
        assert new != old and "m=2048,t=2" in new
        assert not stronger.check_needs_rehash(new)
    finally:
        set_hasher(FAST_HASHER)


def test_anonymous_pages_redirect_to_login_and_api_answers_401(rse_client):
    response = rse_client.get("/people?q=x", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fpeople%3Fq%3Dx"
    api = rse_client.get("/api/v1/me")
    assert api.status_code == 401 and api.json()["error"]["code"] == "login_required"


def test_wrong_password_is_refused_without_saying_which_part(rse_user, rse_client):
    rse_user("erin")
    rse_client.get("/login")
    for username in ("erin", "nobody"):
        response = rse_client.post(
            "/login",
            data={
                "username": username,
                "password": "wrong password!",
                "csrf_token": rse_client.cookies["rse_csrf"],
            },
        )
        assert response.status_code == 200  # the form again, with the message
        assert "Wrong username or password." in response.text
        assert 'role="alert"' in response.text


def test_session_id_changes_at_login(rse_user, rse_client):
    rse_user("erin")
    rse_client.get("/login")
    rse_client.cookies.set("rse_session", "attacker-chosen-value", domain="testserver.local")
    login(rse_client, "erin")
    sessions = [c.value for c in rse_client.cookies.jar if c.name == "rse_session"]
    assert sessions and "attacker-chosen-value" not in sessions
    assert rse_client.get("/api/v1/me").status_code == 200


def test_session_cookie_flags(rse_user, rse_app):
    rse_user("erin")
    with TestClient(rse_app) as client:
        response = submit_login(client, "erin")
    cookie = next(
        v for v in response.headers.get_list("set-cookie") if v.startswith("rse_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    with TestClient(rse_app, base_url="https://testserver") as client:
        client.get("/login")
        response = client.post(
            "/login",
            data={
                "username": "erin",
                "password": TEST_PASSWORD,
                "csrf_token": client.cookies["rse_csrf"],
            },
            follow_redirects=False,
        )
    cookie = next(
        v for v in response.headers.get_list("set-cookie") if v.startswith("rse_session=")
    )
    assert "Secure" in cookie


def test_logout_ends_the_session_for_a_stolen_cookie_too(rse_user, rse_client_for, rse_app):
    rse_user("erin")
    client = rse_client_for("erin")
    stolen = client.cookies["rse_session"]
    assert client.post("/logout", follow_redirects=False).status_code == 303
    with TestClient(rse_app) as thief:
        thief.cookies.set("rse_session", stolen)
        assert thief.get("/api/v1/me").status_code == 401


def test_password_change_ends_other_sessions(rse_user, rse_client_for):
    rse_user("erin")
    laptop, phone = rse_client_for("erin"), rse_client_for("erin")
    response = laptop.post(
        "/profile/password",
        data={
            "current_password": TEST_PASSWORD,
            "new_password": "a much better secret",
            "confirm_password": "a much better secret",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert phone.get("/api/v1/me").status_code == 401
    assert laptop.get("/api/v1/me").status_code == 200  # the one that changed it goes on


def test_password_change_needs_the_current_password(rse_user, rse_client_for):
    rse_user("erin")
    client = rse_client_for("erin")
    response = client.post(
        "/profile/password",
        data={
            "current_password": "not it at all",
            "new_password": "a much better secret",
            "confirm_password": "a much better secret",
        },
    )
    assert response.status_code == 422 and "not your current password" in response.text


def test_login_throttled_per_account(rse_user, rse_client):
    rse_user("erin")
    rse_client.get("/login")
    token = rse_client.cookies["rse_csrf"]
    for _ in range(5):
        rse_client.post(
            "/login", data={"username": "erin", "password": "bad password", "csrf_token": token}
        )
    response = rse_client.post(
        "/login", data={"username": "erin", "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429
    assert "Too many attempts" in response.text and response.headers["retry-after"]


def test_login_throttled_per_address(rse_user, rse_client):
    rse_user("erin")
    rse_client.get("/login")
    token = rse_client.cookies["rse_csrf"]
    for i in range(20):
        rse_client.post(
            "/login",
            data={"username": f"guess{i}", "password": "bad password", "csrf_token": token},
        )
    response = rse_client.post(
        "/login", data={"username": "erin", "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
        "javascript:alert(1)",
        "/%0d%0aSet-Cookie:x",
        "",
        "http:/evil",
        "/ok/../..//evil",
        "\\\\evil",
    ],
)
def test_next_only_goes_to_local_paths(target):
    assert safe_next(target) in ("/", target) and not safe_next(target).startswith("//")
    assert safe_next(target) == "/" or target.startswith("/ok")


@pytest.mark.parametrize("target", ["//evil", "/\\evil", "https://evil", "javascript:alert(1)"])
def test_login_redirect_stays_local(rse_user, rse_client, target):
    rse_user("erin")
    rse_client.get("/login")
    response = rse_client.post(
        "/login",
        data={
            "username": "erin",
            "password": TEST_PASSWORD,
            "next": target,
            "csrf_token": rse_client.cookies["rse_csrf"],
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_login_redirect_keeps_a_local_next(rse_user, rse_client):
    rse_user("erin")
    rse_client.get("/login")
    response = rse_client.post(
        "/login",
        data={
            "username": "erin",
            "password": TEST_PASSWORD,
            "next": "/people?q=k8s",
            "csrf_token": rse_client.cookies["rse_csrf"],
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/people?q=k8s"


def test_csrf_required_on_unsafe_methods(rse_user, rse_client_for):
    rse_user("erin")
    client = rse_client_for("erin")
    token = client.headers.pop("x-csrf-token")
    assert client.post("/api/v1/spaces", json={"name": "X"}).status_code == 403
    assert client.post("/spaces/new", data={"name": "X"}).status_code == 403
    assert client.post("/spaces/new", data={"name": "X", "csrf_token": "forged"}).status_code == 403
    ok = client.post(
        "/spaces/new", data={"name": "Real", "csrf_token": token}, follow_redirects=False
    )
    assert ok.status_code == 303, ok.text


def test_foreign_origin_is_refused_even_with_the_token(rse_user, rse_client_for):
    rse_user("erin")
    client = rse_client_for("erin")
    response = client.post(
        "/api/v1/spaces", json={"name": "X"}, headers={"origin": "https://evil.example"}
    )
    assert response.status_code == 403
    same = client.post(
        "/api/v1/spaces", json={"name": "X"}, headers={"origin": "http://testserver"}
    )
    assert same.status_code == 201


def test_login_form_itself_needs_csrf(rse_user, rse_client):
    rse_user("erin")
    response = rse_client.post("/login", data={"username": "erin", "password": TEST_PASSWORD})
    assert response.status_code == 403


def test_bearer_tokens_skip_csrf_and_work_only_on_the_api(rse_app, rse_user, rse_client_for):
    rse_user("erin")
    client = rse_client_for("erin")
    page = client.post("/profile/tokens", data={"name": "script"})
    token = page.text.split('<code id="new-token">')[1].split("</code>")[0]
    with TestClient(rse_app) as script:
        auth = {"authorization": f"Bearer {token}"}
        assert script.get("/api/v1/me", headers=auth).json()["username"] == "erin"
        assert (
            script.post("/api/v1/spaces", json={"name": "By script"}, headers=auth).status_code
            == 201
        )
        assert script.get("/people", headers=auth, follow_redirects=False).status_code == 303
        bad = script.get("/api/v1/me", headers={"authorization": "Bearer rse_nope"})
        assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_token"


def test_tokens_are_stored_hashed_and_revocable(rse_app, rse_user, rse_client_for):
    from rse_core.identity.models import ApiToken

    rse_user("erin")
    client = rse_client_for("erin")
    page = client.post("/profile/tokens", data={"name": "ci"})
    token = page.text.split('<code id="new-token">')[1].split("</code>")[0]
    with rse_app.state.rse.db.read() as session:
        row = session.execute(select(ApiToken)).scalar_one()
    assert token not in (row.token_hash, row.prefix) and len(row.token_hash) == 64
    client.post("/profile/tokens", data={"action": "revoke", "token_id": str(row.id)})
    with TestClient(rse_app) as script:
        response = script.get("/api/v1/me", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_someone_elses_token_cannot_be_revoked(rse_app, rse_user, rse_client_for):
    from rse_core.identity.models import ApiToken

    rse_user("erin")
    rse_user("olga")
    rse_client_for("olga").post("/profile/tokens", data={"name": "olga's"})
    with rse_app.state.rse.db.read() as session:
        olgas = session.execute(select(ApiToken)).scalar_one()
    response = rse_client_for("erin").post(
        "/profile/tokens", data={"action": "revoke", "token_id": str(olgas.id)}
    )
    assert response.status_code == 404


def test_deactivated_user_is_signed_out_and_cannot_sign_in(rse_user, rse_client_for, rse_app):
    rse_user("boss", admin=True)
    rse_user("erin")
    erin = rse_client_for("erin")
    admin = rse_client_for("boss")
    assert (
        admin.post(
            "/admin/users/erin", data={"action": "deactivate"}, follow_redirects=False
        ).status_code
        == 303
    )
    assert erin.get("/api/v1/me").status_code == 401
    with TestClient(rse_app) as client:
        client.get("/login")
        response = client.post(
            "/login",
            data={
                "username": "erin",
                "password": TEST_PASSWORD,
                "csrf_token": client.cookies["rse_csrf"],
            },
        )
        assert response.status_code == 200 and "Wrong username or password." in response.text
        assert "rse_session" not in response.cookies


def test_security_headers(client):
    headers = client.get("/").headers
    assert "'unsafe-inline'" not in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"


def test_an_admin_sets_a_new_password_for_someone_who_forgot_theirs(rse_app):
    from tests.conftest import signed_in

    with signed_in(rse_app, "erin") as erin, signed_in(rse_app, "boss", admin=True) as boss:
        short = boss.post("/admin/users/erin", data={"action": "password", "password": "x"})
        assert short.status_code == 422 and "Use at least" in short.text
        assert erin.get("/api/v1/me").status_code == 200  # nothing changed
        done = boss.post(
            "/admin/users/erin",
            data={"action": "password", "password": "a brand new passphrase"},
        )
        assert done.status_code == 200 and "The new password is set" in done.text
        assert erin.get("/api/v1/me").status_code == 401  # her sessions ended
    with TestClient(rse_app) as client:
        login(client, "erin", "a brand new passphrase")
        assert client.get("/api/v1/me").json()["username"] == "erin"
