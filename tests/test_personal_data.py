"""A person downloads their own data (GDPR right of access, #18): the core's part and every
plugin's, theirs only."""

from __future__ import annotations

import json
from datetime import date, timedelta

from rse_core.testing import enable


def test_the_download_holds_what_the_person_did_in_every_plugin_and_nothing_of_others(
    rse_app, rse_user, rse_client_for
):
    rse_user("ann", admin=True, department="IT")
    rse_user("bob")
    ann, bob = rse_client_for("ann"), rse_client_for("bob")
    for plugin in ("feed", "qa", "ideas", "blog", "wiki"):
        enable(rse_app, plugin)
    post = ann.post("/api/v1/feed/posts", json={"body": "ann's own post"}).json()
    bob.post("/api/v1/feed/posts", json={"body": "bob's post"})
    bob_post = bob.post("/api/v1/feed/posts", json={"body": "bob again"}).json()
    ann.post(f"/api/v1/content/{bob_post['content_id']}/comments", json={"body": "ann comments"})
    bob.post(f"/api/v1/content/{post['content_id']}/comments", json={"body": "bob comments"})
    ann.post(f"/api/v1/content/{bob_post['content_id']}/reactions", json={"kind": "like"})
    ann.post("/follow", data={"target": "tag:coffee"})
    question = bob.post("/api/v1/qa/questions", json={"title": "Where is the coffee?"}).json()
    ann.post(f"/api/v1/qa/questions/{question['id']}/answers", json={"body": "ann's answer"})
    bob.post(f"/api/v1/qa/questions/{question['id']}/answers", json={"body": "bob's answer"})
    soon = (date.today() + timedelta(days=10)).isoformat()
    campaign = ann.post(
        "/api/v1/ideas/campaigns", json={"question": "Better coffee?", "closes_on": soon}
    ).json()
    idea = bob.post(
        f"/api/v1/ideas/campaigns/{campaign['id']}/ideas", json={"title": "A bean grinder"}
    ).json()
    ann.post(f"/api/v1/ideas/ideas/{idea['id']}/vote", json={"value": 1})
    drafted = ann.post(
        "/api/v1/blog/posts", json={"title": "Draft thoughts", "body": "not yet", "status": "draft"}
    )
    assert drafted.status_code == 201, drafted.text

    response = ann.get("/profile/data.json")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    document = json.loads(response.text)
    assert document["profile"]["username"] == "ann" and document["profile"]["department"] == "IT"
    texts = {item["text"] for item in document["items"]}
    assert "ann's own post" in texts and "bob's post" not in texts
    assert [c["body"] for c in document["comments"]] == ["ann comments"]
    assert [r["kind"] for r in document["reactions"]] == ["like"]
    assert {f["target"] for f in document["follows"]} >= {"tag:coffee"}
    plugins = document["plugins"]
    assert [a["body"] for a in plugins["qa"]["answers"]] == ["ann's answer"]
    assert plugins["ideas"]["voted_for"] == ["A bean grinder"]
    assert [p["title"] for p in plugins["blog"]["unpublished_posts"]] == ["Draft thoughts"]
    assert document["missing"] == []
    dumped = response.text
    assert "bob's answer" not in dumped and "bob comments" not in dumped
    assert "password" not in dumped  # no hash, nothing secret
    page = ann.get("/profile").text
    assert 'href="/profile/data.json"' in page and "Download my data" in page
    anonymous = rse_client_for("bob")
    anonymous.post("/logout")
    assert anonymous.get("/profile/data.json", follow_redirects=False).status_code in (
        302,
        303,
        401,
    )
