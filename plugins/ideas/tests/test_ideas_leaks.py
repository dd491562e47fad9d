"""Property: every ideas read path shows exactly the campaigns (and ideas) the reader may see.

Hypothesis generates spaces (visibility, members) and campaigns (company-wide or in a space,
each with an idea); the expected set comes from that model alone. Then, for each reader: the
API lists and each campaign and idea by id, their pages, the campaigns page and a space's
tab, the ideas of a campaign, the board and the CSV, the home widget and stream, search, the
similar-ideas suggestions, and voting must agree with it.
"""

from __future__ import annotations

import itertools
import os
import random
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from rse_core.testing import (
    add_user,
    build_app,
    create_spaces,
    enable,
    login,
    make_settings,
    wait_for_index,
)

# Slow (20-40 s): it runs in make test and on PostgreSQL, not in make test-fast.
pytestmark = pytest.mark.slow

USERS = ("u0", "u1", "u2")
run_ids = itertools.count()
CLOSES_ON = (date.today() + timedelta(days=10)).isoformat()

space_st = st.fixed_dictionaries(
    {
        "visibility": st.sampled_from(["public", "private", "secret"]),
        "members": st.sets(st.sampled_from(USERS), max_size=3),
    }
)
campaign_st = st.fixed_dictionaries(
    {"where": st.one_of(st.just("company"), st.integers(0, 1)), "commented": st.booleans()}
)


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    """u0 (a site admin: they launch company-wide campaigns) and two employees."""
    app = build_app(make_settings(tmp_path_factory.mktemp("ideasprop") / "var"))
    for name in USERS:
        add_user(app, name, admin=name == "u0")
    enable(app, "ideas")
    clients = {}
    try:
        for name in USERS:
            client = TestClient(app)
            client.__enter__()
            clients[name] = login(client, name)
        yield app, clients
    finally:
        for client in clients.values():
            client.__exit__(None, None, None)
        app.state.rse.close()


def visible(reader, campaign, spaces):
    if campaign["where"] == "company":
        return True
    space = spaces[campaign["where"]]
    return space["visibility"] == "public" or reader in space["members"]


def takes_part(reader, campaign, spaces):
    return campaign["where"] == "company" or reader in spaces[campaign["where"]]["members"]


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    spaces=st.lists(space_st, min_size=2, max_size=2),
    items=st.lists(campaign_st, min_size=1, max_size=5),
)
def test_every_ideas_read_path_shows_exactly_the_visible_campaigns(shared_app, spaces, items):
    app, clients = shared_app
    random.seed(os.urandom(16))  # whoosh names segments with `random` (see the core's test)
    run = next(run_ids)
    prefix = f"i{run}-"  # "i7-0 campaign": search finds every item of a run by "i7"
    slugs = [f"is{run}-{i}" for i in range(len(spaces))]
    owner = clients[USERS[0]]
    create_spaces(owner, USERS[0], slugs, spaces)
    campaign_ids, idea_ids = {}, {}
    for n, campaign in enumerate(items):
        body = {"question": f"{prefix}{n} campaign", "closes_on": CLOSES_ON}
        if campaign["where"] != "company":
            body["space"] = slugs[campaign["where"]]
        created = owner.post("/api/v1/ideas/campaigns", json=body)
        assert created.status_code == 201, created.text
        campaign_ids[n] = created.json()["id"]
        idea = owner.post(
            f"/api/v1/ideas/campaigns/{campaign_ids[n]}/ideas",
            json={"title": f"{prefix}{n} idea", "tags": [f"t{run}"]},
        )
        assert idea.status_code == 201, idea.text
        idea_ids[n] = idea.json()["id"]
        if campaign["commented"]:
            content_id = idea.json()["content_id"]
            comment = owner.post(
                f"/api/v1/content/{content_id}/comments", json={"body": f"{prefix}{n} comment"}
            )
            assert comment.status_code == 201, comment.text

    wait_for_index(app)
    every = {f"{prefix}{n} {kind}" for n in campaign_ids for kind in ("campaign", "idea")}
    for reader, client in clients.items():
        seen = [n for n, c in enumerate(items) if visible(reader, c, spaces)]
        campaigns = {f"{prefix}{n} campaign" for n in seen}
        both = campaigns | {f"{prefix}{n} idea" for n in seen}

        def ours(titles, prefix=prefix):
            return {t for t in titles if t.startswith(prefix)}

        def shown(page, among=every):
            return {t for t in among if f">{t}<" in page}

        listed = client.get("/api/v1/ideas/campaigns?limit=100").json()["items"]
        assert ours(c["question"] for c in listed) == campaigns, reader
        for path in ("/ideas?tab=all", "/ideas"):
            assert shown(client.get(path).text) == campaigns, (reader, path)
        home = client.get("/").text
        widget = home.split("Open idea campaigns")[1] if "Open idea campaigns" in home else ""
        part = {f"{prefix}{n} campaign" for n in seen if takes_part(reader, items[n], spaces)}
        assert shown(widget, part) <= part and shown(widget) <= campaigns, reader
        assert shown(home) <= both, reader
        stream = client.get("/api/v1/stream?limit=100").json()["items"]
        assert ours(i["object"]["name"] for i in stream) == both, reader
        hits = client.get("/api/v1/search", params={"q": f"i{run}"}).json()["hits"]
        assert ours(h["title"] for h in hits) == both, reader
        similar = client.get("/ideas/similar", params={"title": f"i{run}"}).text
        assert shown(similar) <= both, reader
        for i, slug in enumerate(slugs):
            tab = client.get(f"/ideas/spaces/{slug}")
            if spaces[i]["visibility"] == "secret" and reader not in spaces[i]["members"]:
                assert tab.status_code == 404, (reader, slug)
            else:
                wanted = {f"{prefix}{n} campaign" for n in seen if items[n]["where"] == i}
                assert shown(tab.text) == wanted, (reader, slug)
        for n, campaign in enumerate(items):
            may = visible(reader, campaign, spaces)
            reviewer = reader == USERS[0]
            cid, iid = campaign_ids[n], idea_ids[n]
            for path in (
                f"/api/v1/ideas/campaigns/{cid}",
                f"/ideas/campaigns/{cid}",
                f"/api/v1/ideas/campaigns/{cid}/ideas",
                f"/api/v1/ideas/ideas/{iid}",
                f"/ideas/{iid}",
            ):
                response = client.get(path)
                assert response.status_code == (200 if may else 404), (reader, path)
                if not may:
                    assert f"{prefix}{n}" not in response.text
                elif campaign["commented"] and path == f"/ideas/{iid}":
                    assert f"{prefix}{n} comment" in response.text
            for path in (f"/ideas/campaigns/{cid}/board", f"/ideas/campaigns/{cid}.csv"):
                status = client.get(path).status_code
                assert status == (200 if reviewer else 403 if may else 404), (reader, path)
            voted = client.post(f"/api/v1/ideas/ideas/{iid}/vote", json={"value": 0})
            part = takes_part(reader, campaign, spaces)
            assert voted.status_code == (200 if part else 403 if may else 404), (reader, n)
            follow = client.post(f"/api/v1/ideas/ideas/{iid}/follow", json={"value": 0})
            assert follow.status_code == (200 if may else 404), (reader, n)
