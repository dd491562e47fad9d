"""Property: every stream, the API, search, notifications, expertise ("who knows") and the
e-mail digest show exactly the visible set.

Hypothesis generates spaces (visibility), memberships and items (audience, owning plugin),
then a change of visibility or membership, and each plugin's rollout state (disabled, for
everyone, or for a pilot space); the expected set is computed from the generated model alone,
never from the code under test. Then every plugin is enabled for everyone again: the items
hidden by the rollout come back, untouched.
"""

from __future__ import annotations

import copy
import itertools
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from rse_core.content import Activity, publish
from rse_core.digests import collect
from rse_core.identity.accounts import get_user
from rse_core.identity.models import Membership, Space
from rse_core.notifications import notify_mentions
from rse_core.runtime import change_plugin
from rse_core.social import follow
from rse_core.testing import app_with_clients, wait_for_index

USERS = ("u0", "u1", "u2", "u3")
run_ids = itertools.count()

space_st = st.fixed_dictionaries(
    {
        "visibility": st.sampled_from(["public", "private", "secret"]),
        "members": st.sets(st.sampled_from(USERS), max_size=4),
    }
)
PLUGINS = ("example", "bookmarks")  # two installed plugins own the generated items
item_st = st.fixed_dictionaries(
    {
        "author": st.sampled_from(USERS),
        "where": st.one_of(st.just("everyone"), st.just("self"), st.integers(0, 2)),
        "plugin": st.sampled_from(PLUGINS),
    }
)
# A plugin's rollout: disabled (None), for everyone, or for the members of one pilot space.
rollout_st = st.one_of(st.none(), st.just("everyone"), st.integers(0, 2))
change_st = st.one_of(
    st.none(),
    st.tuples(
        st.just("visibility"), st.integers(0, 2), st.sampled_from(["public", "private", "secret"])
    ),
    st.tuples(st.just("remove"), st.integers(0, 2), st.sampled_from(USERS)),
)


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    with app_with_clients(tmp_path_factory.mktemp("prop") / "var", USERS) as shared:
        yield shared


def active(reader, rollout, spaces):
    """Is a plugin with this rollout active for the reader? Pilots count members only."""
    if rollout is None:
        return False
    return rollout == "everyone" or reader in spaces[rollout]["members"]


def can_see(reader, item, spaces, rollouts=None):
    if rollouts is not None and not active(reader, rollouts[item["plugin"]], spaces):
        return False
    where = item["where"]
    if where == "everyone":
        return True
    if where == "self":
        return reader == item["author"]
    space = spaces[where]
    return space["visibility"] == "public" or reader in space["members"]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    spaces=st.lists(space_st, min_size=3, max_size=3),
    items=st.lists(item_st, min_size=1, max_size=8),
    change=change_st,
    rollouts=st.fixed_dictionaries({plugin: rollout_st for plugin in PLUGINS}),
)
def test_streams_api_and_notifications_show_exactly_the_visible_set(
    shared_app, spaces, items, change, rollouts
):
    app, clients = shared_app
    # Hypothesis seeds the global `random` for every example, and whoosh names its segments
    # with it: without this, the shared index would get the same segment name twice.
    random.seed(os.urandom(16))
    run = next(run_ids)
    prefix = f"r{run}-"
    # Spaces are searchable too: their slugs must not match the query for the items.
    space_prefix = f"p{run}-"
    db = app.state.rse.db
    for plugin in PLUGINS:  # the rollout under test is set after the writes
        change_plugin(app.state.rse, plugin, enabled=True, actor="t")
    # Authors post only where they may: in a space they belong to (else to everyone).
    for item in items:
        where = item["where"]
        if isinstance(where, int) and item["author"] not in spaces[where]["members"]:
            spaces[where]["members"].add(item["author"])
    with db.write() as session:
        users = {name: get_user(session, name) for name in USERS}
        mark = session.scalar(select(func.max(Activity.id))) or 0  # the run's digests start here
        for user in users.values():  # everyone follows the run's tag: the digest holds it all
            follow(session, user, f"tag:{prefix}k")
        rows = []
        for i, spec in enumerate(spaces):
            row = Space(
                slug=f"{space_prefix}s{i}",
                name=f"s{i}",
                visibility=spec["visibility"],
                join_policy="invite",
            )
            session.add(row)
            session.flush()
            rows.append(row)
            for member in spec["members"]:
                session.add(Membership(space_id=row.id, user_id=users[member].id))
        session.flush()
        for n, item in enumerate(items):
            author = users[item["author"]]
            where = item["where"]
            content = publish(
                session,
                plugin=item["plugin"],
                type=f"{item['plugin']}.item",
                author=author,
                url="/example/",
                title=f"{prefix}{n}",
                space=rows[where] if isinstance(where, int) else None,
                audience=f"user:{author.id}" if where == "self" else None,
                tags=[f"{prefix}k"],  # one topic: who knows it is who wrote what one sees
            )
            notify_mentions(session, " ".join(f"@{u}" for u in USERS), author, content)
    at_write_time = copy.deepcopy(spaces)
    if change is not None:
        kind, index, value = change
        with db.write() as session:
            space = session.get(Space, rows[index].id)
            if kind == "visibility":
                space.visibility = value
                spaces[index]["visibility"] = value
            else:
                member = session.get(Membership, (space.id, users[value].id))
                if member is not None:
                    session.delete(member)
                spaces[index]["members"].discard(value)

    for plugin, rollout in rollouts.items():
        if rollout is None:
            change_plugin(app.state.rse, plugin, enabled=False, actor="t")
        else:
            audience = ["everyone"] if rollout == "everyone" else [f"space:{rows[rollout].id}"]
            change_plugin(app.state.rse, plugin, enabled=True, audience=audience, actor="t")

    wait_for_index(app)
    for reader, client in clients.items():
        expected = {
            f"{prefix}{n}"
            for n, item in enumerate(items)
            if can_see(reader, item, spaces, rollouts)
        }
        # Search: hits, total and facets come from the visible set only.
        found = client.get("/api/v1/search", params={"q": f"r{run}"}).json()
        assert {h["title"] for h in found["hits"]} == expected, reader
        assert found["total"] == len(expected), reader
        visible_spaces = [
            f"{space_prefix}s{item['where']}"
            for n, item in enumerate(items)
            if isinstance(item["where"], int) and f"{prefix}{n}" in expected
        ]
        assert found["facets"]["space"] == {
            slug: visible_spaces.count(slug) for slug in set(visible_spaces)
        }, reader
        api = {i["object"]["name"] for i in client.get("/api/v1/stream?limit=100").json()["items"]}
        assert {t for t in api if t.startswith(prefix)} == expected, reader
        page = client.get("/").text
        on_page = {f"{prefix}{n}" for n in range(len(items)) if f">{prefix}{n}<" in page}
        assert on_page == expected, reader
        # Who knows the run's topic: the authors of the items this reader sees, each with
        # as much evidence as they wrote of those; nothing from an item they may not see.
        wrote: dict[str, int] = {}
        for n, item in enumerate(items):
            if f"{prefix}{n}" in expected:
                wrote[item["author"]] = wrote.get(item["author"], 0) + 1
        experts = client.get("/api/v1/experts", params={"topic": f"{prefix}k"}).json()["items"]
        assert {e["username"]: sum(k["count"] for k in e["evidence"]) for e in experts} == wrote
        for author in USERS:
            topics = client.get(f"/api/v1/users/{author}/topics").json()["items"]
            listed = f"{prefix}k" in {t["topic"] for t in topics}
            # (a profile lists 20 topics: earlier runs' may crowd this one out, never leak it)
            assert listed == (author in wrote) or (author in wrote and len(topics) == 20)
        # The digest: what they may see, not what they wrote.
        with db.read() as session:
            digest = collect(session, get_user(session, reader), mark)
        assert {e.content.title for e in digest.entries} == {
            f"{prefix}{n}"
            for n, item in enumerate(items)
            if f"{prefix}{n}" in expected and item["author"] != reader
        }, reader
        notes = client.get("/api/v1/notifications?limit=100").json()["items"]
        mentioned = {
            n["content"]["title"]
            for n in notes
            if "content" in n and n["content"]["title"].startswith(prefix)
        }
        # mentions reach readers who could see the item when it was written, and are shown
        # only while they still can; nobody is notified of their own mention.
        # (the plugins were all enabled for everyone while the items were written)
        notified = {
            f"{prefix}{n}"
            for n, item in enumerate(items)
            if item["author"] != reader and can_see(reader, item, at_write_time)
        }
        assert mentioned == notified & expected, reader
        for space_index, spec in enumerate(spaces):
            slug = f"{space_prefix}s{space_index}"
            response = client.get(f"/api/v1/stream?space={slug}&limit=100")
            readable = spec["visibility"] == "public" or reader in spec["members"]
            if not readable:
                assert response.status_code == 404
                continue
            in_space = {i["object"]["name"] for i in response.json()["items"]}
            assert in_space == {
                f"{prefix}{n}"
                for n, item in enumerate(items)
                if item["where"] == space_index and f"{prefix}{n}" in expected
            }
    # Enabled for everyone again: what the rollout hid comes back, untouched.
    for plugin in PLUGINS:
        change_plugin(app.state.rse, plugin, enabled=True, actor="t")
    for reader, client in clients.items():
        expected = {f"{prefix}{n}" for n, item in enumerate(items) if can_see(reader, item, spaces)}
        api = {i["object"]["name"] for i in client.get("/api/v1/stream?limit=100").json()["items"]}
        assert {t for t in api if t.startswith(prefix)} == expected, reader
        found = client.get("/api/v1/search", params={"q": f"r{run}"}).json()
        assert {h["title"] for h in found["hits"]} == expected, reader
