"""Property: every blog read path shows exactly the posts the reader may read.

Hypothesis generates spaces (visibility, members) and posts (author, own blog or a space's,
draft, scheduled or published); the expected set comes from that model alone. Then, for each
reader: the API list and each post by id, the post pages, the blog page, the home stream,
search, and the Atom feeds (the latest posts, each space's) must agree with it. A draft or a
scheduled post is its author's alone, and only on its own page.
"""

from __future__ import annotations

import itertools
import os
import random
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rse_core.testing import app_with_clients, create_spaces, wait_for_index

# Slow (20-40 s): it runs in make test and on PostgreSQL, not in make test-fast.
pytestmark = pytest.mark.slow

USERS = ("u0", "u1", "u2")
run_ids = itertools.count()

space_st = st.fixed_dictionaries(
    {
        "visibility": st.sampled_from(["public", "private", "secret"]),
        "members": st.sets(st.sampled_from(USERS), max_size=3),
    }
)
post_st = st.fixed_dictionaries(
    {
        "author": st.sampled_from(USERS),
        "where": st.one_of(st.just("own"), st.integers(0, 1)),
        "status": st.sampled_from(["draft", "scheduled", "published"]),
    }
)


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("blogprop") / "var"
    with app_with_clients(data_dir, USERS, plugins=["blog"]) as (app, clients):
        for client in clients.values():
            client.post("/profile/feed", data={"action": "reset"})  # feeds on: Atom is checked
        yield app, clients


def readable(reader, post, spaces):
    if post["status"] != "published":
        return False
    if post["where"] == "own":
        return True
    space = spaces[post["where"]]
    return space["visibility"] == "public" or reader in space["members"]


def feed_base(client):
    page = client.get("/blog").text
    start = page.index('href="/feeds/blog/') + len('href="')
    return page[start : page.index('"', start)].rsplit("/", 1)[0]


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    spaces=st.lists(space_st, min_size=2, max_size=2),
    items=st.lists(post_st, min_size=1, max_size=6),
)
def test_every_blog_read_path_shows_exactly_the_readable_posts(shared_app, spaces, items):
    app, clients = shared_app
    random.seed(os.urandom(16))  # whoosh names segments with `random` (see the core's test)
    run = next(run_ids)
    prefix = f"b{run}-"  # "b7-0": search finds every post of a run by "b7"
    slugs = [f"bs{run}-{i}" for i in range(len(spaces))]
    owner = clients[USERS[0]]
    create_spaces(owner, USERS[0], slugs, spaces)
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    ids = {}
    for n, post in enumerate(items):
        if post["where"] != "own" and post["author"] not in spaces[post["where"]]["members"]:
            post["where"] = "own"  # authors write only in their spaces
        body = {"title": f"{prefix}{n}", "body": f"{prefix}{n} text", "status": post["status"]}
        if post["where"] != "own":
            body["space"] = slugs[post["where"]]
        if post["status"] == "scheduled":
            body["publish_at"] = later
        response = clients[post["author"]].post("/api/v1/blog/posts", json=body)
        assert response.status_code == 201, response.text
        ids[n] = response.json()["id"]

    wait_for_index(app)
    for reader, client in clients.items():
        expected = {
            f"{prefix}{n}" for n, post in enumerate(items) if readable(reader, post, spaces)
        }

        def ours(titles):
            return {t for t in titles if t.startswith(prefix)}

        listed = client.get("/api/v1/blog/posts?limit=100").json()["items"]
        assert ours(p["title"] for p in listed) == expected, reader
        page = client.get("/blog").text
        assert {f"{prefix}{n}" for n in ids if f">{prefix}{n}<" in page} == expected, reader
        stream = client.get("/api/v1/stream?limit=100").json()["items"]
        assert ours(i["object"]["name"] for i in stream) == expected, reader
        hits = client.get("/api/v1/search", params={"q": f"b{run}"}).json()["hits"]
        assert ours(h["title"] for h in hits) == expected, reader
        base = feed_base(client)
        latest = feedparser.parse(client.get(f"{base}/latest.atom").text)
        assert latest.bozo == 0 and ours(e.title for e in latest.entries) == expected, reader
        for n, post in enumerate(items):
            own_unpublished = post["status"] != "published" and post["author"] == reader
            may = readable(reader, post, spaces) or own_unpublished
            for path in (f"/api/v1/blog/posts/{ids[n]}", f"/blog/posts/{ids[n]}"):
                assert client.get(path).status_code == (200 if may else 404), (reader, path)
        for i, spec in enumerate(spaces):
            in_space = {
                f"{prefix}{n}"
                for n, post in enumerate(items)
                if post["where"] == i and f"{prefix}{n}" in expected
            }
            feed = client.get(f"{base}/spaces/{slugs[i]}.atom")
            member = spec["visibility"] == "public" or reader in spec["members"]
            if not member:
                assert feed.status_code == 404, (reader, slugs[i])
                continue
            entries = feedparser.parse(feed.text).entries
            assert ours(e.title for e in entries) == in_space, (reader, slugs[i])
