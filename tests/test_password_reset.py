"""Forgotten passwords: a link by e-mail that expires within the hour and works once; mail
through SMTP (a server on loopback here) or, with none configured, into data_dir/mail."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest
from starlette.testclient import TestClient

from rse_core.testing import TEST_PASSWORD, add_user, login, run_jobs

pytestmark = pytest.mark.portable

NEW_PASSWORD = "a brand new passphrase"


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def ask_for_link(client: TestClient, address: str):
    form = client.get("/password/forgot")
    return client.post(
        "/password/forgot", data={"address": address, "csrf_token": _csrf(form.text)}
    )


def mailed(app) -> list:
    folder = app.state.rse.settings.data_dir / "mail"
    return (
        [
            message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in sorted(folder.glob("*.eml"))
        ]
        if folder.exists()
        else []
    )


def link_in(message) -> str:
    body = message.get_content()
    return re.search(r"http://testserver(/password/reset\?token=\S+)", body).group(1)


def choose(client: TestClient, link: str, password: str, confirm: str | None = None):
    page = client.get(link)
    token = link.split("token=")[1]
    return client.post(
        "/password/reset",
        data={
            "token": token,
            "password": password,
            "confirm": password if confirm is None else confirm,
            "csrf_token": _csrf(page.text),
        },
        follow_redirects=False,
    )


def test_a_forgotten_password_is_reset_through_a_mailed_link(rse_app):
    add_user(rse_app, "ann")
    with TestClient(rse_app) as client:
        assert 'href="/password/forgot"' in client.get("/login").text
        answer = ask_for_link(client, "Ann@Example.com")
        assert answer.status_code == 200 and "on its way" in answer.text
        assert mailed(rse_app) == []  # sent by the background job, after the commit
        run_jobs(rse_app)
        [message] = mailed(rse_app)
        assert message["To"] == "ann@example.com"
        assert message["Subject"] == "Reset your password"
        link = link_in(message)
        assert "Choose a new password" in client.get(link).text
        differ = choose(client, link, NEW_PASSWORD, "something else entirely")
        assert differ.status_code == 422 and "The two passwords differ." in differ.text
        short = choose(client, link, "short")
        assert short.status_code == 422 and "Use at least 10 characters." in short.text
        done = choose(client, link, NEW_PASSWORD)
        assert done.status_code == 303 and done.headers["location"] == "/login"
        assert "Your password is changed" in client.get("/login").text
        again = client.get(link)  # works once: the password it was made for is gone
        assert again.status_code == 400 and "expired or was already used" in again.text
        assert choose(client, link, "yet another passphrase").status_code == 400
    with TestClient(rse_app) as fresh:
        login(fresh, "ann", NEW_PASSWORD)
        assert fresh.get("/api/v1/me").json()["username"] == "ann"
    with TestClient(rse_app) as old:
        page = old.post(
            "/login",
            data={
                "username": "ann",
                "password": TEST_PASSWORD,
                "csrf_token": _csrf(old.get("/login").text),
            },
        )
        assert "Wrong username or password." in page.text


def test_the_answer_tells_nobody_who_has_an_account(rse_app):
    from rse_core.identity.accounts import get_user

    add_user(rse_app, "ann")
    add_user(rse_app, "gone")
    with rse_app.state.rse.db.write() as session:
        get_user(session, "gone").is_active = False
    with TestClient(rse_app) as client:
        known = ask_for_link(client, "ann")
        unknown = ask_for_link(client, "nobody@example.com")
        inactive = ask_for_link(client, "gone@example.com")
    assert (
        known.text.replace(_csrf(known.text), "")
        == unknown.text.replace(_csrf(unknown.text), "")
        == inactive.text.replace(_csrf(inactive.text), "")
    )
    run_jobs(rse_app)
    assert [m["To"] for m in mailed(rse_app)] == ["ann@example.com"]


def test_the_form_cannot_flood_a_mailbox(rse_app):
    from rse_core.identity.throttle import MAX_FAILURES_PER_ACCOUNT

    add_user(rse_app, "ann")
    with TestClient(rse_app) as client:
        for _ in range(MAX_FAILURES_PER_ACCOUNT + 3):
            assert ask_for_link(client, "ann@example.com").status_code == 200
    run_jobs(rse_app)
    assert len(mailed(rse_app)) == MAX_FAILURES_PER_ACCOUNT


def test_a_link_expires_after_an_hour(rse_app, monkeypatch):
    import time

    from itsdangerous.timed import TimestampSigner

    from rse_core.identity.accounts import get_user
    from rse_core.identity.password_reset import LIFETIME, reset_token

    add_user(rse_app, "ann")
    secret = rse_app.state.rse.settings.secret_key
    with rse_app.state.rse.db.read() as session:
        fresh = reset_token(secret, get_user(session, "ann"))
        made = int(time.time() - LIFETIME.total_seconds() - 5)
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: made)
        stale = reset_token(secret, get_user(session, "ann"))
    monkeypatch.undo()
    with TestClient(rse_app) as client:
        assert client.get(f"/password/reset?token={stale}").status_code == 400
        assert client.get("/password/reset?token=forged.token").status_code == 400
        assert client.get(f"/password/reset?token={fresh}").status_code == 200


def test_mail_goes_through_the_configured_smtp_server_and_waits_while_it_is_down(
    rse_app_factory, smtp_server
):
    from sqlalchemy import select

    from rse_core.jobs.models import JobRow

    controller, inbox = smtp_server
    app = rse_app_factory(
        smtp_url=f"smtp://127.0.0.1:{controller.port}", mail_from="intranet@example.com"
    )
    add_user(app, "ann")
    with TestClient(app) as client:
        ask_for_link(client, "ann")
    run_jobs(app)
    [(recipients, raw)] = inbox.messages
    message = message_from_bytes(raw, policy=policy.default)
    assert recipients == ["ann@example.com"] and message["From"] == "intranet@example.com"
    assert "/password/reset?token=" in message.get_content()
    assert mailed(app) == []  # nothing written to disk when a server is configured

    controller.stop()  # the server goes away: the mail waits and is tried again later
    with TestClient(app) as client:
        ask_for_link(client, "ann")
    run_jobs(app)
    with app.state.rse.db.read() as session:
        job = session.execute(select(JobRow).where(JobRow.attempts == 1)).scalar_one()
        assert job.name == "core.mail" and job.status == "queued" and job.last_error


def test_the_mail_speaks_the_asker_s_language(rse_app):
    add_user(rse_app, "ann")
    with TestClient(rse_app) as client:
        client.cookies.set("rse_lang", "fr")
        assert "Mot de passe oublié ?" in client.get("/login").text
        ask_for_link(client, "ann")
    run_jobs(rse_app)
    [message] = mailed(rse_app)
    assert message["Subject"] == "Réinitialiser votre mot de passe"
    assert message.get_content().startswith("Bonjour Ann,")
