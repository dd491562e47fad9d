"""Property: every wiki read path shows exactly the pages the reader may read.

Hypothesis generates spaces (visibility, members) and pages (in the company wiki or a space's);
the expected set comes from that model alone. For each reader: each page by the API, its page,
history and diff, the company-wide recent changes, a space wiki's home and "create it" pages,
search and the stream must agree with it.
"""

from __future__ import annotations

import itertools
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rse_core.testing import app_with_clients, create_spaces, wait_for_index

# Slow (20-40 s): it runs in make test and on PostgreSQL, not in make test-fast.
pytestmark = pytest.mark.slow

USERS = ("w0", "w1", "w2")
run_ids = itertools.count()

space_st = st.fixed_dictionaries(
    {
        "visibility": st.sampled_from(["public", "private", "secret"]),
        "members": st.sets(st.sampled_from(USERS), max_size=3),
    }
)
page_st = st.fixed_dictionaries(
    {"author": st.sampled_from(USERS), "where": st.one_of(st.just("company"), st.integers(0, 1))}
)


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("wikiprop") / "var"
    with app_with_clients(data_dir, USERS, plugins=["wiki"]) as shared:
        yield shared


def readable(reader, page, spaces):
    if page["where"] == "company":
        return True
    space = spaces[page["where"]]
    return space["visibility"] == "public" or reader in space["members"]


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    spaces=st.lists(space_st, min_size=2, max_size=2),
    items=st.lists(page_st, min_size=1, max_size=5),
)
def test_every_wiki_read_path_shows_exactly_the_readable_pages(shared_app, spaces, items):
    app, clients = shared_app
    random.seed(os.urandom(16))  # whoosh names segments with `random` (see the core's test)
    run = next(run_ids)
    prefix = f"k{run}-"
    slugs = [f"ws{run}-{i}" for i in range(len(spaces))]
    owner = clients[USERS[0]]
    create_spaces(owner, USERS[0], slugs, spaces)
    paths = {}
    for n, page in enumerate(items):
        if page["where"] != "company" and page["author"] not in spaces[page["where"]]["members"]:
            page["where"] = "company"  # authors write only in their spaces' wikis
        wiki = "company" if page["where"] == "company" else slugs[page["where"]]
        slug = f"p{run}x{n}"
        body = {"title": f"{prefix}{n}", "body": f"{prefix}{n} text [[missing {run}]]"}
        response = clients[page["author"]].put(f"/api/v1/wiki/{wiki}/pages/{slug}", json=body)
        assert response.status_code == 201, response.text
        paths[n] = f"{wiki}/{slug}"

    wait_for_index(app)
    for reader, client in clients.items():
        expected = {
            f"{prefix}{n}" for n, page in enumerate(items) if readable(reader, page, spaces)
        }

        def ours(titles):
            return {t for t in titles if t.startswith(prefix)}

        for n, page in enumerate(items):
            may = readable(reader, page, spaces)
            for path in (
                f"/api/v1/wiki/{paths[n].replace('/', '/pages/', 1)}",
                f"/api/v1/wiki/{paths[n].replace('/', '/pages/', 1)}/revisions",
                f"/api/v1/wiki/{paths[n].replace('/', '/pages/', 1)}/diff",
                f"/wiki/{paths[n]}",
                f"/wiki/{paths[n]}/history",
                f"/wiki/{paths[n]}/diff",
            ):
                status = client.get(path).status_code
                assert status == (200 if may else 404), (reader, path, status)
        recent = client.get("/wiki").text
        assert {f"{prefix}{n}" for n in paths if f">{prefix}{n}<" in recent} == expected, reader
        hits = client.get("/api/v1/search", params={"q": f"k{run}"}).json()["hits"]
        assert ours(h["title"] for h in hits) == expected, reader
        stream = client.get("/api/v1/stream?limit=100").json()["items"]
        assert ours(i["object"]["name"] for i in stream) == expected, reader
        for i, spec in enumerate(spaces):
            member = spec["visibility"] == "public" or reader in spec["members"]
            assert client.get(f"/wiki/{slugs[i]}").status_code == (200 if member else 404)
            # A missing page is a 404 for all, but only a member is offered to create it.
            missing = client.get(f"/wiki/{slugs[i]}/missing-{run}?create=x")
            assert missing.status_code == 404
            assert ("does not exist yet" in missing.text) == member, (reader, i)
            if member:
                home = client.get(f"/wiki/{slugs[i]}").text
                in_space = {f"{prefix}{n}" for n, page in enumerate(items) if page["where"] == i}
                assert {t for t in in_space if f">{t}<" in home} == in_space, (reader, i)
