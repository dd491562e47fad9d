"""The company guidelines (community managers write them, everyone reads them from every
composer) and announcements (items pinned on everyone's home or a space's until a day; each
reader sees a pin only while they may read its item)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from rse_core.community import Announcement
from rse_core.identity.models import User
from rse_core.testing import enable


@pytest.fixture
def people(rse_app, rse_user, rse_client_for):
    for name in ("ann", "bob", "cid", "cm"):
        rse_user(name)
    with rse_app.state.rse.db.write() as session:
        session.scalar(select(User).where(User.username == "cm")).is_community_manager = True
    enable(rse_app, "feed")
    return {name: rse_client_for(name) for name in ("ann", "bob", "cid", "cm")}


def post(client, body, space=None):
    made = client.post("/api/v1/feed/posts", json={"body": body, "space": space})
    assert made.status_code == 201, made.text
    return made.json()


def in_days(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def test_community_managers_write_the_guidelines_everyone_reads_them(people):
    ann, cm = people["ann"], people["cm"]
    assert "not written the guidelines yet" in ann.get("/guidelines").text
    assert 'href="/guidelines"' in ann.get("/").text  # beside the composer
    assert ann.get("/guidelines/edit").status_code == 403
    refused = ann.put("/api/v1/guidelines", json={"body": "Anything goes"})
    assert refused.status_code == 403
    saved = cm.post("/guidelines/edit", data={"body": "## Be kind\n\n<script>x()</script>Thanks"})
    assert saved.status_code == 200 and "The guidelines are saved." in saved.text
    page = ann.get("/guidelines").text
    assert "<h2>Be kind</h2>" in page and "<script>x()" not in page  # sanitised Markdown
    assert "Edit" not in page.split("<main")[1].split("</h1>")[1][:200]
    api = ann.get("/api/v1/guidelines").json()
    assert api["body"].startswith("## Be kind") and api["updated_by"] == "Cm"
    too_long = cm.put("/api/v1/guidelines", json={"body": "x" * 20_001})
    assert too_long.status_code == 422
    assert ann.get("/api/v1/guidelines").json()["body"].startswith("## Be kind")  # unchanged


def test_an_announcement_is_pinned_on_everyones_home_until_its_day(rse_app, people):
    ann, bob, cm = people["ann"], people["bob"], people["cm"]
    item = post(ann, "The new expense tool opens on Monday")
    for _ in range(3):  # newer items push it down the stream, not off the top
        post(bob, "Lunch anyone?")
    # Only community managers pin on everyone's home.
    refused = bob.post(
        "/api/v1/announcements",
        json={"content": item["content_id"], "place": "home", "until": in_days(3)},
    )
    assert refused.status_code == 403
    assert "Pin this item on" not in bob.get(item["url"]).text
    page = cm.get(item["url"]).text
    assert "Pin this item on" in page and "Everyone&#39;s home" in page
    done = cm.post(
        f"/content/{item['content_id']}/pin", data={"place": "home", "until": in_days(3)}
    )
    assert done.status_code == 200 and "Pinned." in done.text
    home = bob.get("/").text
    pinned = home.split('class="announcements"')[1].split("</section>")[0]
    assert "The new expense tool opens on Monday" in pinned
    assert "Unpin" not in pinned  # bob may not unpin
    (shown,) = bob.get("/api/v1/announcements").json()["items"]
    assert shown["content_id"] == item["content_id"] and shown["author"] == "ann"
    # Pinned again: the day moves, no second pin.
    cm.post(f"/content/{item['content_id']}/pin", data={"place": "home", "until": in_days(9)})
    (shown,) = bob.get("/api/v1/announcements").json()["items"]
    assert shown["until"].startswith(in_days(10))  # the midnight after the last day (UTC)
    # After its day it is gone (without a job: the query compares the time).
    with rse_app.state.rse.db.write() as session:
        session.scalar(select(Announcement)).until = datetime.now(UTC) - timedelta(seconds=1)
    assert 'class="announcements"' not in bob.get("/").text
    assert bob.get("/api/v1/announcements").json()["items"] == []


def test_pins_refuse_bad_input_and_unpin_takes_them_down(people):
    ann, bob, cm = people["ann"], people["bob"], people["cm"]
    item = post(ann, "Town hall on Thursday")
    pin = {"content": item["content_id"], "place": "home"}
    for until, status, message in (
        ("next week", 422, "until"),
        (20261231, 422, "until"),
        (in_days(-1), 409, "cannot be in the past"),
        (in_days(400), 409, "a year at most"),
    ):
        bad = cm.post("/api/v1/announcements", json={**pin, "until": until})
        assert bad.status_code == status and message in bad.text, bad.text
    page = cm.post(f"/content/{item['content_id']}/pin", data={"place": "home", "until": "x"})
    assert "Give the last day as YYYY-MM-DD." in page.text
    assert cm.get("/api/v1/announcements").json()["items"] == []
    missing = cm.post("/api/v1/announcements", json={**pin, "content": 999999, "until": in_days(1)})
    assert missing.status_code == 404
    sixth_item = post(ann, "Parking closed on Friday")
    made = cm.post("/api/v1/announcements", json={**pin, "until": in_days(1)})
    assert made.status_code == 201, made.text
    announcement = made.json()
    # Five at most on a home page.
    for n in range(4):
        other = post(bob, f"Notice {n}")
        cm.post(
            "/api/v1/announcements",
            json={"content": other["content_id"], "place": "home", "until": in_days(1)},
        )
    sixth = cm.post(
        "/api/v1/announcements",
        json={"content": sixth_item["content_id"], "place": "home", "until": in_days(1)},
    )
    assert sixth.status_code == 409 and "unpin one first" in sixth.text
    assert bob.delete(f"/api/v1/announcements/{announcement['id']}").status_code == 403
    assert cm.delete(f"/api/v1/announcements/{announcement['id']}").status_code == 204
    assert item["content_id"] not in [
        a["content_id"] for a in bob.get("/api/v1/announcements").json()["items"]
    ]
    assert cm.delete(f"/api/v1/announcements/{announcement['id']}").status_code == 404


def test_a_space_pin_stays_in_its_space_and_leaks_nothing(people):
    ann, bob, cid, cm = people["ann"], people["bob"], people["cid"], people["cm"]
    ann.post("/api/v1/spaces", json={"name": "Ops", "slug": "ops", "visibility": "secret"})
    ann.post("/api/v1/spaces/ops/members", json={"username": "bob"})
    secret = post(bob, "Rota for the on-call week", space="ops")
    # Not company-wide: never on everyone's home, even for a community manager who reads it.
    refused = cm.post(
        "/api/v1/announcements",
        json={"content": secret["content_id"], "place": "home", "until": in_days(2)},
    )
    assert refused.status_code == 404  # cm is not in the secret space: nothing to pin
    # The space's owner (a moderator of it) pins it on the space's home.
    assert "Pin this item on" in ann.get(secret["url"]).text
    assert "This space&#39;s home" in ann.get(secret["url"]).text
    home_refused = ann.post(
        "/api/v1/announcements",
        json={"content": secret["content_id"], "place": "home", "until": in_days(2)},
    )
    assert home_refused.status_code == 403  # ann is no community manager
    made = ann.post(
        "/api/v1/announcements",
        json={"content": secret["content_id"], "place": "space", "until": in_days(2)},
    )
    assert made.status_code == 201 and made.json()["space"] == "ops"
    space_home = bob.get("/spaces/ops").text
    assert "Rota for the on-call week" in space_home.split('class="announcements"')[1]
    assert bob.delete(f"/api/v1/announcements/{made.json()['id']}").status_code == 403  # member
    assert "Rota for the on-call week" not in cid.get("/").text
    assert cid.get("/api/v1/announcements", params={"space": "ops"}).status_code == 404
    assert cid.get("/api/v1/announcements").json()["items"] == []
    # Deleted, the item's pin goes with it.
    assert bob.delete(f"/api/v1/feed/posts/{secret['id']}").status_code == 204
    assert bob.get("/api/v1/announcements", params={"space": "ops"}).json()["items"] == []
