"""The blog plugin: writing, drafts, scheduling, reading, Atom feeds, spaces and rollout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import feedparser
import pytest

from rse_core.testing import enable, run_jobs, wait_for_index


@pytest.fixture
def people(rse_app, rse_user, rse_client_for):
    for name in ("ann", "bob", "cid"):
        rse_user(name)
    clients = {name: rse_client_for(name) for name in ("ann", "bob", "cid")}
    created = clients["ann"].post(
        "/api/v1/spaces", json={"name": "Ops", "slug": "ops", "visibility": "private"}
    )
    assert created.status_code == 201
    clients["ann"].post("/api/v1/spaces/ops/members", json={"username": "bob", "role": "member"})
    enable(rse_app, "blog")
    return clients


def write(client, expect=201, **body):
    body.setdefault("title", "Hello")
    body.setdefault("body", "Some words")
    body.setdefault("status", "published")
    response = client.post("/api/v1/blog/posts", json=body)
    assert response.status_code == expect, response.text
    return response.json()


def stream_titles(client):
    return [i["object"]["name"] for i in client.get("/api/v1/stream?limit=100").json()["items"]]


def search_titles(client, q):
    return [h["title"] for h in client.get("/api/v1/search", params={"q": q}).json()["hits"]]


def listed(client, query=""):
    return [p["title"] for p in client.get(f"/api/v1/blog/posts{query}").json()["items"]]


def feed_url(client, path="latest.atom"):
    """Turn the reader's feeds on, then read the subscription link the blog page shows."""
    client.post("/profile/feed", data={"action": "reset"})
    page = client.get("/blog").text
    start = page.index('href="/feeds/blog/') + len('href="')
    url = page[start : page.index('"', start)]
    return url.rsplit("/", 1)[0] + "/" + path if path != "latest.atom" else url


def test_a_published_post_reaches_the_stream_search_and_its_page(rse_app, people):
    ann, bob = people["ann"], people["bob"]
    body = "# Plan\n\n" + "word " * 450 + "\n\n<script>alert(1)</script> thanks @bob"
    post = write(ann, title="Quarterly plan", body=body, tags=["planning", "#Q1"])
    assert post["status"] == "published" and post["content_id"] and post["published_at"]
    assert post["reading_minutes"] == 3 and post["tags"] == ["planning", "q1"]
    assert "<script" not in post["html"] and "<h1>Plan</h1>" in post["html"]
    wait_for_index(rse_app)
    assert "Quarterly plan" in stream_titles(bob)
    assert "Quarterly plan" in search_titles(bob, "quarterly")
    page = bob.get(f"/blog/posts/{post['id']}").text
    assert "Quarterly plan" in page and "3 min read" in page and "<script>alert" not in page
    assert 'action="/content/' in page  # the core's likes and comments
    notes = bob.get("/api/v1/notifications").json()["items"]
    assert [n["kind"] for n in notes] == ["mention"]
    assert listed(bob, "?tag=q1") == ["Quarterly plan"] and listed(bob, "?tag=other") == []
    assert listed(bob, "?author=ann") == ["Quarterly plan"]


def test_a_draft_is_its_author_s_alone_on_every_read_path(rse_app, people):
    ann, bob = people["ann"], people["bob"]
    draft = write(ann, title="Secret plans", body="hush @bob", status="draft")
    assert draft["content_id"] is None and draft["status"] == "draft"
    wait_for_index(rse_app)
    assert ann.get(f"/api/v1/blog/posts/{draft['id']}").status_code == 200
    assert "Draft: only you can see it" in ann.get(f"/blog/posts/{draft['id']}").text
    assert listed(ann, "?status=draft") == ["Secret plans"]
    assert ">1 draft</a>" in ann.get("/blog").text and "draft</a>" not in bob.get("/blog").text
    for path in (f"/api/v1/blog/posts/{draft['id']}", f"/blog/posts/{draft['id']}"):
        assert bob.get(path).status_code == 404, path
    assert bob.get(f"/blog/posts/{draft['id']}/edit").status_code == 404
    assert bob.patch(f"/api/v1/blog/posts/{draft['id']}", json={"title": "x"}).status_code == 404
    assert bob.delete(f"/api/v1/blog/posts/{draft['id']}").status_code == 404
    for reader in (ann, bob):
        assert "Secret plans" not in stream_titles(reader)
        assert search_titles(reader, "secret") == []
        assert listed(reader) == [] and "Secret plans" not in reader.get("/blog").text
        assert "Secret plans" not in reader.get("/").text
    assert listed(bob, "?status=draft") == []
    assert bob.get("/api/v1/notifications").json()["items"] == []
    assert "Secret plans" not in feedparser.parse(ann.get(feed_url(ann)).text).feed.get("title", "")
    assert feedparser.parse(ann.get(feed_url(ann)).text).entries == []


def test_a_scheduled_post_goes_live_at_its_time_and_only_then(rse_app, people):
    ann, bob = people["ann"], people["bob"]
    at = datetime.now(UTC) + timedelta(hours=2)
    post = write(
        ann,
        title="Launch day",
        body="It is out, @bob!",
        status="scheduled",
        publish_at=at.isoformat(),
    )
    assert post["status"] == "scheduled" and post["content_id"] is None
    run_jobs(rse_app)  # not yet due
    wait_for_index(rse_app)
    assert bob.get(f"/api/v1/blog/posts/{post['id']}").status_code == 404
    assert "Launch day" not in stream_titles(bob) and search_titles(bob, "launch") == []
    assert bob.get("/api/v1/notifications").json()["items"] == []
    assert "Scheduled for" in ann.get("/blog/drafts").text

    assert run_jobs(rse_app, now=at + timedelta(seconds=1)) == 1
    wait_for_index(rse_app)
    live = bob.get(f"/api/v1/blog/posts/{post['id']}").json()
    assert live["status"] == "published" and live["content_id"]
    assert "Launch day" in stream_titles(bob) and search_titles(bob, "launch") == ["Launch day"]
    assert [n["kind"] for n in bob.get("/api/v1/notifications").json()["items"]] == ["mention"]
    entries = feedparser.parse(bob.get(feed_url(bob)).text).entries
    assert [e.title for e in entries] == ["Launch day"]


def test_rescheduling_and_unscheduling_move_or_drop_the_job(rse_app, people):
    ann = people["ann"]
    soon = datetime.now(UTC) + timedelta(hours=1)
    later = soon + timedelta(days=1)
    post = write(ann, status="scheduled", publish_at=soon.isoformat())
    moved = ann.patch(f"/api/v1/blog/posts/{post['id']}", json={"publish_at": later.isoformat()})
    assert moved.status_code == 200 and moved.json()["status"] == "scheduled"
    assert run_jobs(rse_app, now=soon + timedelta(minutes=1)) == 0  # moved: not yet
    assert ann.get(f"/api/v1/blog/posts/{post['id']}").json()["status"] == "scheduled"
    back = ann.patch(f"/api/v1/blog/posts/{post['id']}", json={"status": "draft"})
    assert back.json()["status"] == "draft" and back.json()["publish_at"] is None
    assert run_jobs(rse_app, now=later + timedelta(minutes=1)) == 0
    assert ann.get(f"/api/v1/blog/posts/{post['id']}").json()["status"] == "draft"
    now = ann.patch(f"/api/v1/blog/posts/{post['id']}", json={"status": "published"})
    assert now.json()["status"] == "published"
    stays = ann.patch(f"/api/v1/blog/posts/{post['id']}", json={"status": "draft"})
    assert stays.status_code == 409 and "status" in stays.json()["error"]["fields"]
    unset = write(ann, status="draft")
    when = ann.patch(f"/api/v1/blog/posts/{unset['id']}", json={"status": "scheduled"})
    assert when.status_code == 409 and "publish_at" in when.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": " ", "body": "x", "status": "draft"}, "title"),
        ({"title": "t", "body": "", "status": "draft"}, "body"),
        ({"title": "t", "body": "x" * 100_001, "status": "draft"}, "body"),
        ({"title": "t", "body": "x", "status": "scheduled"}, "publish_at"),
        (
            {
                "title": "t",
                "body": "x",
                "status": "scheduled",
                "publish_at": "2020-01-01T10:00:00+01:00",
            },
            "publish_at",
        ),
        (
            {"title": "t", "body": "x", "status": "scheduled", "publish_at": "2030-01-01T10:00:00"},
            "publish_at",
        ),
        ({"title": "t", "body": "x", "status": "maybe"}, "status"),
        (
            {"title": "t", "body": "x", "status": "draft", "cover_url": "javascript:alert(1)"},
            "cover_url",
        ),
        ({"title": "t", "body": "x", "status": "draft", "tags": ["not a tag"]}, "tags"),
        (
            {
                "title": "t",
                "body": "x",
                "status": "draft",
                "tags": [str(i) + "t" for i in range(11)],
            },
            "tags",
        ),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(rse_app, people, body, field):
    ann = people["ann"]
    response = ann.post("/api/v1/blog/posts", json=body)
    past = body.get("publish_at", "").startswith("2020")  # well-formed, but the time has passed
    assert response.status_code == (409 if past else 422), response.text
    assert field in str(response.json()["error"]), response.json()
    assert listed(ann, "?status=draft") == [] and listed(ann, "?status=scheduled") == []


def test_a_space_blog_is_written_by_members_and_read_by_those_who_may(rse_app, people):
    ann, bob, cid = people["ann"], people["bob"], people["cid"]
    news = write(bob, title="Ops news", body="the ops news", space="ops")
    write(ann, title="Ann's own", body="mine")
    assert write(cid, expect=403, space="ops")["error"]["code"] == "forbidden"
    wait_for_index(rse_app)
    for member in (ann, bob):
        assert listed(member, "?space=ops") == ["Ops news"]
        assert "Ops news" in member.get("/blog/spaces/ops").text
    assert cid.get(f"/blog/posts/{news['id']}").status_code == 404
    assert cid.get(f"/api/v1/blog/posts/{news['id']}").status_code == 404
    assert listed(cid) == ["Ann's own"] and "Ops news" not in stream_titles(cid)
    assert search_titles(cid, "news") == []
    assert "Ops news" not in cid.get("/").text
    # The home widget: the latest posts the reader may read, by whom.
    widget = bob.get("/").text.split('<ul class="blog-latest">')[1].split("</ul>")[0]
    assert f'/blog/posts/{news["id"]}">Ops news</a> <span class="muted">Bob</span>' in widget
    assert 'Ann&#39;s own</a> <span class="muted">Ann</span>' in widget
    assert "Ops news" not in cid.get("/").text.split('<ul class="blog-latest">')[1]
    # Atom: a member reads the space's feed; an outsider's key cannot open it.
    member_feed = feedparser.parse(bob.get(feed_url(bob, "spaces/ops.atom")).text)
    assert member_feed.bozo == 0 and [e.title for e in member_feed.entries] == ["Ops news"]
    assert cid.get(feed_url(cid, "spaces/ops.atom")).status_code == 404
    latest = feedparser.parse(cid.get(feed_url(cid)).text)
    assert [e.title for e in latest.entries] == ["Ann's own"]
    # An author's blog holds their own posts, not their space posts.
    assert "Ops news" not in ann.get("/blog/people/bob").text


def test_the_atom_feeds_are_valid_and_follow_the_readers_key(rse_app, people):
    ann, bob = people["ann"], people["bob"]
    write(ann, title="First & <best>", body="**bold** text", tags=["news"])
    write(ann, title="Second", body="more")
    url = feed_url(bob)
    response = bob.get(url)
    assert response.headers["content-type"].startswith("application/atom+xml")
    assert response.headers["cache-control"] == "private, no-store"
    parsed = feedparser.parse(response.text)
    assert parsed.bozo == 0, parsed.bozo_exception
    assert parsed.version == "atom10"
    assert [e.title for e in parsed.entries] == ["Second", "First & <best>"]
    first = parsed.entries[1]
    assert "<strong>bold</strong>" in first.content[0].value and first.tags[0].term == "news"
    assert first.link.endswith("/blog/posts/1") and first.author == "Ann"
    person = feedparser.parse(bob.get(url.rsplit("/", 1)[0] + "/people/ann.atom").text)
    assert person.bozo == 0 and len(person.entries) == 2
    # A feed reader has no session: the key alone opens it; resetting the feeds revokes it.
    anonymous = rse_app_client(rse_app)
    assert anonymous.get(url).status_code == 200
    bob.post("/profile/feed", data={"action": "reset"})
    assert anonymous.get(url).status_code == 404
    assert anonymous.get("/feeds/blog/1-" + "0" * 32 + "/latest.atom").status_code == 404
    assert anonymous.get("/feeds/blog/nonsense/latest.atom").status_code == 404


def rse_app_client(app):
    from starlette.testclient import TestClient

    return TestClient(app)


def test_reading_previous_next_edit_and_delete(rse_app, people):
    ann, bob = people["ann"], people["bob"]
    one = write(ann, title="One", body="1", cover_url="https://cdn.example.com/one.jpg")
    shown = bob.get(f"/blog/posts/{one['id']}")
    assert '<img class="blog-cover" src="https://cdn.example.com/one.jpg"' in shown.text
    assert "img-src 'self' data: https:;" in shown.headers["content-security-policy"]
    two = write(ann, title="Two", body="2")
    three = write(ann, title="Three", body="3")
    middle = bob.get(f"/blog/posts/{two['id']}").text
    assert f'rel="prev" href="/blog/posts/{one["id"]}"' in middle
    assert f'rel="next" href="/blog/posts/{three["id"]}"' in middle
    assert bob.patch(f"/api/v1/blog/posts/{two['id']}", json={"title": "x"}).status_code == 403
    edited = ann.patch(f"/api/v1/blog/posts/{two['id']}", json={"title": "Two, revised"})
    assert edited.status_code == 200 and edited.json()["title"] == "Two, revised"
    assert stream_titles(bob)[0] == "Two, revised"
    page = ann.post(
        f"/blog/posts/{two['id']}",
        data={"action": "save", "title": "", "body": "2", "status": "published"},
    )
    assert page.status_code == 422 and "Give the post a title." in page.text
    assert bob.delete(f"/api/v1/blog/posts/{two['id']}").status_code == 403
    assert ann.delete(f"/api/v1/blog/posts/{two['id']}").status_code == 204
    assert bob.get(f"/blog/posts/{two['id']}").status_code == 404
    assert listed(bob) == ["Three", "One"] and "Two, revised" not in stream_titles(bob)
    pages = bob.get("/api/v1/blog/posts?limit=1").json()
    assert [p["title"] for p in pages["items"]] == ["Three"]
    rest = bob.get(f"/api/v1/blog/posts?limit=1&before={pages['next']}").json()
    assert [p["title"] for p in rest["items"]] == ["One"] and rest["next"] is None


def test_the_editor_previews_saves_drafts_and_schedules_in_the_readers_time_zone(rse_app, people):
    ann = people["ann"]
    preview = ann.post("/blog/preview", data={"body": "**hi** <img src=x onerror=alert(1)>"})
    assert "<strong>hi</strong>" in preview.text and "<img" not in preview.text
    assert "Write a post" in ann.get("/blog/new").text
    form = {
        "title": "Later",
        "body": "soon",
        "tags": "a, b",
        "status": "scheduled",
        "publish_at": "2031-06-01T09:30",
        "space": "",
    }
    saved = ann.post("/blog/posts", data=form, follow_redirects=False)
    assert saved.status_code == 303
    post = ann.get("/api/v1/blog/posts?status=scheduled").json()["items"][0]
    # The site's zone in tests is UTC unless the profile says otherwise.
    assert post["publish_at"] == "2031-06-01T09:30:00+00:00" and post["tags"] == ["a", "b"]
    past = ann.post("/blog/posts", data={**form, "publish_at": "2001-01-01T00:00"})
    assert past.status_code == 422 and "Choose a time in the future." in past.text
    assert 'value="Later"' in past.text  # what was typed is kept
    into = ann.post("/blog/posts", data={**form, "status": "published", "space": "ops"})
    assert into.status_code == 200 or into.status_code == 303
    outsider = people["cid"].post("/blog/posts", data={**form, "status": "draft", "space": "ops"})
    assert outsider.status_code == 422 and "blogs of your spaces" in outsider.text


def test_a_pilot_rollout_hides_the_blog_from_everyone_else(rse_app, people):
    ann, cid = people["ann"], people["cid"]
    post = write(ann, title="Pilot post", body="for the pilot")
    url = feed_url(cid)
    enable(rse_app, "blog", spaces=["ops"])
    for path in ("/blog", f"/blog/posts/{post['id']}", "/api/v1/blog/posts"):
        assert cid.get(path).status_code == 404, path
    assert cid.get(url).status_code == 404
    assert "Pilot post" not in stream_titles(cid)
    assert ann.get("/blog").status_code == 200 and listed(ann) == ["Pilot post"]


def test_a_scheduled_post_of_someone_who_left_the_space_waits_as_a_draft(rse_app, people):
    ann, bob = people["ann"], people["bob"]
    at = datetime.now(UTC) + timedelta(hours=1)
    post = write(bob, title="Ops plan", space="ops", status="scheduled", publish_at=at.isoformat())
    assert ann.delete("/api/v1/spaces/ops/members/bob").status_code in (200, 204)
    assert run_jobs(rse_app, now=at + timedelta(minutes=1)) == 1
    back = bob.get(f"/api/v1/blog/posts/{post['id']}").json()
    assert back["status"] == "draft" and back["content_id"] is None
    assert "Ops plan" not in stream_titles(ann) and "Ops plan" in bob.get("/blog/drafts").text


def test_a_publish_time_must_be_text(rse_app, rse_user, rse_client_for, enable_plugin):
    """A number is not a time here (pydantic's lax parsing would take it as a Unix time)."""
    rse_user("erin")
    enable_plugin("blog")
    client = rse_client_for("erin")
    made = client.post(
        "/api/v1/blog/posts", json={"title": "T", "body": "B", "status": "draft"}
    ).json()
    refused = client.patch(f"/api/v1/blog/posts/{made['id']}", json={"publish_at": 0})
    assert refused.status_code == 422 and "publish_at" in refused.json()["error"]["fields"]
