"""Moderation: employees report items and comments; a space's moderators and community
managers decide (hide, restore, dismiss, warn), every decision logged and the author told;
nobody sees a report on what they may not read."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rse_core.identity.models import User
from rse_core.testing import enable, wait_for_index


@pytest.fixture
def people(rse_app, rse_user, rse_client_for):
    for name in ("ann", "bob", "cid", "mod"):
        rse_user(name)
    with rse_app.state.rse.db.write() as session:
        session.scalar(select(User).where(User.username == "mod")).is_community_manager = True
    enable(rse_app, "feed")
    clients = {name: rse_client_for(name) for name in ("ann", "bob", "cid", "mod")}
    return clients


def post(client, body, space=None):
    made = client.post("/api/v1/feed/posts", json={"body": body, "space": space})
    assert made.status_code == 201, made.text
    return made.json()


def report(client, content_id, expect=201, **body):
    body.setdefault("reason", "spam")
    response = client.post(f"/api/v1/content/{content_id}/reports", json=body)
    assert response.status_code == expect, response.text
    return response.json()


def test_a_report_reaches_the_community_manager_who_hides_then_restores(rse_app, people):
    ann, bob, mod = people["ann"], people["bob"], people["mod"]
    item = post(ann, "Buy cheap watches at example.com #offer")
    page = bob.post(
        f"/content/{item['content_id']}/report",
        data={"reason": "spam", "note": "An advert"},
    )
    assert "the moderators will look at it" in page.text
    assert bob.get("/moderation").status_code == 403  # not a moderator
    assert bob.get("/api/v1/moderation/reports").status_code == 403
    queue = mod.get("/moderation")
    assert (
        queue.status_code == 200 and "Buy cheap watches" in queue.text and "An advert" in queue.text
    )
    assert "Moderation" in mod.get("/").text  # in the header, for community managers
    (case,) = mod.get("/api/v1/moderation/reports").json()["items"]
    assert case["author"] == "ann" and [r["reporter"] for r in case["reports"]] == ["bob"]
    hidden = mod.post(
        f"/moderation/reports/{case['report_id']}",
        data={"action": "hide", "reason": "Adverts are not allowed here."},
    )
    assert hidden.status_code == 200
    assert bob.get(item["url"]).status_code == 404
    assert "Buy cheap watches" not in bob.get("/").text
    wait_for_index(rse_app)
    assert bob.get("/api/v1/search", params={"q": "watches"}).json()["hits"] == []
    told = ann.get("/notifications").text
    assert "A moderator hid what you wrote:" in told and "Adverts are not allowed here." in told
    # Decided: the queue is empty, the log keeps it; the hidden item can come back.
    assert mod.get("/api/v1/moderation/reports").json()["items"] == []
    log = mod.get("/moderation/log").text
    assert "Adverts are not allowed here." in log and "hidden" in log
    again = report(bob, item["content_id"], expect=404)  # hidden: nothing to report
    assert again["error"]["code"] == "not_found"
    log = mod.get("/moderation/log").text
    assert 'action="/moderation/decisions/' in log  # still hidden: restorable from the log
    decided = mod.post(
        f"/api/v1/moderation/reports/{case['report_id']}/decision",
        json={"action": "restore", "reason": "The seller is our partner after all."},
    )
    assert decided.status_code == 200 and decided.json()["action"] == "restore"
    assert bob.get(item["url"]).status_code == 200
    assert "A moderator restored what you wrote:" in ann.get("/notifications").text
    twice = mod.post(
        f"/api/v1/moderation/reports/{case['report_id']}/decision",
        json={"action": "restore", "reason": "again"},
    )
    assert twice.status_code == 409


def test_space_moderators_see_their_space_only_and_private_stays_private(rse_app, people):
    ann, bob, cid, mod = people["ann"], people["bob"], people["cid"], people["mod"]
    ann.post("/api/v1/spaces", json={"name": "Ops", "slug": "ops", "visibility": "secret"})
    ann.post("/api/v1/spaces/ops/members", json={"username": "bob"})
    secret = post(bob, "Salaries of the team", space="ops")
    report(ann, secret["content_id"], reason="confidential")
    # ann owns the space: she moderates it; mod (community manager, not a member) does not see it.
    assert [
        c["title"] or c["content_id"] for c in ann.get("/api/v1/moderation/reports").json()["items"]
    ]
    assert mod.get("/api/v1/moderation/reports").json()["items"] == []
    assert "Salaries" not in mod.get("/moderation").text
    assert report(cid, secret["content_id"], expect=404)["error"]["code"] == "not_found"
    # A public item: the community manager decides; ann (owner of another space) does not.
    public = post(cid, "Lunch is on me today")
    (made,) = [report(bob, public["content_id"], reason="off-topic")]
    assert [c["content_id"] for c in ann.get("/api/v1/moderation/reports").json()["items"]] == [
        secret["content_id"]
    ]
    outsider = ann.post(
        f"/api/v1/moderation/reports/{made['id']}/decision",
        json={"action": "hide", "reason": "x"},
    )
    assert outsider.status_code == 404
    dismissed = mod.post(
        f"/api/v1/moderation/reports/{made['id']}/decision",
        json={"action": "dismiss", "reason": "Fine by the guidelines."},
    )
    assert dismissed.status_code == 200 and dismissed.json()["reports"] == 1
    assert "moderator" not in cid.get("/notifications").text  # a dismissal tells nobody


def test_reports_are_checked_and_one_per_person(rse_app, people):
    ann, bob, cid, mod = people["ann"], people["bob"], people["cid"], people["mod"]
    item = post(ann, "Our new intranet")
    assert report(ann, item["content_id"], expect=409)["error"]["fields"]["reason"]  # own
    assert report(bob, item["content_id"], reason="nonsense", expect=422)
    first = report(bob, item["content_id"], note="first")
    again = report(bob, item["content_id"], reason="other", note="second")
    assert again["id"] == first["id"] and again["reason"] == "other"
    report(cid, item["content_id"], reason="harassment")
    (case,) = mod.get("/api/v1/moderation/reports").json()["items"]
    assert [(r["reporter"], r["reason"]) for r in case["reports"]] == [
        ("bob", "other"), ("cid", "harassment")
    ]  # fmt: skip
    warned = mod.post(
        f"/api/v1/moderation/reports/{case['report_id']}/decision",
        json={"action": "warn", "reason": "Please keep it factual."},
    )
    assert warned.status_code == 200 and warned.json()["reports"] == 2
    assert bob.get(item["url"]).status_code == 200  # a warning leaves the item
    assert "A moderator asks you to mind the guidelines:" in ann.get("/notifications").text
    blank = report(bob, item["content_id"])
    refused = mod.post(
        f"/api/v1/moderation/reports/{blank['id']}/decision", json={"action": "hide", "reason": " "}
    )
    assert refused.status_code == 422


def test_a_reported_comment_is_hidden_alone(rse_app, people):
    ann, bob, mod = people["ann"], people["bob"], people["mod"]
    item = post(ann, "Team lunch on Friday")
    comment = bob.post(
        f"/api/v1/content/{item['content_id']}/comments", json={"body": "You are all idiots"}
    ).json()
    page = ann.get(item["url"]).text
    assert page.count("What is wrong with this comment?") == 1  # not on her own item
    report(ann, item["content_id"], reason="harassment", comment=comment["id"])
    assert report(bob, item["content_id"], comment=comment["id"], expect=409)  # his own
    (case,) = mod.get("/api/v1/moderation/reports").json()["items"]
    assert case["comment_id"] == comment["id"] and case["author"] == "bob"
    mod.post(
        f"/moderation/reports/{case['report_id']}",
        data={"action": "hide", "reason": "Be respectful."},
    )
    page = ann.get(item["url"]).text
    assert "Team lunch on Friday" in page and "You are all idiots" not in page
    assert "Be respectful." in bob.get("/notifications").text
    mod.post(
        f"/moderation/reports/{case['report_id']}",
        data={"action": "restore", "reason": "Context: a quote from a film."},
    )
    assert "You are all idiots" in ann.get(item["url"]).text


def test_what_was_hidden_is_restored_from_the_log(rse_app, people):
    from rse_core.moderation import Decision

    ann, bob, mod = people["ann"], people["bob"], people["mod"]
    item = post(ann, "A heated debate")
    made = report(bob, item["content_id"], reason="harassment")
    mod.post(f"/moderation/reports/{made['id']}", data={"action": "hide", "reason": "Too far."})
    with rse_app.state.rse.db.read() as session:
        decision_id = session.scalar(select(Decision.id))
    assert bob.post(f"/moderation/decisions/{decision_id}", data={"reason": "x"}).status_code == 404
    done = mod.post(f"/moderation/decisions/{decision_id}", data={"reason": "Calmer now."})
    assert done.status_code == 200 and bob.get(item["url"]).status_code == 200
    assert 'action="/moderation/decisions/' not in mod.get("/moderation/log").text


def test_admins_make_community_managers(rse_app, rse_user, rse_client_for):
    rse_user("boss", admin=True)
    rse_user("eve")
    boss = rse_client_for("boss")
    boss.post("/admin/users/eve", data={"action": "community"})
    assert "community manager" in boss.get("/admin/users").text
    eve = rse_client_for("eve")
    assert eve.get("/moderation").status_code == 200
    boss.post("/admin/users/eve", data={"action": "uncommunity"})
    assert rse_client_for("eve").get("/moderation").status_code == 403
