"""Single sign-on with OpenID Connect (#18), against a real OpenID provider on loopback
(oidc-provider-mock, built on Authlib's server side): the authorization code flow with PKCE,
accounts created and updated from the claims, linked by verified e-mail, refused when
deactivated; a forged or replayed callback signs nobody in; "passwords for admins only"."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import oidc_provider_mock
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from rse_core.identity.models import ExternalIdentity, User
from rse_core.testing import add_user, login, submit_login


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def sso_app(rse_app_factory, provider):
    def make(**overrides):
        return rse_app_factory(
            oidc_issuer=provider,
            oidc_client_id="rse-intranet",
            oidc_client_secret="s3cret",
            oidc_label="Acme",
            **overrides,
        )

    return make


def claims(provider: str, sub: str, **values: object) -> None:
    """Tell the provider who ``sub`` is (its claims at the next sign-in)."""
    response = httpx.put(f"{provider}/users/{quote(sub)}", json=values)
    assert response.status_code == 204


def sign_in(client: TestClient, sub: str, next_path: str = "/") -> httpx.Response:
    """The whole dance: rse sends the browser to the provider, the person signs in there, the
    provider sends the browser back with a code."""
    start = client.get(f"/sso/login?next={quote(next_path)}", follow_redirects=False)
    assert start.status_code == 302, start.text
    authorize = start.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["nonce"][0] and query["state"][0]
    assert query["scope"] == ["openid email profile"]
    answer = httpx.post(authorize, data={"sub": sub}, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    return client.get(f"{back.path}?{back.query}", follow_redirects=False)


def test_first_sign_in_creates_the_account_from_the_claims_and_later_ones_update_it(
    sso_app, provider
):
    app = sso_app()
    claims(
        provider,
        "u-1001",
        email="Jeanne.Martin@acme.example",
        email_verified=True,
        name="Jeanne Martin",
        preferred_username="jmartin",
        department="Finance",
        job_title="Controller",
    )
    with TestClient(app) as client:
        response = sign_in(client, "u-1001", "/people")
        assert response.status_code == 303 and response.headers["location"] == "/people"
        assert "Jeanne Martin" in client.get("/").text  # signed in
        profile = client.get("/people/jmartin").text
        assert "Finance · Controller" not in profile and "Controller · Finance" in profile
        assert "Change password" not in profile  # the provider keeps it: nothing to change
        with app.state.rse.db.read() as session:
            user = session.execute(select(User).where(User.username == "jmartin")).scalar_one()
            assert user.email == "jeanne.martin@acme.example"
            assert user.display_name == "Jeanne Martin"
            assert (user.department, user.job_title) == ("Finance", "Controller")
            assert user.password_hash == ""  # no password: SSO only
    claims(
        provider,
        "u-1001",
        email="jeanne.martin@acme.example",
        email_verified=True,
        name="Jeanne Martin-Roux",
        preferred_username="jmartin",
        department="Treasury",
    )
    with TestClient(app) as client:
        assert sign_in(client, "u-1001").status_code == 303
    with app.state.rse.db.read() as session:
        users = session.execute(select(User).where(User.email.like("jeanne%"))).scalars().all()
        assert len(users) == 1
        # Updated from the claims; a claim not sent (job title) leaves what was there.
        assert (users[0].display_name, users[0].department) == ("Jeanne Martin-Roux", "Treasury")
        assert users[0].job_title == "Controller"
        link = session.execute(select(ExternalIdentity)).scalar_one()
        assert (link.source, link.subject, link.user_id) == (provider, "u-1001", users[0].id)


def test_an_existing_account_is_linked_by_verified_email_only(sso_app, provider):
    app = sso_app()
    add_user(app, "alice", display_name="Alice A.")
    claims(provider, "mallory", email="alice@example.com", email_verified=False, name="M")
    with TestClient(app) as client:
        refused = sign_in(client, "mallory")
        assert refused.status_code == 403
        assert "no verified e-mail" in refused.text
        assert client.get("/", follow_redirects=False).status_code == 303  # not signed in
    claims(provider, "a-77", email="alice@example.com", email_verified=True, name="Alice Arnaud")
    with TestClient(app) as client:
        assert sign_in(client, "a-77").status_code == 303
        assert "Alice Arnaud" in client.get("/").text
    with app.state.rse.db.read() as session:
        assert session.execute(select(User.username).where(User.email.like("alice%"))).all() == [
            ("alice",)
        ]


def test_a_deactivated_account_and_an_unknown_person_without_creation_are_refused(
    sso_app, provider
):
    app = sso_app(oidc_create_accounts=False)
    user = add_user(app, "bruno")
    with app.state.rse.db.write() as session:
        session.get(User, user.id).is_active = False
    claims(provider, "b-1", email="bruno@example.com", email_verified=True)
    claims(provider, "n-1", email="newcomer@acme.example", email_verified=True)
    with TestClient(app) as client:
        assert "This account is deactivated." in sign_in(client, "b-1").text
        refused = sign_in(client, "n-1")
        assert refused.status_code == 403 and "ask an administrator" in refused.text
        assert client.get("/", follow_redirects=False).status_code == 303
    with app.state.rse.db.read() as session:
        assert session.execute(select(User.id).where(User.email.like("newcomer%"))).first() is None


def test_a_forged_replayed_or_refused_callback_signs_nobody_in(sso_app, provider):
    app = sso_app()
    claims(provider, "c-1", email="chloe@acme.example", email_verified=True)
    with TestClient(app) as victim, TestClient(app) as attacker:
        # The attacker starts a flow and hands the victim the provider's answer (login CSRF):
        # the victim's browser has no flow cookie with that state.
        start = attacker.get("/sso/login", follow_redirects=False)
        answer = httpx.post(start.headers["location"], data={"sub": "c-1"}, follow_redirects=False)
        back = urlsplit(answer.headers["location"])
        forged = victim.get(f"{back.path}?{back.query}", follow_redirects=False)
        assert forged.status_code == 400 and "not started here" in forged.text
        assert victim.get("/", follow_redirects=False).status_code == 303
        # The attacker's own browser finishes once; the same answer again is refused.
        assert attacker.get(f"{back.path}?{back.query}", follow_redirects=False).status_code == 303
        replay = attacker.get(f"{back.path}?{back.query}", follow_redirects=False)
        assert replay.status_code == 400
        # The person refused at the provider.
        attacker.get("/sso/login", follow_redirects=False)
        assert victim.get("/sso/callback?error=access_denied").status_code == 403
        garbage = victim.get("/sso/callback?code=x&state=y", follow_redirects=False)
        assert garbage.status_code == 400


def test_admins_can_leave_passwords_to_administrators_only(sso_app, provider):
    app = sso_app()
    add_user(app, "admin", admin=True)
    add_user(app, "bruno")
    with TestClient(app) as anonymous:
        page = anonymous.get("/login").text
        assert "Sign in with Acme" in page and "Forgot your password?" in page
    with TestClient(app) as admin:
        login(admin, "admin")
        assert "Everyone may also sign in with a password" in admin.get("/admin/users").text
        admin.post("/admin/site", data={"spaces_open": "1"})  # passwords_open unticked
    with TestClient(app) as client:
        page = client.get("/login").text
        assert "Administrators: sign in with a password" in page
        assert "Forgot your password?" not in page
        refused = submit_login(client, "bruno")
        assert "passwords are for administrators only" in refused.text
        assert client.get("/", follow_redirects=False).status_code == 303
        login(client, "admin")  # the way in when the provider is down
        assert client.get("/", follow_redirects=False).status_code == 200
    with TestClient(app) as admin:
        login(admin, "admin")
        admin.post("/admin/site", data={"spaces_open": "1", "passwords_open": "1"})
    with TestClient(app) as client:
        login(client, "bruno")
        assert client.get("/", follow_redirects=False).status_code == 200


def test_without_a_provider_there_is_no_sso(rse_client):
    assert rse_client.get("/sso/login").status_code == 404
    assert "Sign in with" not in rse_client.get("/login").text


def test_the_sign_in_page_speaks_french(sso_app):
    app = sso_app()
    with TestClient(app) as client:
        client.cookies.set("rse_lang", "fr")
        assert "Se connecter avec Acme" in client.get("/login").text


def test_a_provider_that_cannot_be_reached_gives_a_clear_page(rse_app_factory):
    from tests.test_lifecycle import free_port

    app = rse_app_factory(
        oidc_issuer=f"http://127.0.0.1:{free_port()}", oidc_client_id="rse", oidc_client_secret="x"
    )
    with TestClient(app) as client:
        response = client.get("/sso/login")
        assert response.status_code == 502 and "cannot be reached" in response.text
