"""The feed plugin: posting, hashtags, mentions, moderation, pilots, and the stream."""

from __future__ import annotations

import pytest
from rse_feed.models import Post
from sqlalchemy import func, select

from rse_core.demo import load_demo
from rse_core.testing import enable, page_statements


@pytest.fixture
def people(rse_app, rse_user, rse_client_for):
    """ann owns the private space "ops" where bob is a moderator; cid is outside."""
    for name in ("ann", "bob", "cid"):
        rse_user(name)
    clients = {name: rse_client_for(name) for name in ("ann", "bob", "cid")}
    clients["ann"].post(
        "/api/v1/spaces", json={"name": "Ops", "slug": "ops", "visibility": "private"}
    )
    clients["ann"].post("/api/v1/spaces/ops/members", json={"username": "bob", "role": "moderator"})
    enable(rse_app, "feed")
    return clients


def post(client, body, space=None):
    payload = {"body": body} | ({"space": space} if space else {})
    response = client.post("/api/v1/feed/posts", json=payload)
    assert response.status_code == 201, response.text
    return response.json()


def test_post_to_everyone_and_read_it_back(people):
    created = post(people["ann"], "Hello **team**, see https://example.com #launch")
    assert created["url"] == f"/feed/posts/{created['id']}"
    body = people["cid"].get(f"/api/v1/feed/posts/{created['id']}").json()
    assert "<strong>team</strong>" in body["html"]
    assert '<a href="https://example.com"' in body["html"]
    assert '<a href="/feed/tags/launch"' in body["html"]
    page = people["cid"].get(created["url"])
    assert page.status_code == 200 and "<strong>team</strong>" in page.text
    stream = people["cid"].get("/").text
    assert '<a href="/feed/tags/launch"' in stream  # rendered by the plugin in the stream


def test_space_posts_stay_in_the_space(people):
    created = post(people["ann"], "ops only #incident", space="ops")
    assert people["bob"].get(created["url"]).status_code == 200
    assert people["cid"].get(created["url"]).status_code == 404
    assert people["cid"].get(f"/api/v1/feed/posts/{created['id']}").status_code == 404
    assert people["cid"].get("/api/v1/feed/tags/incident").json()["items"] == []
    assert len(people["bob"].get("/api/v1/feed/tags/incident").json()["items"]) == 1
    assert "incident" not in people["cid"].get("/").text  # nor in the trending widget
    assert "#incident" in people["bob"].get("/").text
    refused = people["cid"].post("/api/v1/feed/posts", json={"body": "x", "space": "ops"})
    assert refused.status_code == 403  # ops is private, so listed: "not a member" is no secret
    people["ann"].post(
        "/api/v1/spaces", json={"name": "Hush", "slug": "hush", "visibility": "secret"}
    )
    hidden = people["cid"].post("/api/v1/feed/posts", json={"body": "x", "space": "hush"})
    assert hidden.status_code == 404  # a secret space answers like a missing one


def test_posting_to_a_space_you_are_not_in_is_refused(people, rse_client_for):
    people["ann"].post("/api/v1/spaces", json={"name": "Open", "slug": "open"})
    refused = people["cid"].post("/api/v1/feed/posts", json={"body": "x", "space": "open"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("body", ["", "   ", "x" * 5001, None, 42, ["a"]])
def test_bad_bodies_are_422(people, body):
    response = people["ann"].post("/api/v1/feed/posts", json={"body": body})
    assert response.status_code == 422 and "body" in response.json()["error"]["fields"]


def test_edit_by_author_only_and_edits_fold(people):
    created = post(people["ann"], "v1")
    url = f"/api/v1/feed/posts/{created['id']}"
    assert people["bob"].patch(url, json={"body": "hijack"}).status_code == 403
    for text in ("v2 #fixed", "v3 #fixed"):
        assert people["ann"].patch(url, json={"body": text}).status_code == 200
    assert people["ann"].get(url).json()["body"] == "v3 #fixed"
    verbs = [i["rse:verb"] for i in people["cid"].get("/api/v1/stream").json()["items"]]
    assert verbs == ["update", "create"]
    assert len(people["cid"].get("/api/v1/feed/tags/fixed").json()["items"]) == 1


def test_delete_by_author_or_space_moderator(people):
    mine = post(people["ann"], "mine", space="ops")
    theirs = post(people["ann"], "moderate me", space="ops")
    company = post(people["ann"], "company wide")
    assert people["cid"].delete(f"/api/v1/feed/posts/{company['id']}").status_code == 403
    assert people["bob"].delete(f"/api/v1/feed/posts/{theirs['id']}").status_code == 204
    assert people["bob"].delete(f"/api/v1/feed/posts/{company['id']}").status_code == 403
    assert people["ann"].delete(f"/api/v1/feed/posts/{mine['id']}").status_code == 204
    for gone in (mine, theirs):
        assert people["ann"].get(gone["url"]).status_code == 404
    assert "moderate me" not in people["ann"].get("/").text


def test_mentions_notify(people):
    post(people["ann"], "thanks @bob and @cid", space="ops")
    assert [n["kind"] for n in people["bob"].get("/api/v1/notifications").json()["items"]] == [
        "mention"
    ]
    assert people["cid"].get("/api/v1/notifications").json()["items"] == []  # can't see it


def test_composer_on_home_and_space_pages_with_htmx(people):
    home = people["ann"].get("/").text
    assert 'action="/feed/posts"' in home and '<option value="ops">Ops</option>' in home
    assert 'name="space" value="ops"' in people["ann"].get("/spaces/ops").text
    response = people["ann"].post(
        "/feed/posts", data={"body": "from the box", "space": "ops"}, headers={"hx-request": "true"}
    )
    assert response.status_code == 204 and response.headers["hx-refresh"] == "true"
    assert "from the box" in people["bob"].get("/spaces/ops").text
    empty = people["ann"].post("/feed/posts", data={"body": ""}, headers={"hx-request": "true"})
    assert empty.status_code == 422 and "Write something first." in empty.text


def test_follow_a_hashtag(people):
    cid = people["cid"]
    cid.post("/follow", data={"target": "tag:python"})
    post(people["ann"], "nothing to see")
    post(people["bob"], "new #python release")
    titles = [i["object"]["summary"] for i in cid.get("/api/v1/stream?following=1").json()["items"]]
    assert titles == ["new #python release"]
    assert "Following" in cid.get("/feed/tags/python").text


def test_piloted_in_one_space_only(rse_app, people):
    from rse_core.runtime import change_plugin

    change_plugin(rse_app.state.rse, "feed", enabled=False, actor="t")
    enable(rse_app, "feed", spaces=["ops"])
    cid, bob = people["cid"], people["bob"]
    assert cid.post("/api/v1/feed/posts", json={"body": "x"}).status_code == 404
    assert cid.get("/feed/tags/x").status_code == 404
    assert 'action="/feed/posts"' not in cid.get("/").text
    assert "Trending this week" not in cid.get("/").text
    assert bob.post("/api/v1/feed/posts", json={"body": "pilot", "space": "ops"}).status_code == 201
    assert 'action="/feed/posts"' in bob.get("/spaces/ops").text


def test_home_with_feed_posts_costs_a_constant_number_of_queries(rse_app, people):
    def queries():
        return len(page_statements(rse_app, people["bob"], "/"))

    post(people["ann"], "one #a")
    few = queries()
    for i in range(19):
        post(people["ann"], f"post {i} #t{i}", space="ops" if i % 2 else None)
    assert queries() == few


def test_home_page_hook_calls_are_bounded(rse_app, people):
    """Per-entry hooks reach only what they must: the entry's own plugin renders it, and a
    page of 20 entries stays within a fixed budget of implementations run."""
    enable(rse_app, "bookmarks")
    enable(rse_app, "blog")
    enable(rse_app, "wiki")
    for i in range(21):
        post(people["ann"], f"post {i}")
    registry = rse_app.state.rse.plugins
    people["bob"].get("/")  # warm: the worker's access copy
    registry.calls.clear()
    assert people["bob"].get("/").text.count('class="card entry"') == 20
    calls = dict(registry.calls)
    assert calls["rse_render_activity"] == 20  # the owner of each entry, no other plugin
    # item actions: the core and each active plugin that adds one, once per entry
    assert calls["rse_item_actions"] <= 20 * 3
    assert sum(calls.values()) <= 60, calls  # 48 on 2026-12-01: widgets 3, nav 4, composer 1


def test_demo_posts(rse_app):
    load_demo(rse_app.state.rse, actor="test")
    with rse_app.state.rse.db.read() as session:
        assert session.execute(select(func.count()).select_from(Post)).scalar_one() >= 5


def test_only_a_real_edit_marks_a_post_edited(people):
    created = post(people["ann"], "fresh")
    assert created["created_at"] == created["updated_at"]
    page = people["bob"].get(created["url"]).text
    assert "· edited" not in page
    people["ann"].patch(f"/api/v1/feed/posts/{created['id']}", json={"body": "fresher"})
    assert "· edited" in people["bob"].get(created["url"]).text
