"""Outbound webhooks (#18): every committed activity reaches a receiver on loopback at least
once, in order, signed; company-wide only unless a space's owner binds it; a failing
receiver is retried after a backoff; "send again"; across a restart; the SSRF rule."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from starlette.testclient import TestClient

from rse_core import UnsafeURL, checked_address
from rse_core.db import utcnow
from rse_core.testing import build_app, enable, login, make_settings, run_jobs
from rse_core.webhooks import SETTLE, Webhook

LATER = timedelta(seconds=5)


class Receiver:
    """A receiver on loopback: records each POST; answers ``statuses`` in turn, then 204."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                status = owner.statuses.pop(0) if owner.statuses else 204
                if status < 300:
                    owner.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def names(self) -> list[str]:
        return [json.loads(body)["object"]["summary"] for _headers, body in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def hooked(rse_app_factory, receiver):
    """An app that trusts 127.0.0.1 for webhooks, ann (admin, owner of the private space
    "ops") and bob; the feed enabled."""
    from rse_core.testing import add_user

    app = rse_app_factory(webhook_hosts=("127.0.0.1",))
    add_user(app, "ann", admin=True)
    add_user(app, "bob")
    clients = {}
    for name in ("ann", "bob"):
        client = TestClient(app)
        client.__enter__()
        clients[name] = login(client, name)
    ann = clients["ann"]
    ann.post("/api/v1/spaces", json={"name": "Ops", "slug": "ops", "visibility": "private"})
    ann.post("/api/v1/spaces/ops/members", json={"username": "bob"})
    enable(app, "feed")
    yield app, clients
    for client in clients.values():
        client.__exit__(None, None, None)


def register(client, base, url, events=None):
    data = {"url": url}
    if events:
        data["events"] = events
    response = client.post(base, data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def post(client, text, space=None):
    body = {"body": text, **({"space": space} if space else {})}
    response = client.post("/api/v1/feed/posts", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def deliver(app):
    return run_jobs(app, now=utcnow() + SETTLE + LATER)


def test_every_company_wide_activity_is_delivered_signed_and_in_order(hooked, receiver):
    app, clients = hooked
    ann, bob = clients["ann"], clients["bob"]
    post(ann, "before the webhook")  # the past is not replayed
    hook_id = register(ann, "/admin/webhooks", receiver.url)
    first = post(bob, "first")
    post(bob, "in ops only", space="ops")  # a private space's: not for a company-wide hook
    second = post(ann, "second")
    ann.post(f"/api/v1/content/{first['content_id']}/comments", json={"body": "a comment"})
    assert deliver(app) >= 1
    assert receiver.names() == ["first", "second", "first"]
    headers, body = receiver.requests[0]
    with app.state.rse.db.read() as session:
        secret = session.get(Webhook, hook_id).secret
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["x-rse-signature"] == expected
    assert headers["x-rse-event"] == "create"
    assert headers["content-type"] == "application/activity+json"
    assert [h["x-rse-event"] for h, _ in receiver.requests] == ["create", "create", "comment"]
    document = json.loads(body)
    assert document["type"] == "Create" and document["actor"]["preferredUsername"] == "bob"
    deliveries = [h["x-rse-delivery"] for h, _ in receiver.requests]
    assert len(set(deliveries)) == 3 and all(d.startswith(f"{hook_id}-") for d in deliveries)
    # Nothing twice: a second run finds nothing new.
    deliver(app)
    assert len(receiver.requests) == 3
    page = ann.get(f"/admin/webhooks/{hook_id}").text
    assert page.count('class="badge ok"') >= 3 and second["url"] not in page
    # Only the chosen verbs.
    comments_only = Receiver()
    try:
        register(ann, "/admin/webhooks", comments_only.url, events=["comment"])
        post(bob, "not a comment")
        ann.post(f"/api/v1/content/{second['content_id']}/comments", json={"body": "yes"})
        deliver(app)
        assert [h["x-rse-event"] for h, _ in comments_only.requests] == ["comment"]
    finally:
        comments_only.close()


def test_a_space_s_owner_binds_a_webhook_to_it(hooked, receiver):
    app, clients = hooked
    ann, bob = clients["ann"], clients["bob"]
    assert bob.get("/spaces/ops/webhooks").status_code == 403  # a member, not an owner
    assert bob.get("/admin/webhooks").status_code == 403
    assert "/spaces/ops/webhooks" in ann.get("/spaces/ops/settings").text
    hook_id = register(ann, "/spaces/ops/webhooks", receiver.url)
    post(bob, "company news")
    post(bob, "ops news", space="ops")
    deliver(app)
    assert receiver.names() == ["ops news"]
    assert ann.get(f"/admin/webhooks/{hook_id}").status_code == 404  # not a company one
    assert ann.get(f"/spaces/ops/webhooks/{hook_id}").status_code == 200


def test_a_failing_receiver_is_retried_after_a_backoff_and_order_holds(hooked, receiver):
    app, clients = hooked
    ann = clients["ann"]
    hook_id = register(ann, "/admin/webhooks", receiver.url)
    post(ann, "one")
    post(ann, "two")
    receiver.statuses = [500, 503]
    now = utcnow() + SETTLE + LATER
    run_jobs(app, now=now)
    assert receiver.names() == []  # "one" failed: "two" waits behind it
    state = ann.get(f"/admin/webhooks/{hook_id}").text
    assert "1 failure · next try <time datetime=" in state  # when, not only which day
    run_jobs(app, now=now + timedelta(seconds=1))
    assert receiver.names() == []  # resting (backoff)
    run_jobs(app, now=now + timedelta(seconds=31))
    assert receiver.names() == []  # failed again: a longer rest
    run_jobs(app, now=now + timedelta(minutes=5))
    assert receiver.names() == ["one", "two"]
    page = ann.get(f"/admin/webhooks/{hook_id}").text
    assert "500" in page and "503" in page
    # "Send again" posts a logged delivery's activity once more, now.
    with app.state.rse.db.read() as session:
        from sqlalchemy import select

        from rse_core.webhooks import Delivery

        last = session.scalars(select(Delivery).order_by(Delivery.id.desc())).first()
    again = ann.post(
        f"/admin/webhooks/{hook_id}", data={"action": "again", "delivery": str(last.id)}
    )
    assert again.status_code == 200 and "Sent again: delivered." in again.text
    assert receiver.names() == ["one", "two", "two"]
    assert receiver.requests[-1][0]["x-rse-delivery"] == receiver.requests[-2][0]["x-rse-delivery"]
    paused = ann.post(f"/admin/webhooks/{hook_id}", data={"action": "pause"})
    assert paused.status_code == 200 and "paused" in paused.text
    post(ann, "while paused")
    run_jobs(app, now=utcnow() + timedelta(hours=1))
    assert receiver.names()[-1] == "two"
    ann.post(f"/admin/webhooks/{hook_id}", data={"action": "resume"})
    run_jobs(app, now=utcnow() + timedelta(hours=1))
    assert receiver.names()[-1] == "while paused"  # kept its place: delivered on resume


def test_activities_committed_before_a_restart_are_delivered_after_it(tmp_path, receiver):
    settings = make_settings(tmp_path / "var", webhook_hosts=("127.0.0.1",))
    from rse_core.testing import add_user

    app = build_app(settings)
    add_user(app, "ann", admin=True)
    with TestClient(app) as client:
        login(client, "ann")
        enable(app, "feed")
        register(client, "/admin/webhooks", receiver.url)
        post(client, "committed before the crash")
    app.state.rse.close()  # stopped before any job ran
    again = build_app(settings)
    try:
        deliver(again)
        assert receiver.names() == ["committed before the crash"]
    finally:
        again.state.rse.close()


def test_the_receiver_must_be_public_unless_the_site_trusts_its_host(rse_app, rse_user, tmp_path):
    from rse_core.testing import add_user

    add_user(rse_app, "ann", admin=True)
    with TestClient(rse_app) as client:
        login(client, "ann")
        for url in (
            "http://127.0.0.1:8080/hook",
            "http://10.1.2.3/hook",
            "http://0x7f.1/hook",
            "ftp://example.com/hook",
            "",
        ):
            refused = client.post("/admin/webhooks", data={"url": url})
            assert refused.status_code == 422, url
        bad = client.post("/admin/webhooks", data={"url": "https://x.example", "events": "x"})
        assert bad.status_code == 422
        assert re.findall(r'id="webhook-\d', client.get("/admin/webhooks").text) == []
    assert checked_address(
        "http://intranet.local/x", lambda h, p: ["10.0.0.5"], ("intranet.local",)
    )
    with pytest.raises(UnsafeURL):
        checked_address("http://intranet.local/x", lambda h, p: ["10.0.0.5"])
