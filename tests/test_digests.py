"""E-mail digests: chosen in one's settings (off by default), sent by the hourly job through
SMTP (a server on loopback here) in the reader's language, holding only what they may read
and not what they wrote, with a signed one-click unsubscribe link."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from rse_core import digests
from rse_core.db import utcnow
from rse_core.identity.models import User
from rse_core.testing import enable, make_settings, run_jobs

pytestmark = pytest.mark.portable


@pytest.fixture
def rse_settings(tmp_path, smtp_server):
    controller, _inbox = smtp_server
    return make_settings(
        tmp_path / "var",
        smtp_url=f"smtp://127.0.0.1:{controller.port}",
        mail_from="intranet@example.com",
    )


@pytest.fixture
def people(rse_app, rse_user, rse_client_for):
    for name in ("ann", "bob", "cid"):
        rse_user(name)
    enable(rse_app, "feed")
    return {name: rse_client_for(name) for name in ("ann", "bob", "cid")}


def post(client, body, space=None):
    made = client.post("/api/v1/feed/posts", json={"body": body, "space": space})
    assert made.status_code == 201, made.text
    return made.json()


def deliver(app, inbox, at):
    """Send the digests due at ``at``, then the mails they queued; the new messages."""
    before = len(inbox.messages)
    digests.send_due(app.state.rse, at)
    run_jobs(app)
    return [message_from_bytes(raw, policy=policy.default) for _to, raw in inbox.messages[before:]]


def next_at(app, username):
    with app.state.rse.db.read() as session:
        user = session.scalar(select(User).where(User.username == username))
        return digests.subscription(session, user.id).next_at


def test_a_daily_digest_holds_what_the_reader_may_see_in_their_language(
    rse_app, people, smtp_server
):
    _controller, inbox = smtp_server
    ann, bob, cid = people["ann"], people["bob"], people["cid"]
    post(bob, "Old news from before the digest")  # a new digest starts from now
    settings = ann.get("/notifications/settings").text
    assert 'value="off" checked' in settings  # off by default
    chosen = ann.post("/notifications/digest", data={"frequency": "daily", "language": "fr"})
    assert chosen.status_code == 200 and 'value="daily" checked' in chosen.text
    assert "Next one: " in chosen.text and "&lt;time" not in chosen.text
    assert ann.get("/api/v1/me/digest").json()["frequency"] == "daily"
    # ann's space, a secret space she is not in, her own post, a followed colleague.
    bob.post("/api/v1/spaces", json={"name": "Ops", "slug": "ops", "visibility": "private"})
    bob.post("/api/v1/spaces/ops/members", json={"username": "ann"})
    cid.post("/api/v1/spaces", json={"name": "Board", "slug": "board", "visibility": "secret"})
    post(bob, "Deploy of the billing service tonight", space="ops")
    post(cid, "Merger talks with ACME", space="board")
    post(ann, "My own news")
    ann.post("/api/v1/follows", json={"target": f"user:{user_id(rse_app, 'cid')}"})
    post(cid, "Company picnic on Friday")
    due = next_at(rse_app, "ann")
    assert deliver(rse_app, inbox, due - timedelta(minutes=1)) == []  # not yet
    (message,) = deliver(rse_app, inbox, due + timedelta(minutes=1))
    body = message.get_content()
    assert message["To"] == "ann@example.com"
    assert message["Subject"].startswith("Votre résumé")
    assert "Bonjour Ann," in body
    assert "Deploy of the billing service tonight" in body and "dans Ops" in body
    assert "Company picnic on Friday" in body
    assert "Merger talks" not in body  # a secret space she is not in
    assert "My own news" not in body  # what she wrote herself
    assert "Old news" not in body
    link = re.search(r"http://testserver(/digest/unsubscribe/\S+)", body).group(1)
    assert message["List-Unsubscribe"].strip() == f"<http://testserver{link}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The next one: tomorrow 7:00, and only what is new since.
    assert next_at(rse_app, "ann") > due + timedelta(hours=23)
    assert deliver(rse_app, inbox, next_at(rse_app, "ann") + timedelta(minutes=1)) == []
    post(bob, "Second deploy", space="ops")
    (second,) = deliver(rse_app, inbox, next_at(rse_app, "ann") + timedelta(minutes=1))
    assert "Second deploy" in second.get_content()
    assert "Deploy of the billing" not in second.get_content()


def user_id(app, username):
    with app.state.rse.db.read() as session:
        return session.scalar(select(User.id).where(User.username == username))


def test_one_click_unsubscribe_needs_no_session_and_a_forged_link_does_nothing(
    rse_app, people, smtp_server
):
    _controller, inbox = smtp_server
    ann, bob = people["ann"], people["bob"]
    assert ann.put("/api/v1/me/digest", json={"frequency": "weekly"}).status_code == 200
    ann.post("/api/v1/follows", json={"target": "tag:news"})
    post(bob, "Weekly #news")
    post(bob, "Lunch?")  # company-wide, but from nothing ann follows: not in her digest
    (message,) = deliver(rse_app, inbox, next_at(rse_app, "ann") + timedelta(minutes=1))
    assert message["Subject"] == "Your digest: 1 new item on the intranet"
    link = re.search(r"http://testserver(/digest/unsubscribe/\S+)", message.get_content()).group(1)
    with TestClient(rse_app) as stranger:  # a mail client: no cookie, no CSRF token
        assert stranger.post(link[:-3] + "xyz").status_code == 404
        assert ann.get("/api/v1/me/digest").json()["frequency"] == "weekly"
        page = stranger.get(link)  # a mail scanner's visit: a question, nothing changed
        assert page.status_code == 200 and "Stop receiving the e-mail digest?" in page.text
        assert ann.get("/api/v1/me/digest").json()["frequency"] == "weekly"
        done = stranger.post(link, data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert ann.get("/api/v1/me/digest").json() == {
        "frequency": "off",
        "language": "en",
        "next_at": None,
    }
    post(bob, "More #news")
    assert deliver(rse_app, inbox, utcnow() + timedelta(days=8)) == []


def test_bad_choices_are_refused_and_an_inactive_account_gets_nothing(rse_app, people, smtp_server):
    _controller, inbox = smtp_server
    ann, bob = people["ann"], people["bob"]
    assert ann.put("/api/v1/me/digest", json={"frequency": "hourly"}).status_code == 422
    assert (
        ann.put("/api/v1/me/digest", json={"frequency": "daily", "language": "de"}).status_code
        == 422
    )
    refused = ann.post("/notifications/digest", data={"frequency": "daily", "language": "xx"})
    assert "Choose one of: en, fr." in refused.text
    assert ann.get("/api/v1/me/digest").json()["frequency"] == "off"
    assert ann.put("/api/v1/me/digest", json={"frequency": "daily"}).status_code == 200
    ann.post("/api/v1/follows", json={"target": f"user:{user_id(rse_app, 'bob')}"})
    with rse_app.state.rse.db.write() as session:
        session.scalar(select(User).where(User.username == "ann")).is_active = False
    post(bob, "News for everyone")
    due = next_at(rse_app, "ann")
    assert deliver(rse_app, inbox, due + timedelta(minutes=1)) == []
    assert next_at(rse_app, "ann") > due  # moved on: not retried every hour


def test_the_job_queued_for_the_send_time_sends_the_digests(rse_app, people, smtp_server):
    _controller, inbox = smtp_server
    ann, bob = people["ann"], people["bob"]
    ann.put("/api/v1/me/digest", json={"frequency": "daily"})
    ann.post("/api/v1/follows", json={"target": f"user:{user_id(rse_app, 'bob')}"})
    post(bob, "Through the job")
    due = next_at(rse_app, "ann")
    assert run_jobs(rse_app, now=due - timedelta(minutes=1)) == 0
    assert run_jobs(rse_app, now=due) == 2  # the digest, then the mail it queued
    assert any(b"Through the job" in raw for _to, raw in inbox.messages)
    # The next one is queued for tomorrow's send time.
    before = len(inbox.messages)
    assert run_jobs(rse_app, now=next_at(rse_app, "ann")) == 1  # the digest job alone
    assert len(inbox.messages) == before  # nothing new: no mail
    assert next_at(rse_app, "ann") > due + timedelta(days=1)
