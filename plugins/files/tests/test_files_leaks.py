"""Property: every files read path shows exactly the files the reader may see.

Hypothesis generates spaces (visibility, members) and files (uploader, a space's library or
the uploader's own, a second version or not); the expected set comes from that model alone.
Then, for each reader: each library's listing (API and page), each file by id (API, page,
download of every version, thumbnail), the overview's recent files, the home stream, and a
search for the words inside the files (extracted by the preview job) must agree with it.
"""

from __future__ import annotations

import itertools
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rse_files import samples

from rse_core.testing import app_with_clients, create_spaces, run_jobs, wait_for_index

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
file_st = st.fixed_dictionaries(
    {
        "uploader": st.sampled_from(USERS),
        "where": st.one_of(st.just("own"), st.integers(0, 1)),
        "versions": st.integers(1, 2),
        "pdf": st.booleans(),
    }
)


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("filesprop") / "var"
    with app_with_clients(data_dir, USERS, plugins=["files"]) as (app, clients):
        yield app, clients


def readable(reader, item, spaces):
    if item["where"] == "own":
        return reader == item["uploader"]
    space = spaces[item["where"]]
    return space["visibility"] == "public" or reader in space["members"]


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    spaces=st.lists(space_st, min_size=2, max_size=2),
    items=st.lists(file_st, min_size=1, max_size=5),
)
def test_every_files_read_path_shows_exactly_the_visible_files(shared_app, spaces, items):
    app, clients = shared_app
    random.seed(os.urandom(16))  # whoosh names segments with `random` (see the core's test)
    run = next(run_ids)
    slugs = [f"fs{run}-{i}" for i in range(len(spaces))]
    create_spaces(clients[USERS[0]], USERS[0], slugs, spaces)
    ids = {}
    for n, item in enumerate(items):
        # Uploaders add to the spaces they belong to; else to their own library.
        if item["where"] != "own" and item["uploader"] not in spaces[item["where"]]["members"]:
            item["where"] = "own"
        client = clients[item["uploader"]]
        params = {} if item["where"] == "own" else {"space": slugs[item["where"]]}
        name = f"f{run}n{n}.pdf" if item["pdf"] else f"f{run}n{n}.txt"
        for version in range(item["versions"]):
            words = f"zq{run} secret{n} inside version {version}"
            body = samples.pdf([words]) if item["pdf"] else words.encode()
            response = client.post("/api/v1/files", params=params, files={"file": (name, body)})
            assert response.status_code == 201, response.text
        ids[n] = response.json()["items"][0]["id"]
        item["name"] = name
    run_jobs(app)  # previews: thumbnails of the PDFs, and the words for search
    wait_for_index(app)

    for reader, client in clients.items():
        seen = {n for n, item in enumerate(items) if readable(reader, item, spaces)}
        names = {items[n]["name"] for n in seen}

        def ours(found):
            return {name for name in found if name.startswith(f"f{run}n")}

        for i, slug in enumerate(slugs):
            in_space = {items[n]["name"] for n in seen if items[n]["where"] == i}
            listing = client.get("/api/v1/files", params={"space": slug})
            may_read = spaces[i]["visibility"] == "public" or reader in spaces[i]["members"]
            assert listing.status_code == (200 if may_read else 404), (reader, slug)
            if may_read:
                assert ours(f["name"] for f in listing.json()["items"]) == in_space
            page = client.get(f"/files/spaces/{slug}")
            assert {nm for nm in (items[n]["name"] for n in ids) if nm in page.text} == in_space
        own = {items[n]["name"] for n in seen if items[n]["where"] == "own"}
        mine = client.get("/api/v1/files").json()["items"]
        assert ours(f["name"] for f in mine) == own, reader
        for n, file_id in ids.items():
            may = n in seen
            paths = [
                f"/api/v1/files/{file_id}",
                f"/files/{file_id}",
                f"/files/{file_id}/download",
                f"/files/{file_id}/download?version=1",
                f"/api/v1/files/{file_id}/download?version=1",
            ]
            if items[n]["pdf"]:
                paths.append(f"/files/{file_id}/thumbnail")
            for path in paths:
                response = client.get(path)
                assert response.status_code == (200 if may else 404), (reader, path)
                if not may:
                    assert f"secret{n} inside" not in response.text
        overview = client.get("/files").text
        assert {nm for nm in (items[n]["name"] for n in ids) if nm in overview} <= names
        stream = client.get("/api/v1/stream?limit=100").json()["items"]
        streamed = ours(i["object"].get("name", "") for i in stream)
        assert streamed <= names, reader
        hits = client.get("/api/v1/search", params={"q": f"zq{run}"}).json()["hits"]
        assert ours(h["title"] for h in hits) == names, reader
