"""The bookmarks plugin: saving, visibility, save-for-later, import/export, weekly top."""

from __future__ import annotations

import pytest

from rse_core.testing import enable, wait_for_index

NETSCAPE = """<!DOCTYPE NETSCAPE-Bookmark-file-1>
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">
<TITLE>Bookmarks</TITLE>
<H1>Bookmarks</H1>
<DL><p>
    <DT><H3>Work</H3>
    <DL><p>
        <DT><A HREF="https://wiki.example.com/" ADD_DATE="1700000000">Team wiki</A>
        <DD>Where the runbooks live
        <DT><A HREF="javascript:alert(document.cookie)">A bookmarklet</A>
    </DL><p>
    <DT><A HREF="https://news.example.org/" TAGS="news,daily">News &amp; more</A>
</DL><p>
"""


@pytest.fixture
def people(rse_app, rse_user, rse_client_for):
    for name in ("ann", "bob", "cid"):
        rse_user(name)
    clients = {name: rse_client_for(name) for name in ("ann", "bob", "cid")}
    clients["ann"].post(
        "/api/v1/spaces", json={"name": "Ops", "slug": "ops", "visibility": "private"}
    )
    clients["ann"].post("/api/v1/spaces/ops/members", json={"username": "bob", "role": "moderator"})
    enable(rse_app, "bookmarks")
    enable(rse_app, "feed")
    return clients


def save(client, **body):
    response = client.post("/api/v1/bookmarks", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def stream(client):
    return client.get("/api/v1/stream?limit=100").json()["items"]


def urls(client, query=""):
    return [b["url"] for b in client.get(f"/api/v1/bookmarks{query}").json()["items"]]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,<script>x</script>",
        "file:///etc/passwd",
        "ftp://example.com",
        "",
        "  ",
        "https://",
        "http://a\nb",
    ],
)
def test_unsafe_links_are_refused_and_not_stored(people, url):
    response = people["ann"].post("/api/v1/bookmarks", json={"url": url})
    assert response.status_code == 422 and "url" in response.json()["error"]["fields"]
    assert urls(people["ann"]) == []


def test_save_with_each_visibility(people):
    save(people["ann"], url="https://private.example", title="Mine")
    save(
        people["ann"],
        url="https://ops.example",
        visibility="space",
        space="ops",
        tags=["runbook", "Ops"],
    )
    save(people["ann"], url="mailto:team@example.com", visibility="everyone", title="Mail us")
    assert urls(people["ann"]) == [
        "mailto:team@example.com",
        "https://ops.example",
        "https://private.example",
    ]
    assert urls(people["bob"], "?space=ops") == ["https://ops.example"]
    assert people["cid"].get("/api/v1/bookmarks?space=ops").json()["items"] == []
    assert urls(people["ann"], "?tag=runbook") == ["https://ops.example"]
    # what others see of ann's bookmarks: the public one only
    cid_home = people["cid"].get("/").text
    assert "Mail us" in cid_home and "private.example" not in cid_home
    assert "ops.example" not in cid_home


def test_bad_fields(people):
    bad = people["ann"].post(
        "/api/v1/bookmarks",
        json={"url": "https://x.example", "visibility": "friends", "tags": "a" * 5, "extra": 1},
    )
    assert bad.status_code == 422
    no_space = people["ann"].post(
        "/api/v1/bookmarks", json={"url": "https://x.example", "visibility": "space"}
    )
    assert no_space.status_code == 422 and "space" in no_space.json()["error"]["fields"]
    assert (
        people["ann"].post("/api/v1/bookmarks", json={"url": "https://x", "tags": [1]}).status_code
        == 422
    )
    # the form too: a NUL (PostgreSQL cannot store it) is refused, saving nothing
    nul = people["ann"].post("/bookmarks", data={"url": "https://nul.example", "title": "a\x00b"})
    assert nul.status_code == 422 and "NUL" in nul.text
    assert urls(people["ann"]).count("https://nul.example") == 0
    # a title is one line: runs of whitespace fold to one space
    folded = save(people["ann"], url="https://fold.example", title="  Two\n\tlines  ")
    assert folded["title"] == "Two lines"


def test_delete_rules(people):
    mine = save(people["ann"], url="https://a.example", visibility="space", space="ops")
    assert people["cid"].delete(f"/api/v1/bookmarks/{mine['id']}").status_code == 404
    assert people["bob"].delete(f"/api/v1/bookmarks/{mine['id']}").status_code == 204  # moderator
    private = save(people["bob"], url="https://b.example")
    assert people["ann"].delete(f"/api/v1/bookmarks/{private['id']}").status_code == 404
    assert people["bob"].delete(f"/api/v1/bookmarks/{private['id']}").status_code == 204


def test_save_for_later_any_visible_item(people):
    post = (
        people["ann"]
        .post("/api/v1/feed/posts", json={"body": "Read me #later", "space": "ops"})
        .json()
    )
    home = people["bob"].get("/").text
    assert 'action="/bookmarks/save"' in home
    response = people["bob"].post(
        "/bookmarks/save", data={"content_id": post["content_id"]}, follow_redirects=False
    )
    assert response.status_code == 303
    saved = people["bob"].get("/api/v1/bookmarks").json()["items"][0]
    assert saved["url"] == post["url"] and saved["visibility"] == "private"
    assert saved["title"] == "Read me #later"
    assert (
        people["cid"].post("/bookmarks/save", data={"content_id": post["content_id"]}).status_code
        == 404
    )


def test_import_a_browser_file(people):
    response = people["ann"].post(
        "/bookmarks/import",
        files={"file": ("bookmarks.html", NETSCAPE, "text/html")},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/bookmarks"
    # The result is a one-time message (a signed cookie), never text read from the URL.
    page = people["ann"].get("/bookmarks").text
    assert '<p class="flash" role="status" id="flash">Imported 2 bookmarks, skipped 1' in page
    assert 'id="flash"' not in people["ann"].get("/bookmarks").text  # shown once
    crafted = people["ann"].get("/bookmarks?notice=Your+password+expired").text
    assert "Your password expired" not in crafted
    items = people["ann"].get("/api/v1/bookmarks").json()["items"]
    assert [(i["url"], i["title"]) for i in items] == [
        ("https://news.example.org/", "News & more"),
        ("https://wiki.example.com/", "Team wiki"),
    ]
    assert urls(people["ann"], "?tag=work") == ["https://wiki.example.com/"]
    assert urls(people["ann"], "?tag=daily") == ["https://news.example.org/"]


@pytest.mark.parametrize(
    "content, message",
    [
        ("<html><body>not bookmarks</body></html>", "not a browser bookmark file"),
        (NETSCAPE.rsplit("</DL>", 1)[0], "truncated"),
        (b"\xff\xfe\x00broken", "not UTF-8"),
    ],
)
def test_a_malformed_file_imports_nothing(people, content, message):
    response = people["ann"].post(
        "/bookmarks/import", files={"file": ("b.html", content, "text/html")}
    )
    assert response.status_code == 400 and message in response.text
    assert urls(people["ann"]) == []


def test_export_round_trips(people):
    from rse_bookmarks.netscape import parse

    save(people["ann"], url="https://q.example/?a=1&b=2", title='Quotes "and" <tags>', tags=["x"])
    response = people["ann"].get("/bookmarks/export")
    assert response.headers["content-disposition"].startswith("attachment")
    assert "<tags>" not in response.text and "&lt;tags&gt;" in response.text
    entries = parse(response.content)
    assert [(e.url, e.title, e.tags) for e in entries] == [
        ("https://q.example/?a=1&b=2", 'Quotes "and" <tags>', ["x"])
    ]


def test_most_bookmarked_this_week(people):
    for who in ("ann", "bob", "cid"):
        save(people[who], url="https://popular.example", title="Popular", visibility="everyone")
    save(
        people["ann"],
        url="https://secret.example",
        title="Ops only",
        visibility="space",
        space="ops",
    )
    save(
        people["bob"],
        url="https://secret.example",
        title="Ops only",
        visibility="space",
        space="ops",
    )
    widget = people["cid"].get("/").text.split("Most bookmarked this week")[1][:600]
    assert 'Popular</a> <span class="muted">3</span>' in widget
    assert "Ops only" not in widget
    assert "Ops only" in people["bob"].get("/").text.split("Most bookmarked this week")[1]


def test_the_week_s_saves_are_counted_from_the_week_s_items(rse_app, people):
    """The tally every reader's "most bookmarked" merges (once a minute per worker) read
    every link ever saved and probed its item: 150 ms at 10,000,000 activities. It must
    start from the week's items, by their creation time, and reach their links by key."""
    from datetime import timedelta

    from rse_bookmarks.service import saves_tally

    from rse_core.db import utcnow
    from rse_core.testing import (
        AT_10_MILLION_ACTIVITIES,
        plan_with_sqlite_statistics,
        sqlite_query_plans,
    )

    save(people["ann"], url="https://popular.example", title="Popular", visibility="everyone")
    db = rse_app.state.rse.db
    with db.read() as session:
        parts = saves_tally(session, utcnow() - timedelta(days=7))
    assert list(parts[("everyone", "bookmarks")]) == ["https://popular.example"]
    if db.engine.dialect.name != "sqlite":
        return  # the query plan checked below is SQLite's (PostgreSQL plans by statistics)
    plan_with_sqlite_statistics(rse_app, AT_10_MILLION_ACTIVITIES)  # as SQLite plans at scale
    with sqlite_query_plans(rse_app, "bookmarks_bookmark.url") as plans, db.read() as session:
        saves_tally(session, utcnow() - timedelta(days=7))
    assert "ix_rse_content_created" in plans[0], plans
    assert not any(step.startswith("SCAN") for step in plans), plans


def test_pilot_space_only(rse_app, people):
    from rse_core.runtime import change_plugin

    change_plugin(rse_app.state.rse, "bookmarks", enabled=False, actor="t")
    enable(rse_app, "bookmarks", spaces=["ops"])
    assert people["cid"].get("/bookmarks").status_code == 404
    assert people["cid"].post("/api/v1/bookmarks", json={"url": "https://x"}).status_code == 404
    assert 'href="/bookmarks"' not in people["cid"].get("/").text
    assert "Save for later" not in people["cid"].get("/").text
    assert people["bob"].get("/bookmarks").status_code == 200
    assert 'href="/bookmarks/spaces/ops"' in people["bob"].get("/spaces/ops").text


def test_titles_are_escaped_on_output(people):
    save(
        people["ann"],
        url="https://x.example",
        title="<script>alert(1)</script>",
        visibility="everyone",
    )
    page = people["cid"].get("/").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_save_for_later_stays_on_the_page_and_stays_quiet(rse_app, people):
    body = "A long post about the new onboarding checklist for engineers joining the platform team"
    post = people["ann"].post("/api/v1/feed/posts", json={"body": body}).json()
    saved = people["bob"].post(
        "/bookmarks/save", data={"content_id": post["content_id"]}, headers={"hx-request": "1"}
    )
    assert saved.status_code == 200 and "<html" not in saved.text  # htmx swaps the button
    assert 'class="save-later saved"' in saved.text
    (bookmark,) = people["bob"].get("/api/v1/bookmarks").json()["items"]
    # Whole words, cut with an ellipsis (it was cut mid-word at 80 characters).
    assert (
        bookmark["title"]
        == "A long post about the new onboarding checklist for engineers joining the…"
    )
    # No "bob shared ..." entry in anyone's stream, no #saved in trending tags.
    verbs = [(i["actor"]["preferredUsername"], i["rse:verb"]) for i in stream(people["bob"])]
    assert ("bob", "create") not in verbs
    assert "#saved" not in people["bob"].get("/").text
    # A private bookmark is still found by its owner in search.
    wait_for_index(rse_app)
    found = people["bob"].get("/api/v1/search", params={"q": "onboarding"}).json()["hits"]
    assert {hit["type"] for hit in found} == {"feed.post", "bookmarks.link"}


FIREFOX = """<!DOCTYPE NETSCAPE-Bookmark-file-1>
<!-- This is an automatically generated file. -->
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'none'">
<TITLE>Bookmarks</TITLE>
<H1>Bookmarks Menu</H1>

<DL><p>
    <DT><H3 ADD_DATE="1700000000" LAST_MODIFIED="1700000100">Mozilla Firefox</H3>
    <DL><p>
        <DT><A HREF="https://support.mozilla.org/" ADD_DATE="1700000001">Get Help</A>
        <DT><A HREF="https://www.mozilla.org/about/" ADD_DATE="1700000002">About Us</A>
    </DL><p>
    <DT><H3 ADD_DATE="1700000000" PERSONAL_TOOLBAR_FOLDER="true">Bookmarks Toolbar</H3>
    <DL><p>
        <DT><H3 ADD_DATE="1700000000">Work</H3>
        <DL><p>
            <DT><A HREF="https://ci.example.com/" ADD_DATE="1600000000" TAGS="ci">CI</A>
            <DD>Our build server
        </DL><p>
        <DT><A HREF="https://example.org/" ADD_DATE="1600000003">Example</A>
    </DL><p>
    <DT><A HREF="https://news.example.org/" ADD_DATE="1600000004">News</A>
</DL>
"""


def test_a_firefox_export_keeps_folders_as_tags_and_dates_as_saved_times(people):
    response = people["ann"].post(
        "/bookmarks/import", files={"file": ("bookmarks.html", FIREFOX, "text/html")}
    )
    assert response.status_code == 200
    items = {i["url"]: i for i in people["ann"].get("/api/v1/bookmarks?limit=100").json()["items"]}
    assert len(items) == 5
    assert urls(people["ann"], "?tag=work") == ["https://ci.example.com/"]
    assert urls(people["ann"], "?tag=ci") == ["https://ci.example.com/"]
    toolbar = sorted(urls(people["ann"], "?tag=bookmarks+toolbar"))
    assert toolbar == ["https://ci.example.com/", "https://example.org/"]
    firefox = sorted(urls(people["ann"], "?tag=mozilla+firefox"))
    assert firefox == ["https://support.mozilla.org/", "https://www.mozilla.org/about/"]
    assert items["https://ci.example.com/"]["description"] == "Our build server"
    assert items["https://ci.example.com/"]["created_at"].startswith("2020-09-13T12:26:40")
    assert items["https://www.mozilla.org/about/"]["created_at"].startswith("2023-11-14")
