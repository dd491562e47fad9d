"""The rollout promise: an item of a plugin that is not active for the reader is shown on no
read path (streams, Atom, item pages, comments, notifications and the bell, search hits,
facets and suggestions, trending tags), and comes back untouched when the plugin is enabled
for them again. One rule (``ReadScope``: audience and plugin) serves them all."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from rse_core.permissions import ReadScope
from rse_core.runtime import change_plugin
from rse_core.testing import add_user, enable, login, wait_for_index
from tests.conftest import share


@pytest.fixture
def pilot(rse_app):
    """The example plugin enabled for the pilot space only: pia is in it, otto is not. Both
    follow each other, and pia's item mentions otto (written while everyone had it)."""
    for name in ("pia", "otto"):
        add_user(rse_app, name)
    clients = {}
    for name in ("pia", "otto"):
        client = TestClient(rse_app)
        client.__enter__()
        clients[name] = login(client, name)
    pia, otto = clients["pia"], clients["otto"]
    assert pia.post("/api/v1/spaces", json={"name": "Pilot", "slug": "pilot"}).status_code == 201
    enable(rse_app, "feed")  # for its trending-tags widget
    enable(rse_app, "example")
    item = share(rse_app, "pia", "Zanzibar pilot notes", tags=["pilotonly"])
    comment = pia.post(f"/api/v1/content/{item}/comments", json={"body": "@otto have a look"})
    assert comment.status_code == 201
    enable(rse_app, "example", spaces=["pilot"])
    wait_for_index(rse_app)
    yield rse_app, pia, otto, item
    for client in clients.values():
        client.__exit__(None, None, None)


def seen_by(client, item) -> dict[str, bool]:
    """Where ``client``'s user finds the item (True) or not."""
    stream = client.get("/api/v1/stream?limit=100").json()["items"]
    search = client.get("/api/v1/search", params={"q": "zanzibar"}).json()
    misspelt = client.get("/api/v1/search", params={"q": "zanzibat"}).json()
    notes = client.get("/api/v1/notifications").json()
    home = client.get("/").text
    return {
        "stream": any(i["object"]["rse:contentId"] == item for i in stream),
        "home": "Zanzibar pilot notes" in home,
        "item page": client.get(f"/content/{item}").status_code == 200,
        "comments api": client.get(f"/api/v1/content/{item}/comments").status_code == 200,
        "search": search["total"] == 1 and search["hits"][0]["title"] == "Zanzibar pilot notes",
        "facets": search["facets"].get("type", search["facets"].get("kind", {})) != {},
        "suggestion": misspelt.get("suggestion") is not None,
        "trending": "#pilotonly" in home,
        "notifications": any("content" in n for n in notes["items"]),
        "unread": notes["unread"] > 0,
    }


def test_a_pilot_plugin_s_items_reach_its_members_only(pilot):
    _app, pia, otto, item = pilot
    everywhere = dict.fromkeys(seen_by(pia, item), True)
    # pia sees it on every path (she is not notified of her own comment).
    assert seen_by(pia, item) == {**everywhere, "notifications": False, "unread": False}
    assert seen_by(otto, item) == dict.fromkeys(everywhere, False)


def test_disabled_the_items_go_everywhere_and_come_back_untouched(pilot):
    app, pia, otto, item = pilot
    change_plugin(app.state.rse, "example", enabled=False, actor="t")
    assert not any(seen_by(pia, item).values())
    enable(app, "example")  # for everyone now
    back = seen_by(otto, item)
    assert all(back.values()), back  # otto's mention notification is back, still unread


def bell(client) -> str:
    return client.get("/").text.split('class="bell"')[1].split("</a>")[0]


def test_the_bell_counts_only_what_is_shown(pilot):
    app, _pia, otto, _item = pilot
    assert 'class="count"' not in bell(otto)
    enable(app, "example")
    assert '<span class="count">1</span>' in bell(otto)
    change_plugin(app.state.rse, "example", enabled=False, actor="t")
    assert 'class="count"' not in bell(otto)
    # Marking all read while the plugin is off leaves its notifications as they were.
    assert otto.post("/api/v1/notifications/read", json={}).status_code == 200
    enable(app, "example")
    assert otto.get("/api/v1/notifications").json()["unread"] == 1


def test_the_atom_feed_follows_the_rollout(pilot):
    app, _pia, otto, _item = pilot
    page = otto.post("/profile/feed", data={"action": "reset"}).text
    url = page.split('<code id="feed-url">')[1].split("</code>")[0]
    with TestClient(app) as reader:
        path = url.replace("http://testserver", "")
        assert "Zanzibar pilot notes" not in reader.get(path).text
        enable(app, "example")
        assert "Zanzibar pilot notes" in reader.get(path).text


def test_read_scope_keeps_principals_and_plugins_together():
    scope = ReadScope({"everyone", "space:1"}, {"feed"})
    assert scope.shows("everyone", "feed") and scope.shows("space:1", "core")
    assert not scope.shows("everyone", "bookmarks") and not scope.shows("space:2", "feed")
    assert ReadScope({"everyone"}).shows("everyone", "anything")  # no rollout rule
    assert scope.cache_key != ReadScope({"everyone", "space:1"}, {"bookmarks"}).cache_key
